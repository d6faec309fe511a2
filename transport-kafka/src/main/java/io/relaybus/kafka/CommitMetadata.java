package io.relaybus.kafka;

import java.util.ArrayList;
import java.util.List;

/**
 * The text a member commits next to a partition's offset (ADR 0017): {@code ;}-separated
 * fields, each {@code relaybus-<name>=<value>}.
 *
 * <ul>
 *   <li>{@code relaybus-attempts=<n>@<offset>}: the attempts already made on the event at
 *       {@code offset} (the first unfinished one, which is the committed offset).
 *   <li>{@code relaybus-ahead=<base>:<gap>+<length>,...}: the offsets finished beyond the
 *       committed offset {@code base}, as ranges; each range starts {@code gap} after the end of
 *       the previous one (after {@code base} for the first) and covers {@code length} offsets.
 * </ul>
 *
 * <p>Reading never trusts what it cannot check: metadata not written by Relaybus, unknown
 * fields and fields that do not parse are ignored, and finished ranges count only when their
 * {@code base} is the committed offset (an offset reset by a tool makes them stale). Ignoring
 * metadata never loses an event: the events it would have skipped are delivered again.
 */
final class CommitMetadata {
  static final String ATTEMPTS = "relaybus-attempts=";
  static final String AHEAD = "relaybus-ahead=";

  /** Attempts made on {@link #attemptsOffset}, 0 when none are recorded. */
  final int attempts;
  final long attemptsOffset;
  /** Finished ranges beyond the committed offset: {@code [start, end]} pairs, ascending. */
  final long[] ahead;

  private CommitMetadata(int attempts, long attemptsOffset, long[] ahead) {
    this.attempts = attempts;
    this.attemptsOffset = attemptsOffset;
    this.ahead = ahead;
  }

  /**
   * Reads a commit's metadata.
   *
   * @param metadata the text, possibly {@code null} or foreign
   * @param committed the committed offset it was stored with
   */
  static CommitMetadata parse(String metadata, long committed) {
    int attempts = 0;
    long attemptsOffset = -1;
    long[] ahead = new long[0];
    if (metadata == null || !metadata.startsWith("relaybus-")) {
      return new CommitMetadata(attempts, attemptsOffset, ahead);
    }
    for (String field : metadata.split(";")) {
      try {
        if (field.startsWith(ATTEMPTS)) {
          String v = field.substring(ATTEMPTS.length());
          int at = v.indexOf('@');
          int n = Integer.parseInt(v.substring(0, at));
          long o = Long.parseLong(v.substring(at + 1));
          if (n >= 0 && o >= 0) {
            attempts = n;
            attemptsOffset = o;
          }
        } else if (field.startsWith(AHEAD)) {
          ahead = ranges(field.substring(AHEAD.length()), committed);
        }
      } catch (RuntimeException unreadable) {
        // a field this version cannot read counts as absent: more is delivered again, never less
      }
    }
    return new CommitMetadata(attempts, attemptsOffset, ahead);
  }

  private static long[] ranges(String value, long committed) {
    int colon = value.indexOf(':');
    if (Long.parseLong(value.substring(0, colon)) != committed) {
      return new long[0]; // written for another offset: the committed offset is authoritative
    }
    String[] parts = value.substring(colon + 1).split(",");
    long[] ranges = new long[parts.length * 2];
    long previousEnd = committed;
    for (int i = 0; i < parts.length; i++) {
      int plus = parts[i].indexOf('+');
      long gap = Long.parseLong(parts[i].substring(0, plus));
      long length = Long.parseLong(parts[i].substring(plus + 1));
      if (gap < 1 || length < 1) {
        throw new IllegalArgumentException("range " + parts[i]);
      }
      long start = Math.addExact(previousEnd, gap);
      long end = Math.addExact(start, length - 1);
      ranges[2 * i] = start;
      ranges[2 * i + 1] = end;
      previousEnd = end;
    }
    return ranges;
  }

  /**
   * The finished ranges that lie in {@code [from, to)} (the rest are dropped: below the log
   * start they are gone, at or beyond the log end they name records that do not exist).
   */
  long[] aheadWithin(long from, long to) {
    List<Long> kept = new ArrayList<>();
    for (int i = 0; i < ahead.length; i += 2) {
      long start = Math.max(ahead[i], from);
      long end = Math.min(ahead[i + 1], to - 1);
      if (start <= end) {
        kept.add(start);
        kept.add(end);
      }
    }
    long[] out = new long[kept.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = kept.get(i);
    }
    return out;
  }

  /** How many offsets of {@code [from, to)} the finished ranges cover. */
  long finishedWithin(long from, long to) {
    long n = 0;
    long[] within = aheadWithin(from, to);
    for (int i = 0; i < within.length; i += 2) {
      n += within[i + 1] - within[i] + 1;
    }
    return n;
  }

  /**
   * Writes the metadata for one commit: the attempts, then the finished ranges given in
   * ascending order (adjacent ones are merged). Ranges that would make the text longer than
   * its limit are left out and counted ({@link #left}).
   */
  static final class Writer {
    private final StringBuilder out = new StringBuilder();
    private final long committed;
    private final int maxChars;
    private int mark;
    private int header = -1;
    private long previousEnd;
    private long start = -1;
    private long end;
    private long left;
    private boolean full;

    /**
     * @param attempts attempts made on the event at {@code committed} (0: none)
     * @param committed the offset committed with this metadata
     * @param maxChars the most characters to write
     */
    Writer(int attempts, long committed, int maxChars) {
      this.committed = committed;
      this.maxChars = maxChars;
      this.previousEnd = committed;
      if (attempts > 0) {
        out.append(ATTEMPTS).append(attempts).append('@').append(committed);
      }
    }

    /** Adds finished offsets {@code [from, to]}, beyond every range added before. */
    void add(long from, long to) {
      if (start >= 0 && from == end + 1) {
        end = to;
        return;
      }
      flush();
      start = from;
      end = to;
    }

    private void flush() {
      if (start < 0) {
        return;
      }
      long length = end - start + 1;
      if (full) {
        left += length;
        return;
      }
      if (header < 0) {
        mark = out.length();
        if (mark > 0) {
          out.append(';');
        }
        out.append(AHEAD).append(committed).append(':');
        header = out.length();
      }
      int before = out.length();
      if (before > header) {
        out.append(',');
      }
      out.append(start - previousEnd).append('+').append(length);
      if (out.length() > maxChars) {
        out.setLength(before);
        full = true;
        left += length;
      } else {
        previousEnd = end;
      }
    }

    /** The metadata text. */
    String finish() {
      flush();
      start = -1;
      if (header >= 0 && out.length() == header) {
        out.setLength(mark); // not even one range fits
        header = -1;
      }
      return out.toString();
    }

    /** Finished offsets that did not fit ({@link #finish} first). */
    long left() {
      return left;
    }
  }
}
