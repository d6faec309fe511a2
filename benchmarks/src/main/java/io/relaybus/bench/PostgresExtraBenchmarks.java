package io.relaybus.bench;

import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventHandler;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The PostgreSQL measurements the generic harness ({@link BenchmarkMain}) has no scenario for,
 * on the same server ({@link PostgresServer}) and with the same payload and event shape:
 *
 * <ul>
 *   <li>{@code single8}: single publishes from {@code --publishers} (default 8) threads, each
 *       waiting for its publish before the next, Relaybus ({@code bus.publish(..).join()}) and
 *       raw JDBC (INSERT + pg_notify + COMMIT per row) with the same concurrency, after
 *       {@code --single-warmup} events on each side (default 100,000: the JIT compiles
 *       Relaybus's longer path later than pgjdbc's, and 10,000 events left it at half speed);
 *       </li>
 *   <li>{@code groups}: end-to-end throughput of 1 and of 4 consumer groups (each its own bus
 *       with {@code --members} members, as separate services would run), measured after every
 *       member has joined (steady state);</li>
 *   <li>{@code notify}: raw NOTIFY round trip (pg_notify on one connection, received on a
 *       LISTENing one) at {@code --rate} for {@code --duration} s, from the intended send time;
 *       </li>
 *   <li>{@code backlog}: {@code --backlog} events published first, then one group of
 *       {@code --members} drains them; events/s, peak heap used, old-gen live set after GC and
 *       peak RSS (VmHWM, reset through /proc/self/clear_refs before the drain).</li>
 * </ul>
 *
 * <pre>
 * java -Xms1g -Xmx1g -cp benchmarks/target/relaybus-benchmarks.jar \
 *     io.relaybus.bench.PostgresExtraBenchmarks --only single8,groups,notify,backlog
 * </pre>
 *
 * <p>{@code --set relaybus.KEY=VALUE} configures the buses as in the harness;
 * {@code --set relaybus.bench.payload=varied} gives the Relaybus events different documents
 * ({@link PostgresTarget#PAYLOAD_KEY}).
 */
public final class PostgresExtraBenchmarks {
  private static final String SOURCE = "/relaybus/bench";
  private static final String TYPE = "bench.order.placed";

  private final PostgresServer server = PostgresServer.get();
  private final byte[] payload = Payloads.json(Payloads.SIZE);
  /** What the Relaybus events carry in turn ({@link PostgresTarget#PAYLOAD_KEY}). */
  private final byte[][] payloads;
  private final AtomicInteger nextPayload = new AtomicInteger();
  private final Map<String, String> settings;
  private final Duration timeout;
  private final AtomicInteger topics = new AtomicInteger();

  private PostgresExtraBenchmarks(Map<String, String> settings, Duration timeout) {
    this.settings = settings;
    this.timeout = timeout;
    this.payloads = PostgresTarget.payloads(settings, payload);
  }

  /**
   * Runs the selected measurements and prints one line per result.
   *
   * @param args {@code --only LIST --events N --publishers N --members N --groups N --rate N
   *     --duration S --backlog N --iterations N --timeout S --set relaybus.K=V}
   * @throws Exception when a measurement fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (args[i].equals("--set")) {
        String[] kv = args[i + 1].split("=", 2);
        settings.put(kv[0], kv[1]);
      } else {
        opts.put(args[i].substring(2), args[i + 1]);
      }
    }
    List<String> only = Arrays.asList(opts.getOrDefault("only", "single8,groups,notify,backlog")
        .split(","));
    int events = Integer.parseInt(opts.getOrDefault("events", "200000"));
    int publishers = Integer.parseInt(opts.getOrDefault("publishers", "8"));
    int members = Integer.parseInt(opts.getOrDefault("members", "4"));
    int groups = Integer.parseInt(opts.getOrDefault("groups", "4"));
    int rate = Integer.parseInt(opts.getOrDefault("rate", "1000"));
    int duration = Integer.parseInt(opts.getOrDefault("duration", "10"));
    int backlog = Integer.parseInt(opts.getOrDefault("backlog", "1000000"));
    int iterations = Integer.parseInt(opts.getOrDefault("iterations", "3"));
    int singleEvents = Integer.parseInt(opts.getOrDefault("single-events", "40000"));
    int singleWarmup = Integer.parseInt(opts.getOrDefault("single-warmup", "100000"));
    Duration timeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("timeout", "300")));
    PostgresExtraBenchmarks b = new PostgresExtraBenchmarks(settings, timeout);
    log("server: %s; bus settings %s; %d cores, max heap %d MiB", b.server.description(),
        settings, Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20);
    if (only.contains("single8")) {
      b.single(publishers, singleEvents, singleWarmup, iterations);
    }
    if (only.contains("rawschema")) {
      b.rawSchema(events);
    }
    if (only.contains("groups")) {
      b.groups(events, members, groups, iterations);
    }
    if (only.contains("notify")) {
      b.notifyPingPong(2000);
      b.notifyRoundTrip(rate, duration);
    }
    if (only.contains("backlog")) {
      b.backlog(backlog, members);
    }
    System.exit(0);
  }

  // ---------------------------------------------------------------- single publish, N threads

  private void single(int publishers, int events, int warmup, int iterations)
      throws Exception {
    // warm-up, then alternate
    log("single8 warm-up: relaybus %,.0f raw %,.0f events/s", singleRelaybus(publishers, warmup),
        singleRaw(publishers, warmup));
    List<Double> rb = new ArrayList<>();
    List<Double> raw = new ArrayList<>();
    for (int i = 0; i < iterations; i++) {
      if (i % 2 == 0) {
        rb.add(singleRelaybus(publishers, events));
        raw.add(singleRaw(publishers, events));
      } else {
        raw.add(singleRaw(publishers, events));
        rb.add(singleRelaybus(publishers, events));
      }
    }
    log("RESULT single publish, %d publisher threads, each waits for its publish: relaybus %s "
        + "raw %s median relaybus %,.0f raw %,.0f ratio %.2f", publishers, rb, raw, median(rb),
        median(raw), median(rb) / median(raw));
  }

  private double singleRelaybus(int publishers, int events) throws Exception {
    try (EventBus bus = bus()) {
      String topic = topic();
      bus.publish(topic, event(0)).join(); // topic row created outside the timing
      return threads(publishers, events, n -> {
        for (int i = 0; i < n; i++) {
          bus.publish(topic, event(System.nanoTime())).get(timeout.toSeconds(), TimeUnit.SECONDS);
        }
      });
    }
  }

  private double singleRaw(int publishers, int events) throws Exception {
    String table = "raw_bench.s_" + topics.incrementAndGet();
    try (Connection c = server.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS raw_bench");
      s.execute("CREATE TABLE " + table + " (id bigint GENERATED ALWAYS AS IDENTITY "
          + "PRIMARY KEY, stamp bigint NOT NULL, payload bytea NOT NULL)");
    }
    try {
      return threads(publishers, events, n -> {
        try (Connection c = server.connect()) {
          PostgresRawBaseline.Publisher p = new PostgresRawBaseline.Publisher(c, table, "rawsingle");
          for (int i = 0; i < n; i++) {
            p.publish(System.nanoTime(), payload, 1);
          }
        }
      });
    } finally {
      try (Connection c = server.connect(); Statement s = c.createStatement()) {
        s.execute("DROP TABLE " + table);
      }
    }
  }

  private interface Work {
    void run(int events) throws Exception;
  }

  private double threads(int count, int events, Work work) throws Exception {
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    for (int t = 0; t < count; t++) {
      int n = events / count;
      CompletableFuture<Void> f = new CompletableFuture<>();
      Thread th = new Thread(() -> {
        try {
          go.await();
          work.run(n);
          f.complete(null);
        } catch (Throwable e) {
          f.completeExceptionally(e);
        }
      }, "bench-publisher-" + t);
      th.setDaemon(true);
      th.start();
      fs.add(f);
    }
    long start = System.nanoTime();
    go.countDown();
    CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0]))
        .get(timeout.toSeconds(), TimeUnit.SECONDS);
    return (events / count) * (double) count * 1e9 / (System.nanoTime() - start);
  }

  // ---------------------------------------------------------------- where publish time goes

  /**
   * Raw JDBC batches of 100 rows into the transport's own table, with the statement and values
   * the transport writes (its column set, a UUID id, the headers as JSON, SET LOCAL
   * relaybus.notify = off, one commit per batch), from 1 and from 4 threads (the transport's
   * writer count at pool-size 16). Compared with the Relaybus publishAll rate, this separates
   * what the table costs from what the library's Java publish path costs.
   */
  private void rawSchema(int events) throws Exception {
    String topic = topic();
    try (EventBus bus = bus()) {
      bus.publish(topic, event(0)).join(); // schema and topic exist
    }
    String sql = "INSERT INTO relaybus.events (topic, partition, id, source, type, subject, time, "
        + "datacontenttype, dataschema, key, headers, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        + "?::jsonb, ?)";
    for (int round = 0; round < 2; round++) {
      for (int threads : new int[] {1, 4}) {
        double rate = threads(threads, events, n -> {
          try (Connection c = server.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(sql);
                Statement st = c.createStatement()) {
              for (int sent = 0; sent < n; sent += 100) {
                st.execute("SET LOCAL relaybus.notify = 'off'");
                for (int i = 0; i < 100; i++) {
                  ps.setString(1, topic);
                  ps.setInt(2, java.util.concurrent.ThreadLocalRandom.current().nextInt(8));
                  ps.setString(3, java.util.UUID.randomUUID().toString());
                  ps.setString(4, SOURCE);
                  ps.setString(5, TYPE);
                  ps.setNull(6, java.sql.Types.VARCHAR);
                  ps.setTimestamp(7, java.sql.Timestamp.from(java.time.Instant.now()));
                  ps.setString(8, "application/json");
                  ps.setNull(9, java.sql.Types.VARCHAR);
                  ps.setNull(10, java.sql.Types.VARCHAR);
                  ps.setString(11, "{\"sentnanos\":\"" + System.nanoTime() + "\"}");
                  ps.setBytes(12, payload);
                  ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
              }
            }
          }
        });
        if (round == 1) {
          log("RESULT raw JDBC into relaybus.events (transport's statement and values), batches"
              + " of 100 per transaction, %d thread(s): %,.0f events/s", threads, rate);
        }
        double copyRate = threads(threads, events, n -> {
          try (Connection c = server.connect()) {
            c.setAutoCommit(false);
            org.postgresql.copy.CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            try (Statement st = c.createStatement()) {
              for (int sent = 0; sent < n; sent += 100) {
                st.execute("SET LOCAL relaybus.notify = 'off'");
                java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream(64 * 1024);
                java.io.DataOutputStream out = new java.io.DataOutputStream(buf);
                out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0});
                out.writeInt(0);
                out.writeInt(0);
                for (int i = 0; i < 100; i++) {
                  out.writeShort(12);
                  text(out, topic);
                  out.writeInt(4);
                  out.writeInt(java.util.concurrent.ThreadLocalRandom.current().nextInt(8));
                  text(out, java.util.UUID.randomUUID().toString());
                  text(out, SOURCE);
                  text(out, TYPE);
                  out.writeInt(-1);
                  out.writeInt(8);
                  java.time.Instant now = java.time.Instant.now();
                  out.writeLong((now.getEpochSecond() - 946_684_800L) * 1_000_000L
                      + now.getNano() / 1000);
                  text(out, "application/json");
                  out.writeInt(-1);
                  out.writeInt(-1);
                  byte[] json = ("{\"sentnanos\":\"" + System.nanoTime() + "\"}")
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                  out.writeInt(json.length + 1);
                  out.writeByte(1);
                  out.write(json);
                  out.writeInt(payload.length);
                  out.write(payload);
                }
                out.writeShort(-1);
                byte[] bytes = buf.toByteArray();
                org.postgresql.copy.CopyIn in = copy.copyIn("COPY relaybus.events (topic, "
                    + "partition, id, source, type, subject, time, datacontenttype, dataschema, "
                    + "key, headers, data) FROM STDIN (FORMAT binary)");
                in.writeToCopy(bytes, 0, bytes.length);
                in.endCopy();
                c.commit();
              }
            }
          }
        });
        if (round == 1) {
          log("RESULT raw binary COPY into relaybus.events, 100 rows per transaction, %d "
              + "thread(s): %,.0f events/s", threads, copyRate);
        }
      }
    }
  }

  private static void text(java.io.DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  // ---------------------------------------------------------------- groups

  private void groups(int events, int members, int maxGroups, int iterations) throws Exception {
    for (int g : new int[] {1, maxGroups}) {
      List<Double> perGroup = new ArrayList<>();
      for (int i = 0; i < iterations; i++) {
        perGroup.add(groupsRun(events, members, g));
      }
      log("RESULT e2e steady state, %d group(s) x %d members, %,d events published in "
          + "publishAll batches of 100: per-group events/s %s median %,.0f (deliveries/s %,.0f)",
          g, members, events, perGroup, median(perGroup), median(perGroup) * g);
    }
  }

  /** Returns events/s of the slowest group: from the first publish until every group is done. */
  private double groupsRun(int events, int members, int groups) throws Exception {
    String topic = topic();
    List<EventBus> buses = new ArrayList<>();
    try (EventBus publisher = bus()) {
      publisher.publish(topic, event(0)).join(); // creates the topic
      AtomicLong remaining = new AtomicLong((long) groups * (events + 1) + groups);
      CountDownLatch first = new CountDownLatch(groups);
      CountDownLatch done = new CountDownLatch(1);
      for (int g = 0; g < groups; g++) {
        EventBus bus = bus();
        buses.add(bus);
        AtomicInteger seen = new AtomicInteger();
        for (int m = 0; m < members; m++) {
          bus.subscribe(topic, SubscribeOptions.builder().group("g" + g)
              .startPosition(StartPosition.EARLIEST).build(), new EventHandler() {
                @Override
                public void handle(Delivery d) {
                  if (seen.incrementAndGet() == 1) {
                    first.countDown();
                  }
                  if (remaining.decrementAndGet() == 0) {
                    done.countDown();
                  }
                }
              });
        }
      }
      // every group has read the first event: members joined and own partitions
      if (!first.await(timeout.toSeconds(), TimeUnit.SECONDS)) {
        throw new BenchmarkException("groups did not start");
      }
      Thread.sleep(1500); // let rebalancing among the members settle
      long start = System.nanoTime();
      PendingPublishes pending = new PendingPublishes(16, timeout);
      for (int sent = 0; sent < events; sent += 100) {
        List<Event> batch = new ArrayList<>(100);
        for (int i = 0; i < 100; i++) {
          batch.add(event(start));
        }
        pending.add(publisher.publishAll(topic, batch));
      }
      pending.joinAll(timeout);
      double publishRate = events * 1e9 / (System.nanoTime() - start);
      // the +groups: one marker per group counted from the pre-warm event
      if (remaining.addAndGet(-groups) == 0) {
        done.countDown();
      }
      if (!done.await(timeout.toSeconds(), TimeUnit.SECONDS)) {
        throw new BenchmarkException("groups: " + remaining.get() + " deliveries missing");
      }
      double rate = events * 1e9 / (System.nanoTime() - start);
      log("groups=%d members=%d: publish %,.0f events/s, end-to-end %,.0f events/s per group",
          groups, members, publishRate, rate);
      return rate;
    } finally {
      for (EventBus b : buses) {
        b.close();
      }
    }
  }

  // ---------------------------------------------------------------- NOTIFY round trip

  private void notifyRoundTrip(int rate, int seconds) throws Exception {
    for (int round = 0; round < 2; round++) { // the first round is a warm-up
      Histogram h = new Histogram(Scenarios.HIGHEST_TRACKABLE_NANOS, 3);
      long events = (long) rate * seconds;
      try (Connection listen = server.connect(); Connection send = server.connect()) {
        try (Statement s = listen.createStatement()) {
          s.execute("LISTEN bench_rtt");
        }
        PGConnection pg = listen.unwrap(PGConnection.class);
        AtomicLong received = new AtomicLong();
        Thread reader = new Thread(() -> {
          try {
            while (received.get() < events) {
              PGNotification[] ns = pg.getNotifications(200);
              if (ns != null) {
                long now = System.nanoTime();
                for (PGNotification n : ns) {
                  h.recordValue(Math.max(0, now - Long.parseLong(n.getParameter())));
                  received.incrementAndGet();
                }
              }
            }
          } catch (SQLException e) {
            System.err.println("notify reader: " + e);
          }
        }, "bench-notify-reader");
        reader.setDaemon(true);
        reader.start();
        try (PreparedStatement ps = send.prepareStatement("SELECT pg_notify('bench_rtt', ?)")) {
          Pacer pacer = new Pacer(System.nanoTime(), rate, 0);
          for (long i = 0; i < events; i++) {
            long intended = pacer.awaitNext();
            ps.setString(1, Long.toString(intended));
            ps.execute();
          }
        }
        reader.join(timeout.toMillis());
      }
      if (round == 1) {
        log("RESULT raw NOTIFY round trip at %,d/s for %d s (autocommit pg_notify -> LISTEN "
            + "connection, from intended send time): p50 %.1f us p90 %.1f us p99 %.1f us "
            + "p99.9 %.1f us max %.1f us", rate, seconds, h.getValueAtPercentile(50) / 1e3,
            h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
            h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
      }
    }
  }

  /** One NOTIFY at a time: send, wait for it on the LISTEN connection, repeat. */
  private void notifyPingPong(int count) throws Exception {
    try (Connection listen = server.connect(); Connection send = server.connect()) {
      try (Statement s = listen.createStatement()) {
        s.execute("LISTEN bench_ping");
      }
      PGConnection pg = listen.unwrap(PGConnection.class);
      try (PreparedStatement ps = send.prepareStatement("SELECT pg_notify('bench_ping', 'x')")) {
        for (int round = 0; round < 2; round++) {
          Histogram h = new Histogram(Scenarios.HIGHEST_TRACKABLE_NANOS, 3);
          for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            ps.execute();
            int got = 0;
            while (got == 0) {
              PGNotification[] ns = pg.getNotifications(1000);
              got = ns == null ? 0 : ns.length;
            }
            h.recordValue(System.nanoTime() - start);
          }
          if (round == 1) {
            log("RESULT raw NOTIFY ping-pong round trip, %,d sequential (pg_notify autocommit "
                + "until received on the LISTEN connection): p50 %.1f us p90 %.1f us p99 %.1f us "
                + "max %.1f us", count, h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getMaxValue() / 1e3);
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- backlog drain

  private void backlog(int events, int members) throws Exception {
    String topic = topic();
    long start = System.nanoTime();
    try (EventBus bus = bus()) {
      PendingPublishes pending = new PendingPublishes(8, timeout);
      for (int sent = 0; sent < events; sent += 1000) {
        List<Event> batch = new ArrayList<>(1000);
        for (int i = 0; i < 1000; i++) {
          batch.add(event(start));
        }
        pending.add(bus.publishAll(topic, batch));
      }
      pending.joinAll(timeout);
    }
    double publishRate = events * 1e9 / (System.nanoTime() - start);
    log("backlog: %,d events published in publishAll batches of 1000 at %,.0f events/s; "
        + "VmHWM so far %s", events, publishRate, status("VmHWM"));
    System.gc();
    long heapBefore = heapUsed();
    resetPeakRss();
    String rssBefore = status("VmRSS");
    AtomicLong peakHeap = new AtomicLong();
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        peakHeap.accumulateAndGet(heapUsed(), Math::max);
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "bench-heap-sampler");
    sampler.setDaemon(true);
    sampler.start();
    Completion completion = new Completion(events);
    long drainStart = System.nanoTime();
    try (EventBus bus = bus()) {
      for (int m = 0; m < members; m++) {
        bus.subscribe(topic, SubscribeOptions.builder().group("drain")
            .startPosition(StartPosition.EARLIEST).build(), new EventHandler() {
              @Override
              public void handle(Delivery d) {
                completion.handled();
              }
            });
      }
      long end = completion.await(timeout, "backlog drain");
      sampler.interrupt();
      double rate = events * 1e9 / (end - drainStart);
      long liveAfterGc = oldGenAfterGc();
      log("RESULT backlog drain of %,d events, 1 group x %d members: %,.0f events/s "
          + "(%.1f s, including member join); heap used after GC before drain %,d MiB, peak heap "
          + "used during drain %,d MiB, max old-gen after GC %,d MiB; RSS before drain %s, "
          + "peak RSS during drain (VmHWM after reset) %s; publish %,.0f events/s",
          events, members, rate, (end - drainStart) / 1e9, heapBefore >> 20, peakHeap.get() >> 20,
          liveAfterGc >> 20, rssBefore, status("VmHWM"), publishRate);
    }
  }

  private static long heapUsed() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long oldGenAfterGc() {
    long max = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP && p.getCollectionUsage() != null
          && (p.getName().contains("Old") || p.getName().contains("Tenured"))) {
        max = Math.max(max, p.getCollectionUsage().getUsed());
      }
    }
    return max;
  }

  private static void resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (IOException e) {
      log("cannot reset VmHWM: %s", e.getMessage());
    }
  }

  private static String status(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return line.substring(field.length() + 1).trim();
        }
      }
    } catch (IOException e) {
      return "?";
    }
    return "?";
  }

  // ---------------------------------------------------------------- helpers

  private EventBus bus() {
    return PostgresTarget.createBus(server, settings);
  }

  private String topic() {
    return "bench-pgx-" + ProcessHandle.current().pid() + "-" + topics.incrementAndGet();
  }

  private Event event(long stamp) {
    return Event.builder().source(SOURCE).type(TYPE)
        .header(RelaybusSession.STAMP_HEADER, Long.toString(stamp))
        .data(payloads[Math.floorMod(nextPayload.getAndIncrement(), payloads.length)])
        .dataContentType("application/json").build();
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static void log(String format, Object... args) {
    System.out.println("[postgres-extra] " + String.format(Locale.ROOT, format, args));
    System.out.flush();
  }
}
