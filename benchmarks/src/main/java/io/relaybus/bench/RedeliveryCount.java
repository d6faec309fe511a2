package io.relaybus.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link RedeliveryAfterKill} run's records say: events lost, events handled more than
 * once, how many a kill made handled again and how long before the kill they had been handled,
 * and whether the events of each key were first handled in publish order.
 *
 * <p>Event {@code seq} (0 to {@code events - 1}) has key {@code seq % keys}; the events of a key
 * were published in {@code seq} order. A re-handle is any handle of an event after its first,
 * taken in time order; it is charged to the kill of the process that handled the event just
 * before it (every process is killed at most once: a replacement is a new process), or counted
 * as "without a kill" when that process was not killed (a rebalance, the end of the run).
 */
final class RedeliveryCount {

  /**
   * One handled event, as a member process recorded it.
   *
   * @param member the process that handled it
   * @param seq the event's sequence number
   * @param attempt the attempt that succeeded
   * @param atMicros when, in epoch microseconds
   */
  record Handle(String member, long seq, int attempt, long atMicros) {
    Handle {
      Objects.requireNonNull(member, "member");
    }
  }

  /**
   * One SIGKILL.
   *
   * @param member the process killed
   * @param atMicros when it had exited, in epoch microseconds
   */
  record Kill(String member, long atMicros) {
    Kill {
      Objects.requireNonNull(member, "member");
    }
  }

  /**
   * The counts.
   *
   * @param events events published
   * @param lost events no process handled
   * @param handledMoreThanOnce events handled twice or more
   * @param rehandles handles beyond the first of each event
   * @param perKill re-handles charged to each kill, in kill order (zeros included)
   * @param agesMillis for each re-handle charged to a kill: how long before the kill the
   *     killed process had handled the event, sorted
   * @param withoutKill re-handles whose previous handler was not killed
   * @param orderViolations first handles of an event after a later event of its key had been
   *     handled
   */
  record Result(long events, long lost, long handledMoreThanOnce, long rehandles,
      List<Long> perKill, List<Long> agesMillis, long withoutKill, long orderViolations) {

    /** Re-handles per kill: min / median / max. */
    String perKillSummary() {
      List<Long> sorted = new ArrayList<>(perKill);
      sorted.sort(null);
      return sorted.isEmpty() ? "no kills" : sorted.get(0) + " / " + percentile(sorted, 50)
          + " / " + sorted.get(sorted.size() - 1);
    }

    /** Age of the re-handled events at the kill, ms: median / p90 / max. */
    String agesSummary() {
      return agesMillis.isEmpty() ? "none" : percentile(agesMillis, 50) + " / "
          + percentile(agesMillis, 90) + " / " + agesMillis.get(agesMillis.size() - 1);
    }
  }

  private RedeliveryCount() {}

  /**
   * Counts a run.
   *
   * @param events events published, sequence numbers 0 to {@code events - 1}
   * @param keys the number of keys
   * @param handles every handle any process recorded, in any order
   * @param kills every kill, in order
   * @return the counts
   */
  static Result count(long events, int keys, List<Handle> handles, List<Kill> kills) {
    Map<String, Long> killedAt = new HashMap<>();
    Map<String, Integer> killIndex = new HashMap<>();
    for (int i = 0; i < kills.size(); i++) {
      killedAt.put(kills.get(i).member(), kills.get(i).atMicros());
      killIndex.put(kills.get(i).member(), i);
    }
    Map<Long, List<Handle>> bySeq = new HashMap<>();
    for (Handle h : handles) {
      if (h.seq() >= 0 && h.seq() < events) {
        bySeq.computeIfAbsent(h.seq(), s -> new ArrayList<>()).add(h);
      }
    }
    Comparator<Handle> inTime = Comparator.comparingLong(Handle::atMicros);
    long[] perKill = new long[kills.size()];
    List<Long> ages = new ArrayList<>();
    long moreThanOnce = 0;
    long rehandles = 0;
    long withoutKill = 0;
    List<Handle> firsts = new ArrayList<>();
    for (List<Handle> list : bySeq.values()) {
      list.sort(inTime);
      firsts.add(list.get(0));
      if (list.size() > 1) {
        moreThanOnce++;
        rehandles += list.size() - 1;
      }
      for (int i = 1; i < list.size(); i++) {
        Handle before = list.get(i - 1);
        Integer kill = killIndex.get(before.member());
        if (kill == null) {
          withoutKill++;
        } else {
          perKill[kill]++;
          ages.add((killedAt.get(before.member()) - before.atMicros()) / 1000);
        }
      }
    }
    ages.sort(null);
    List<Long> perKillList = new ArrayList<>();
    for (long n : perKill) {
      perKillList.add(n);
    }
    return new Result(events, events - bySeq.size(), moreThanOnce, rehandles, perKillList,
        ages, withoutKill, orderViolations(firsts, keys));
  }

  /** First handles that came after a later event of the same key had been handled. */
  private static long orderViolations(List<Handle> firsts, int keys) {
    firsts.sort(Comparator.comparingLong(Handle::atMicros).thenComparingLong(Handle::seq));
    long[] highest = new long[keys];
    Arrays.fill(highest, -1);
    long violations = 0;
    for (Handle h : firsts) {
      int key = (int) (h.seq() % keys);
      if (h.seq() < highest[key]) {
        violations++;
      } else {
        highest[key] = h.seq();
      }
    }
    return violations;
  }

  /** Nearest-rank percentile of a sorted, non-empty list. */
  static long percentile(List<Long> sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  /**
   * Reads one member's file: lines {@code <seq> <attempt> <epoch micros>}. A line cut short by
   * the kill is skipped.
   *
   * @param member the member's name
   * @param file its file
   * @return its handles
   */
  static List<Handle> readHandles(String member, Path file) {
    List<Handle> out = new ArrayList<>();
    for (String[] f : fields(file)) {
      if (f.length == 3 && f[0].chars().allMatch(Character::isDigit)) {
        out.add(new Handle(member, Long.parseLong(f[0]), Integer.parseInt(f[1]),
            Long.parseLong(f[2])));
      }
    }
    return out;
  }

  /**
   * Reads the kills file: lines {@code <member> <epoch micros>}.
   *
   * @param file the file
   * @return the kills, in file order
   */
  static List<Kill> readKills(Path file) {
    List<Kill> out = new ArrayList<>();
    for (String[] f : fields(file)) {
      if (f.length == 2) {
        out.add(new Kill(f[0], Long.parseLong(f[1])));
      }
    }
    return out;
  }

  /** The whitespace-separated fields of each complete, well-formed line. */
  private static List<String[]> fields(Path file) {
    List<String[]> out = new ArrayList<>();
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      int end = text.lastIndexOf('\n');
      if (end < 0) {
        return out;
      }
      for (String line : text.substring(0, end).split("\n")) {
        String[] f = line.trim().split(" ");
        if (f.length >= 2 && allDigitsAfterFirst(f)) {
          out.add(f);
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static boolean allDigitsAfterFirst(String[] f) {
    for (int i = 1; i < f.length; i++) {
      if (f[i].isEmpty() || !f[i].chars().allMatch(Character::isDigit)) {
        return false;
      }
    }
    return true;
  }
}
