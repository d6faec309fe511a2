package io.relaybus.bench;

import io.relaybus.Event;
import io.relaybus.EventBus;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How many events a consumer group handles again after a member is SIGKILLed under load: the
 * harness publishes keyed events at a steady rate while {@code --members} member processes
 * ({@link RedeliveryMember}, child JVMs) consume them in one group, kills a random member every
 * {@code --kill-every} seconds and starts a replacement, {@code --kills} times, waits until the
 * group has finished every event, then counts from the members' files
 * ({@link RedeliveryCount}): events lost, events handled more than once, re-handles per kill
 * and how long before the kill the re-handled events had been handled, and the per-key order.
 *
 * <pre>
 * java -cp benchmarks/target/relaybus-benchmarks.jar io.relaybus.bench.RedeliveryAfterKill \
 *     --transport kafka --events 60000 --members 3 --handlers 4 --kills 8 --fail-rate 0.01
 * </pre>
 *
 * <p>{@code --help} lists the options. The server is the one the end-to-end benchmark uses
 * ({@link KafkaTarget}, {@link PostgresServer}). {@code --member-jar} puts another build's jar
 * first on the members' class path, so the same harness measures an older transport.
 */
public final class RedeliveryAfterKill {
  static final String USAGE = String.join("\n",
      "Usage: java -cp relaybus-benchmarks.jar io.relaybus.bench.RedeliveryAfterKill [options]",
      "  --transport kafka|postgres  (kafka)",
      "  --events N            events published (60000)",
      "  --members N           member processes in the group (3)",
      "  --handlers N          concurrency per member (4)",
      "  --kills N             SIGKILLs, each followed by a replacement (8)",
      "  --fail-rate F         fraction of events whose first attempt fails (0.01)",
      "  --rate N              events published per second (600)",
      "  --kill-every S        seconds between kills, the first after as long (10)",
      "  --keys N              distinct keys, event i has key i % N (1000)",
      "  --handle-millis N     time each handler call takes (0)",
      "  --member-jar PATH     put PATH first on the members' class path (an older build)",
      "  --timeout S           how long to wait for the group to finish after the last kill "
          + "(300)",
      "  --dir PATH            where the members' files go "
          + "(benchmarks/results/redelivery-<transport>-<time>)",
      "  --set KEY=VALUE       a relaybus.* setting for the publisher and every member");

  private static final String GROUP = "redelivery";
  private static final long PUBLISH_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final Map<String, String> opts;
  private final Map<String, String> sets;
  private final String transport;
  private final int events;
  private final int keys;
  private final Path dir;
  private final Path kills;
  private final List<Process> live = new ArrayList<>();
  private final List<String> liveNames = new ArrayList<>();
  private final List<Process> all = new ArrayList<>();
  private int started;

  private RedeliveryAfterKill(Map<String, String> opts, Map<String, String> sets) {
    this.opts = opts;
    this.sets = sets;
    this.transport = opts.getOrDefault("transport", "kafka");
    if (!transport.equals("kafka") && !transport.equals("postgres")) {
      throw new IllegalArgumentException("--transport must be kafka or postgres, got '"
          + transport + "'");
    }
    this.events = integer("events", 60_000);
    this.keys = integer("keys", 1000);
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
        .format(Instant.now().atZone(ZoneOffset.UTC));
    this.dir = Path.of(opts.getOrDefault("dir",
        "benchmarks/results/redelivery-" + transport + "-" + stamp));
    this.kills = dir.resolve("kills");
  }

  /**
   * Runs the measurement and prints the counts.
   *
   * @param args see {@link #USAGE}
   * @throws Exception when the run fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    Map<String, String> sets = new LinkedHashMap<>();
    try {
      for (int i = 0; i < args.length; i++) {
        if (args[i].equals("--help")) {
          System.out.println(USAGE);
          return;
        }
        if (!args[i].startsWith("--") || i + 1 >= args.length) {
          throw new IllegalArgumentException("expected --option value, got '" + args[i] + "'");
        }
        String value = args[++i];
        if (args[i - 1].equals("--set")) {
          int eq = value.indexOf('=');
          if (eq < 1) {
            throw new IllegalArgumentException("--set needs KEY=VALUE, got '" + value + "'");
          }
          sets.put(value.substring(0, eq).trim(), value.substring(eq + 1).trim());
        } else {
          opts.put(args[i - 1].substring(2), value);
        }
      }
      RedeliveryAfterKill run = new RedeliveryAfterKill(opts, sets);
      Runtime.getRuntime().addShutdownHook(new Thread(run::stopAll, "redelivery-stop-members"));
      run.run();
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
    }
    System.exit(0);
  }

  private void run() throws Exception {
    int members = integer("members", 3);
    int killCount = integer("kills", 8);
    int rate = integer("rate", 600);
    Duration killEvery = Duration.ofMillis(Math.round(number("kill-every", 10) * 1000));
    Duration timeout = Duration.ofMillis(Math.round(number("timeout", 300) * 1000));
    Files.createDirectories(dir);
    Files.deleteIfExists(kills);
    Files.createFile(kills);
    String topic = "redelivery-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    Map<String, String> bus = busSettings(topic);
    Properties file = new Properties();
    file.putAll(bus);
    try (OutputStream out = Files.newOutputStream(dir.resolve("member.properties"))) {
      file.store(out, "bus settings of every member");
    }
    progress("%s: %d events at %d/s on %s, %d members x %s handlers, fail-rate %s, %d kills "
        + "every %.1f s, files in %s", transport, events, rate, topic, members,
        opts.getOrDefault("handlers", "4"), opts.getOrDefault("fail-rate", "0.01"), killCount,
        killEvery.toMillis() / 1000.0, dir);

    try (EventBus publisher = EventBus.create(bus)) {
      for (int i = 0; i < members; i++) {
        startMember(topic);
      }
      for (String name : new ArrayList<>(liveNames)) {
        awaitReady(name);
      }
      long start = System.nanoTime();
      Thread killer = new Thread(() -> killLoop(topic, start, killEvery, killCount),
          "redelivery-kills");
      killer.setDaemon(true);
      killer.start();
      publish(publisher, topic, rate, start);
      double publishSeconds = (System.nanoTime() - start) / 1e9;
      progress("published %d events in %.1f s", events, publishSeconds);
      killer.join();
      awaitFinished(publisher, topic, timeout);
      double seconds = (System.nanoTime() - start) / 1e9;
      stopAll();
      report(members, killCount, rate, publishSeconds, seconds);
    }
  }

  /** The bus settings of the publisher and every member: the server's, defaults, --set. */
  private Map<String, String> busSettings(String topic) {
    Map<String, String> bus = new LinkedHashMap<>();
    bus.put("relaybus.transport", transport);
    if (transport.equals("kafka")) {
      String bootstrap = new KafkaTarget().bootstrapServers();
      bus.put("relaybus.kafka.bootstrap-servers", bootstrap);
      bus.put("relaybus.kafka.partitions", "6");
      // A killed member's partitions move after the session timeout: a few seconds, not 45.
      bus.put("relaybus.kafka.consumer.session.timeout.ms", "6000");
      bus.put("relaybus.kafka.consumer.heartbeat.interval.ms", "1000");
      bus.putAll(sets);
      KafkaTopics.createAndAwaitLeaders(bootstrap, topic,
          Integer.parseInt(bus.get("relaybus.kafka.partitions")), Duration.ofSeconds(60));
    } else {
      PostgresServer server = PostgresServer.get();
      bus.put("relaybus.postgres.url", server.url());
      bus.put("relaybus.postgres.user", server.user());
      if (!server.password().isEmpty()) {
        bus.put("relaybus.postgres.password", server.password());
      }
      bus.putAll(sets);
    }
    return bus;
  }

  private void publish(EventBus bus, String topic, int rate, long start) {
    int seq = 0;
    long tick = start;
    while (seq < events) {
      long due = Math.min(events, (long) ((System.nanoTime() - start) / 1e9 * rate) + 1);
      List<Event> batch = new ArrayList<>();
      for (; seq < due; seq++) {
        batch.add(Event.builder().source("urn:relaybus:bench").type("redelivery")
            .key("k" + (seq % keys)).text(Integer.toString(seq)).build());
      }
      if (!batch.isEmpty()) {
        bus.publishAll(topic, batch).join();
      }
      tick += PUBLISH_TICK_NANOS;
      LockSupport.parkNanos(tick - System.nanoTime());
    }
  }

  private void killLoop(String topic, long start, Duration every, int count) {
    try {
      for (int k = 1; k <= count; k++) {
        long at = start + every.toNanos() * k;
        while (System.nanoTime() < at) {
          LockSupport.parkNanos(at - System.nanoTime());
        }
        Process victim;
        String name;
        synchronized (this) {
          int i = ThreadLocalRandom.current().nextInt(live.size());
          victim = live.remove(i);
          name = liveNames.remove(i);
        }
        victim.destroyForcibly();
        victim.waitFor();
        Instant now = Instant.now();
        long micros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
        Files.writeString(kills, name + " " + micros + "\n", StandardCharsets.US_ASCII,
            StandardOpenOption.APPEND);
        String next = startMember(topic);
        progress("kill %d: SIGKILLed %s at +%.1f s, started %s", k, name,
            (System.nanoTime() - start) / 1e9, next);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private synchronized String startMember(String topic) {
    String name = "m" + (++started);
    String classPath = System.getProperty("java.class.path");
    String memberJar = opts.get("member-jar");
    if (memberJar != null) {
      classPath = memberJar + File.pathSeparator + classPath;
    }
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", classPath, RedeliveryMember.class.getName(),
        dir.resolve("member.properties").toString(), topic, GROUP,
        opts.getOrDefault("handlers", "4"), opts.getOrDefault("fail-rate", "0.01"),
        opts.getOrDefault("handle-millis", "0"), dir.resolve(name + ".handled").toString());
    pb.redirectErrorStream(true).redirectOutput(Redirect.appendTo(
        dir.resolve(name + ".out").toFile()));
    try {
      Process p = pb.start();
      live.add(p);
      liveNames.add(name);
      all.add(p);
      return name;
    } catch (IOException e) {
      throw new BenchmarkException("cannot start member " + name + ": " + e.getMessage(), e);
    }
  }

  /** Polls the member's output for READY: the harness has no other line to it. */
  private void awaitReady(String name) throws IOException {
    Path out = dir.resolve(name + ".out");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!Files.exists(out) || !Files.readString(out).contains("READY")) {
      if (System.nanoTime() > deadline) {
        throw new BenchmarkException("member " + name + " not ready in 90 s, see " + out);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  /** Until the group's lag is 0 and the files hold every event, or the timeout. */
  private void awaitFinished(EventBus bus, String topic, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long lastProgress = 0;
    while (System.nanoTime() < deadline) {
      long depth = bus.operations().lag(topic, GROUP).depth();
      long handled = depth == 0 ? handled().stream().mapToLong(RedeliveryCount.Handle::seq)
          .distinct().count() : -1;
      if (handled == events) {
        return;
      }
      if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(10)) {
        progress("waiting for the group: lag depth %d", depth);
        lastProgress = System.nanoTime();
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
    }
    progress("the group did not finish within %s: counting what the files hold", timeout);
  }

  private List<RedeliveryCount.Handle> handled() {
    List<RedeliveryCount.Handle> out = new ArrayList<>();
    for (int i = 1; i <= startedCount(); i++) {
      Path f = dir.resolve("m" + i + ".handled");
      if (Files.exists(f)) {
        out.addAll(RedeliveryCount.readHandles("m" + i, f));
      }
    }
    return out;
  }

  private synchronized int startedCount() {
    return started;
  }

  private synchronized void stopAll() {
    for (Process p : all) {
      p.destroy();
    }
    for (Process p : all) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void report(int members, int killCount, int rate, double publishSeconds,
      double seconds) throws IOException {
    RedeliveryCount.Result r = RedeliveryCount.count(events, keys, handled(),
        RedeliveryCount.readKills(kills));
    String memberJar = opts.get("member-jar");
    String text = String.join("\n",
        String.format("transport %s%s: %d events at %d/s (published in %.1f s, finished in "
            + "%.1f s), %d members x %s handlers, fail-rate %s, %d kills every %s s, %d keys",
            transport, memberJar == null ? "" : " (members on " + memberJar + ")", events, rate,
            publishSeconds, seconds, members, opts.getOrDefault("handlers", "4"),
            opts.getOrDefault("fail-rate", "0.01"), killCount,
            opts.getOrDefault("kill-every", "10"), keys),
        "lost: " + r.lost(),
        "handled more than once: " + r.handledMoreThanOnce() + " events (" + r.rehandles()
            + " re-handles)",
        "re-handled per kill, min / median / max: " + r.perKillSummary() + "  (each: "
            + r.perKill() + ")",
        "first handled before the kill, ms, median / p90 / max: " + r.agesSummary(),
        "re-handled without a kill: " + r.withoutKill(),
        "per-key order violations: " + r.orderViolations(),
        "files: " + dir);
    Files.writeString(dir.resolve("summary.txt"), text + "\n");
    System.out.println(text);
  }

  private int integer(String option, int defaultValue) {
    String v = opts.get(option);
    try {
      int n = v == null ? defaultValue : Integer.parseInt(v.replace("_", ""));
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + option + " needs a positive integer, got '" + v
          + "'");
    }
  }

  private double number(String option, double defaultValue) {
    String v = opts.get(option);
    try {
      return v == null ? defaultValue : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + option + " needs a number, got '" + v + "'");
    }
  }

  private static void progress(String format, Object... args) {
    System.err.println("[redelivery] " + String.format(format, args));
  }
}
