package io.relaybus.examples.configupdates;

import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.examples.Console;
import io.relaybus.examples.PostgresServer;
import io.relaybus.postgres.PostgresTransport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The seed write-up's first scenario on PostgreSQL: configuration updates for destinations are
 * stored and published in one transaction, and two workers of one consumer group apply them.
 * One worker is stopped while updates keep coming, then restarted and takes its share again;
 * the backlog is processed and nothing is lost. One destination is unreachable: its updates are retried, then dead-lettered,
 * and marked {@code failed}. The report shows every update's status
 * ({@code pending}/{@code in_progress}/{@code complete}/{@code failed}) and which worker
 * handled it.
 *
 * <pre>
 * java -cp examples/target/relaybus-examples.jar io.relaybus.examples.configupdates.ConfigUpdates
 * </pre>
 *
 * <p>Uses {@code RELAYBUS_POSTGRES_URL} when set, else an embedded PostgreSQL 17. Exits 0 when
 * the outcome is the expected one, 1 otherwise.
 */
public final class ConfigUpdates {
  /** The consumer group both workers belong to. */
  public static final String GROUP = "config-appliers";
  /** The destination whose updates always fail. */
  public static final String UNREACHABLE = "dest-unreachable";
  private static final int MAX_ATTEMPTS = 3;
  private static final int BEFORE_STOP = 20;
  private static final int WHILE_STOPPED = 20;
  private static final int AFTER_RESTART = 20;
  private static final Duration AFTER_RESTART_SPACING = Duration.ofMillis(100);
  private static final Duration APPLY_TIME = Duration.ofMillis(40);
  private static final Duration PATIENCE = Duration.ofSeconds(90);

  private ConfigUpdates() {}

  /** One update as the report shows it. */
  public record Row(long id, String destination, String setting, String status, String worker,
      int attempts) {}

  /**
   * What happened.
   *
   * @param topic the topic used by this run
   * @param rows every stored update, by id
   * @param deadLetters how many dead letters the group has
   * @param handledAfterRestart updates the restarted worker completed
   * @param rolledBackDelivered whether the update whose transaction rolled back was delivered
   */
  public record Outcome(String topic, List<Row> rows, long deadLetters, int handledAfterRestart,
      boolean rolledBackDelivered) {

    /**
     * Counts rows per status.
     *
     * @return status → count
     */
    public Map<String, Integer> byStatus() {
      Map<String, Integer> counts = new TreeMap<>();
      rows.forEach(r -> counts.merge(r.status(), 1, Integer::sum));
      return counts;
    }

    /**
     * Counts completed rows per worker.
     *
     * @return worker → count
     */
    public Map<String, Integer> completedByWorker() {
      Map<String, Integer> counts = new TreeMap<>();
      rows.stream().filter(r -> r.status().equals("complete"))
          .forEach(r -> counts.merge(r.worker(), 1, Integer::sum));
      return counts;
    }

    /**
     * Whether the run shows what it should: every update complete except the unreachable
     * destination's, which failed after every attempt and are dead letters; nothing pending or
     * in progress; the restarted worker handled part of the backlog; the rolled-back update
     * never delivered.
     *
     * @return true when all of it holds
     */
    public boolean asExpected() {
      long unreachable = rows.stream().filter(r -> r.destination().equals(UNREACHABLE)).count();
      boolean statuses = rows.stream().allMatch(r -> r.destination().equals(UNREACHABLE)
          ? r.status().equals("failed") && r.attempts() == MAX_ATTEMPTS
          : r.status().equals("complete"));
      return statuses && rows.size() == BEFORE_STOP + WHILE_STOPPED + AFTER_RESTART
          && deadLetters == unreachable && handledAfterRestart > 0 && !rolledBackDelivered;
    }
  }

  /**
   * Runs the example on the configured or an embedded PostgreSQL.
   *
   * @param args ignored
   * @throws Exception when the example cannot run
   */
  public static void main(String[] args) throws Exception {
    Console console = new Console(System.out, "config-updates");
    boolean ok;
    try (PostgresServer server = PostgresServer.startOrConnect(console)) {
      ok = run(server, console).asExpected();
    }
    System.exit(ok ? 0 : 1);
  }

  /**
   * Runs the scenario and prints its progress and report.
   *
   * @param server the database
   * @param console where progress goes
   * @return what happened
   * @throws Exception when the database fails
   */
  public static Outcome run(PostgresServer server, Console console) throws Exception {
    String topic = "config-updates.run-" + System.currentTimeMillis();
    try (Connection db = server.connect()) {
      createTable(db);
    }
    console.step("topic %s, group %s, %d attempts per update, updates for %s always fail; "
        + "the bus logs each failed attempt and each dead letter at WARN with its stack trace, "
        + "as it would in production", topic, GROUP, MAX_ATTEMPTS, UNREACHABLE);
    Map<String, String> config = server.busConfig();
    try (EventBus publisher = EventBus.create(config);
        Worker one = new Worker("worker-1", config, server, topic);
        Worker two = new Worker("worker-2", config, server, topic)) {
      one.start();
      two.start();
      PostgresTransport transport = publisher.unwrap(PostgresTransport.class);
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < BEFORE_STOP; i++) {
        ids.add(store(server, transport, topic, i, true));
      }
      long rolledBack = store(server, transport, topic, 999, false);
      console.step("published %d updates, each stored and published in one transaction; one "
          + "more transaction rolled back (update #%d must never be delivered)", BEFORE_STOP,
          rolledBack);

      awaitFinished(server, BEFORE_STOP / 2);
      int beforeStop = two.completed.get();
      two.stop();
      console.step("worker-2 stopped after completing %d; worker-1 completed %d", beforeStop,
          one.completed.get());
      for (int i = BEFORE_STOP; i < BEFORE_STOP + WHILE_STOPPED; i++) {
        ids.add(store(server, transport, topic, i, true));
      }
      console.step("published %d more updates while worker-2 is down; %d still pending",
          WHILE_STOPPED, count(server, "pending"));
      two.start();
      console.step("worker-2 restarted; %d more updates follow, one every %d ms", AFTER_RESTART,
          AFTER_RESTART_SPACING.toMillis());
      for (int i = 0; i < AFTER_RESTART; i++) {
        ids.add(store(server, transport, topic, BEFORE_STOP + WHILE_STOPPED + i, true));
        Thread.sleep(AFTER_RESTART_SPACING.toMillis());
      }

      awaitFinished(server, ids.size());
      int afterRestart = two.completed.get() - beforeStop;
      long deadLetters = publisher.deadLetters().count(topic, GROUP);
      boolean rolledBackDelivered = one.seen(rolledBack) || two.seen(rolledBack);
      Outcome outcome = new Outcome(topic, rows(server), deadLetters, afterRestart,
          rolledBackDelivered);
      report(console, outcome);
      return outcome;
    }
  }

  private static void createTable(Connection db) throws SQLException {
    try (Statement st = db.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS config_demo");
      st.execute("DROP TABLE IF EXISTS config_demo.updates");
      st.execute("CREATE TABLE config_demo.updates ("
          + " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
          + " destination text NOT NULL, setting text NOT NULL, value text NOT NULL,"
          + " status text NOT NULL DEFAULT 'pending'"
          + "   CHECK (status IN ('pending', 'in_progress', 'complete', 'failed')),"
          + " worker text, attempts int NOT NULL DEFAULT 0,"
          + " updated_at timestamptz NOT NULL DEFAULT now())");
    }
  }

  /** Stores one update and publishes its event in the same transaction; returns its id. */
  private static long store(PostgresServer server, PostgresTransport transport, String topic,
      int n, boolean commit) throws SQLException {
    String destination = n % 23 == 5 ? UNREACHABLE : "dest-" + (n % 8);
    ConfigUpdate update;
    try (Connection c = server.connect()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO config_demo.updates "
          + "(destination, setting, value) VALUES (?, ?, ?) RETURNING id")) {
        ps.setString(1, destination);
        ps.setString(2, "timeout-ms");
        ps.setString(3, Integer.toString(1000 + n));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          update = new ConfigUpdate(rs.getLong(1), destination, "timeout-ms",
              Integer.toString(1000 + n));
        }
      }
      // The key orders the updates of one destination: they are applied in publish order.
      transport.publish(c, topic, List.of(Event.builder().source("/config-service")
          .type("config.updated").key(destination).json(update).build()));
      if (commit) {
        c.commit();
      } else {
        c.rollback();
      }
    }
    return update.id();
  }

  private static void awaitFinished(PostgresServer server, int finished) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (count(server, "complete") + count(server, "failed") < finished) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Fewer than " + finished + " updates finished within "
            + PATIENCE);
      }
      Thread.sleep(50);
    }
  }

  private static int count(PostgresServer server, String status) throws SQLException {
    try (Connection c = server.connect();
        PreparedStatement ps = c.prepareStatement(
            "SELECT count(*) FROM config_demo.updates WHERE status = ?")) {
      ps.setString(1, status);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static List<Row> rows(PostgresServer server) throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (Connection c = server.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, destination, setting, status, worker, "
            + "attempts FROM config_demo.updates ORDER BY id")) {
      while (rs.next()) {
        rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
            rs.getString(5), rs.getInt(6)));
      }
    }
    return rows;
  }

  private static void report(Console console, Outcome o) {
    console.raw("");
    console.raw(String.format("  %4s  %-17s %-11s %-9s %s", "id", "destination", "status",
        "worker", "attempts"));
    for (Row r : o.rows()) {
      console.raw(String.format("  %4d  %-17s %-11s %-9s %d", r.id(), r.destination(),
          r.status(), r.worker(), r.attempts()));
    }
    console.raw("");
    console.step("statuses %s; completed per worker %s; worker-2 completed %d after its "
        + "restart; dead letters %d; rolled-back update delivered: %s", o.byStatus(),
        o.completedByWorker(), o.handledAfterRestart(), o.deadLetters(),
        o.rolledBackDelivered() ? "YES (wrong)" : "no");
    console.step(o.asExpected() ? "OK: nothing lost, every update has a final status"
        : "UNEXPECTED outcome (see above)");
  }

  /**
   * The event data.
   *
   * @param id the update's row id
   * @param destination where it applies
   * @param setting the setting's name
   * @param value its new value
   */
  public record ConfigUpdate(long id, String destination, String setting, String value) {}

  /** One worker: its own bus (as a separate process would have) and one subscription. */
  private static final class Worker implements AutoCloseable {
    final String name;
    final Map<String, String> config;
    final PostgresServer server;
    final String topic;
    final AtomicInteger completed = new AtomicInteger();
    final java.util.Set<Long> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    EventBus bus;
    Subscription subscription;

    Worker(String name, Map<String, String> config, PostgresServer server, String topic) {
      this.name = name;
      this.config = config;
      this.server = server;
      this.topic = topic;
    }

    void start() {
      bus = EventBus.create(config);
      subscription = bus.subscribe(topic, SubscribeOptions.builder().group(GROUP)
          .concurrency(2)
          .retryPolicy(RetryPolicy.builder().maxAttempts(MAX_ATTEMPTS)
              .fixedDelay(Duration.ofMillis(200)).build())
          .build(), this::apply);
    }

    boolean seen(long id) {
      return seen.contains(id);
    }

    private void apply(Delivery delivery) throws Exception {
      ConfigUpdate update = delivery.data(ConfigUpdate.class);
      seen.add(update.id());
      setStatus(update.id(), "in_progress", delivery.attempt());
      Thread.sleep(APPLY_TIME.toMillis()); // pushing the setting to the destination
      if (update.destination().equals(UNREACHABLE)) {
        if (delivery.attempt() >= MAX_ATTEMPTS) {
          setStatus(update.id(), "failed", delivery.attempt());
        }
        throw new IllegalStateException(update.destination() + " did not answer");
      }
      setStatus(update.id(), "complete", delivery.attempt());
      completed.incrementAndGet();
    }

    private void setStatus(long id, String status, int attempt) throws SQLException {
      try (Connection c = server.connect();
          PreparedStatement ps = c.prepareStatement("UPDATE config_demo.updates SET status = ?,"
              + " worker = ?, attempts = ?, updated_at = now() WHERE id = ?")) {
        ps.setString(1, status);
        ps.setString(2, name);
        ps.setInt(3, attempt);
        ps.setLong(4, id);
        ps.executeUpdate();
      }
    }

    void stop() {
      subscription.close();
      bus.close();
    }

    @Override
    public void close() {
      if (bus != null && !bus.isClosed()) {
        stop();
      }
    }
  }
}
