package io.relaybus.bench;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.postgres.PostgresTransport;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.WebhookTransport;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What publishing inside the application's transaction costs it: concurrent transactions that
 * each insert a business row, alone ({@code raw}), with one event through {@code
 * PostgresTransport.publish(Connection, …)} ({@code postgres}), or with one event's webhook
 * delivery through {@code WebhookTransport.publish(Connection, …)} ({@code webhook}: the outbox
 * insert and the {@code pg_notify} its senders listen for). The webhook endpoint is disabled, so
 * the deliveries stay in the outbox and only the publishing transaction is measured; the
 * PostgreSQL bus has no subscriber. Embedded PostgreSQL as the other benchmarks start it.
 *
 * <pre>
 * java -cp relaybus-benchmarks.jar io.relaybus.bench.TransactionalPublishPace [transactions] [threads] [rounds]
 * </pre>
 *
 * <p>Defaults: 20,000 transactions per measurement, 4 threads (one connection each), 3 rounds of
 * the three kinds in rotating order after a warm-up; prints every sample, the medians and each
 * kind's median against {@code raw}.
 */
public final class TransactionalPublishPace {
  private static final List<String> KINDS = List.of("raw", "postgres", "webhook");

  private TransactionalPublishPace() {}

  /**
   * Runs the measurement.
   *
   * @param args transactions per measurement, threads, rounds
   * @throws Exception when a transaction fails
   */
  public static void main(String[] args) throws Exception {
    int transactions = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    PostgresServer server = PostgresServer.get();
    String run = Long.toString(System.nanoTime());
    Map<String, String> postgres = new LinkedHashMap<>();
    postgres.put("relaybus.transport", "postgres");
    postgres.put("relaybus.postgres.url", server.url());
    postgres.put("relaybus.postgres.user", server.user());
    postgres.put("relaybus.postgres.schema", "tx_pace_pg_" + run);
    Map<String, String> webhook = new LinkedHashMap<>();
    webhook.put("relaybus.transport", "webhook");
    webhook.put("relaybus.webhook.outbox", "jdbc");
    webhook.put("relaybus.webhook.jdbc.url", server.url());
    webhook.put("relaybus.webhook.jdbc.user", server.user());
    webhook.put("relaybus.webhook.jdbc.schema", "tx_pace_wh_" + run);
    webhook.put("relaybus.webhook.ssrf.allow-categories", "loopback");
    if (server.password() != null && !server.password().isEmpty()) {
      postgres.put("relaybus.postgres.password", server.password());
      webhook.put("relaybus.webhook.jdbc.password", server.password());
    }
    String table = "tx_pace_orders_" + run;
    try (EventBus pgBus = EventBus.create(postgres); EventBus whBus = EventBus.create(webhook);
        Connection admin = connect(server)) {
      try (Statement st = admin.createStatement()) {
        st.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY, customer text, "
            + "cents bigint)");
      }
      WebhookTransport webhooks = whBus.unwrap(WebhookTransport.class);
      webhooks.endpoints().add(WebhookEndpoint.builder("partner")
          .url("http://127.0.0.1:9/hooks").topics("orders").build());
      webhooks.endpoints().disable("partner"); // deliveries stay: the transaction is measured
      Writer writer = new Writer(server, table, pgBus.unwrap(PostgresTransport.class),
          webhooks, threads);
      for (String kind : KINDS) {
        writer.measure(kind, Math.max(1, transactions / 10)); // warm-up
      }
      Map<String, List<Double>> samples = new LinkedHashMap<>();
      for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < KINDS.size(); k++) {
          String kind = KINDS.get((k + r) % KINDS.size());
          samples.computeIfAbsent(kind, x -> new ArrayList<>())
              .add(writer.measure(kind, transactions));
        }
      }
      double raw = Metric.median(samples.get("raw"));
      System.out.printf("transactions of one business row, %d threads, %,d per sample%n",
          threads, transactions);
      for (String kind : KINDS) {
        List<Double> s = samples.get(kind);
        StringBuilder all = new StringBuilder();
        for (double v : s) {
          all.append(String.format(" %,.0f", v));
        }
        double median = Metric.median(s);
        System.out.printf("%-8s median %,.0f transactions/s (%.2fx raw); samples:%s%n", kind,
            median, median / raw, all);
      }
    }
  }

  private static Connection connect(PostgresServer server) throws SQLException {
    return DriverManager.getConnection(server.url(), server.user(), server.password());
  }

  /** The threads and their connections, one transaction after another. */
  private static final class Writer {
    private final PostgresServer server;
    private final String table;
    private final PostgresTransport postgres;
    private final WebhookTransport webhooks;
    private final int threads;
    private final AtomicLong ids = new AtomicLong();

    Writer(PostgresServer server, String table, PostgresTransport postgres,
        WebhookTransport webhooks, int threads) {
      this.server = server;
      this.table = table;
      this.postgres = postgres;
      this.webhooks = webhooks;
      this.threads = threads;
    }

    /** Runs {@code transactions} transactions of {@code kind}; returns transactions per second. */
    double measure(String kind, int transactions) throws Exception {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
          int share = transactions / threads + (t < transactions % threads ? 1 : 0);
          done.add(pool.submit(() -> {
            write(kind, share);
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
        return transactions / ((System.nanoTime() - start) / 1e9);
      } finally {
        pool.shutdown();
      }
    }

    private void write(String kind, int count) throws SQLException {
      try (Connection c = connect(server); PreparedStatement insert = c.prepareStatement(
          "INSERT INTO " + table + " (id, customer, cents) VALUES (?, ?, ?)")) {
        c.setAutoCommit(false);
        for (int i = 0; i < count; i++) {
          long id = ids.incrementAndGet();
          insert.setLong(1, id);
          insert.setString(2, "customer-" + (id % 100));
          insert.setLong(3, id * 7 % 10_000);
          insert.executeUpdate();
          if (!kind.equals("raw")) {
            List<Event> event = List.of(RelaybusSession.event(Payloads.json(Payloads.SIZE),
                System.nanoTime()));
            if (kind.equals("postgres")) {
              postgres.publish(c, "orders", event);
            } else {
              webhooks.publish(c, "orders", event);
            }
          }
          c.commit();
        }
      }
    }
  }
}
