package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.Capability;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.ops.Health;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.webhook.testing.ScriptedReceiver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Publishing inside the caller's transaction with the JDBC outbox: the deliveries exist if and
 * only if the caller commits, and a sender learns of them at commit through its LISTEN
 * connection, not at its next poll. The dispatcher here polls once a minute and renews leases
 * every few minutes, so a delivery seen within seconds was woken by the notification.
 */
class TransactionalPublishTest {
  private static final Duration WELL_BEFORE_THE_POLL = Duration.ofSeconds(15);
  private static final String LISTENER = "relaybus-webhook-listener";

  @Test
  void deliveriesAndTheBusinessRowCommitTogetherAndGoOutAtCommit() throws Exception {
    try (Sender s = Sender.listening("tx_publish_commit")) {
      ScriptedReceiver r = s.receiver();
      WebhookTransport webhooks = s.webhooks();
      Map<String, String> config = s.config();
      assertThat(s.bus().capabilities().has(Capability.TRANSACTIONAL_PUBLISH)).isTrue();
      try (Connection c = connect(config)) {
        createOrders(c);
        c.setAutoCommit(false);
        insertOrder(c, "o-1");
        List<PublishReceipt> receipts = webhooks.publish(c, "orders", List.of(
            event("o-1"), event("o-2")));
        assertThat(receipts).extracting(PublishReceipt::position)
            .containsOnly("deliveries=2");
        try (Connection other = connect(config)) {
          assertThat(count(other, "SELECT count(*) FROM relaybus_webhook.delivery"))
              .as("deliveries are invisible until the caller commits").isZero();
        }
        c.commit();
        await().atMost(WELL_BEFORE_THE_POLL).until(() -> r.accepted().size() == 2);
        assertThat(r.accepted()).extracting(q -> q.event().subject().orElseThrow())
            .containsExactlyInAnyOrder("o-1", "o-2");
        assertThat(count(c, "SELECT count(*) FROM orders")).isEqualTo(1);
      }
    }
  }

  @Test
  void aRolledBackPublishStoresAndSendsNothing() throws Exception {
    try (Sender s = Sender.listening("tx_publish_rollback")) {
      ScriptedReceiver r = s.receiver();
      WebhookTransport webhooks = s.webhooks();
      Map<String, String> config = s.config();
      try (Connection c = connect(config)) {
        createOrders(c);
        c.setAutoCommit(false);
        insertOrder(c, "rolled-back");
        webhooks.publish(c, "orders", List.of(event("rolled-back")));
        c.rollback();
        insertOrder(c, "committed");
        webhooks.publish(c, "orders", List.of(event("committed")));
        c.commit();
        await().atMost(WELL_BEFORE_THE_POLL).until(() -> r.accepted().size() == 1);
        assertThat(r.accepted().get(0).event().subject()).contains("committed");
        // Counted, not assumed: the outbox holds nothing more, the orders table one row.
        await().atMost(Duration.ofSeconds(10)).until(() ->
            count(c, "SELECT count(*) FROM relaybus_webhook.delivery") == 0);
        assertThat(count(c, "SELECT count(*) FROM relaybus_webhook.attempt")).isEqualTo(1);
        assertThat(count(c, "SELECT count(*) FROM orders")).isEqualTo(1);
        assertThat(r.requests()).hasSize(1);
      }
    }
  }

  @Test
  void oneEventGetsADeliveryPerMatchingEndpointAndATopicNobodyTakesNone() throws Exception {
    try (Sender s = Sender.listening("tx_publish_routes")) {
      ScriptedReceiver r = s.receiver();
      WebhookTransport webhooks = s.webhooks();
      Map<String, String> config = s.config();
      webhooks.endpoints().add(WebhookEndpoint.builder("everything").url(r.url("/all"))
          .topics("*").build());
      try (Connection c = connect(config)) {
        c.setAutoCommit(false);
        assertThat(webhooks.publish(c, "orders", List.of(event("both"))))
            .extracting(PublishReceipt::position).containsExactly("deliveries=2");
        assertThat(webhooks.publish(c, "refunds", List.of(event("one"))))
            .extracting(PublishReceipt::position).containsExactly("deliveries=1");
        c.commit();
      }
      await().atMost(WELL_BEFORE_THE_POLL).until(() -> r.accepted().size() == 3);
      assertThat(r.accepted()).extracting(q -> q.path() + " " + q.event().subject().orElseThrow())
          .containsExactlyInAnyOrder("/orders both", "/all both", "/all one");
      webhooks.endpoints().remove("everything");
      try (Connection c = connect(config)) {
        assertThat(webhooks.publish(c, "refunds", List.of(event("nobody"))))
            .extracting(PublishReceipt::position).containsExactly("deliveries=0");
        assertThat(webhooks.publish(c, "refunds", List.of())).isEmpty();
      }
    }
  }

  @Test
  void aLostListenConnectionDegradesHealthAndIsReestablished() throws Exception {
    PostgresServer server = PostgresServer.shared();
    try (Sender s = Sender.listening("tx_publish_relisten");
        Connection admin = DriverManager.getConnection(server.jdbcUrl(), server.user(),
            server.password())) {
      ScriptedReceiver r = s.receiver();
      EventBus bus = s.bus();
      WebhookTransport webhooks = s.webhooks();
      Map<String, String> config = s.config();
      long first = listenerPid(admin, "tx_publish_relisten");
      assertThat(first).isNotZero();
      try (Statement st = admin.createStatement()) {
        // The listener cannot log in again until the database allows connections again.
        st.execute("ALTER DATABASE tx_publish_relisten WITH ALLOW_CONNECTIONS false");
        st.execute("SELECT pg_terminate_backend(" + first + ")");
      }
      try {
        await().atMost(Duration.ofSeconds(20)).until(() ->
            listen(bus).map(h -> h.status() == Health.Status.DEGRADED).orElse(false));
        assertThat(listen(bus).orElseThrow().reason()).hasValueSatisfying(reason ->
            assertThat(reason).contains("LISTEN connection lost"));
      } finally {
        try (Statement st = admin.createStatement()) {
          st.execute("ALTER DATABASE tx_publish_relisten WITH ALLOW_CONNECTIONS true");
        }
      }
      awaitListening(bus, "tx_publish_relisten");
      assertThat(listenerPid(admin, "tx_publish_relisten")).isNotEqualTo(first);
      try (Connection c = connect(config)) {
        c.setAutoCommit(false);
        webhooks.publish(c, "orders", List.of(event("after-reconnect")));
        c.commit();
      }
      await().atMost(WELL_BEFORE_THE_POLL).until(() -> r.accepted().size() == 1);
    }
  }

  @Test
  void onTheApplicationsDataSourceOneConnectionListensAndGoesBackUnlistened() throws Exception {
    Map<String, String> urlConfig = config("tx_publish_datasource", "60s");
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(urlConfig.get("relaybus.webhook.jdbc.url"));
    pool.setUsername(urlConfig.get("relaybus.webhook.jdbc.user"));
    pool.setPassword(urlConfig.get("relaybus.webhook.jdbc.password"));
    pool.setMaximumPoolSize(4);
    Map<String, String> config = new HashMap<>(urlConfig);
    config.keySet().removeIf(k -> k.startsWith("relaybus.webhook.jdbc.")
        || k.equals("relaybus.webhook.outbox"));
    try (ScriptedReceiver r = ScriptedReceiver.start();
        HikariDataSource app = new HikariDataSource(pool)) {
      try (EventBus bus = EventBus.builder().properties(config)
          .provider(WebhookTransportProvider.withDataSource(app)).build()) {
        WebhookTransport webhooks = bus.unwrap(WebhookTransport.class);
        webhooks.endpoints().add(endpoint(r));
        // The listener holds one of the pool's connections while it listens.
        await().atMost(Duration.ofSeconds(20)).until(() ->
            app.getHikariPoolMXBean().getActiveConnections() == 1
                && listen(bus).map(h -> h.status() == Health.Status.UP).orElse(false));
        try (Connection c = app.getConnection()) {
          c.setAutoCommit(false);
          webhooks.publish(c, "orders", List.of(event("through-the-pool")));
          c.commit();
        }
        await().atMost(WELL_BEFORE_THE_POLL).until(() -> r.accepted().size() == 1);
      }
      assertThat(app.getHikariPoolMXBean().getActiveConnections())
          .as("the listener's connection is back in the pool").isZero();
      List<Connection> all = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          all.add(app.getConnection());
        }
        for (Connection c : all) {
          assertThat(count(c, "SELECT count(*) FROM pg_listening_channels()"))
              .as("a pooled connection still listening").isZero();
        }
      } finally {
        for (Connection c : all) {
          c.close();
        }
      }
    }
  }

  @Test
  void pollOnlyHoldsNoListenConnectionAndFindsCommittedDeliveriesByPolling()
      throws Exception {
    Map<String, String> config = config("tx_publish_poll_only", "200ms");
    config.put("relaybus.webhook.jdbc.poll-only", "true");
    PostgresServer server = PostgresServer.shared();
    try (ScriptedReceiver r = ScriptedReceiver.start();
        EventBus bus = EventBus.create(config);
        Connection admin = DriverManager.getConnection(server.jdbcUrl(), server.user(),
            server.password())) {
      WebhookTransport webhooks = bus.unwrap(WebhookTransport.class);
      webhooks.endpoints().add(endpoint(r));
      try (Connection c = connect(config)) {
        c.setAutoCommit(false);
        webhooks.publish(c, "orders", List.of(event("polled")));
        c.commit();
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 1);
      assertThat(listen(bus)).isEmpty();
      assertThat(count(admin, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
          + "'tx_publish_poll_only' AND application_name = '" + LISTENER + "'")).isZero();
    }
  }

  @Test
  void theMemoryOutboxDeclaresNoTransactionalPublishRefusesOneAndNamesTheSetting() throws Exception {
    PostgresServer server = PostgresServer.shared();
    try (EventBus bus = EventBus.create(Map.of("relaybus.transport", "webhook"));
        Connection c = DriverManager.getConnection(server.jdbcUrl(), server.user(),
            server.password())) {
      assertThat(bus.capabilities().has(Capability.TRANSACTIONAL_PUBLISH)).isFalse();
      assertThatThrownBy(() -> bus.unwrap(WebhookTransport.class).publish(c, "orders",
          List.of(event("x"))))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("topic 'orders'")
          .hasMessageContaining("relaybus.webhook.outbox=jdbc");
    }
  }

  /**
   * A sender on a fresh database with the endpoint {@code orders}, a 60 s poll-interval, and its
   * LISTEN connection up.
   */
  private record Sender(ScriptedReceiver receiver, EventBus bus, WebhookTransport webhooks,
      Map<String, String> config) implements AutoCloseable {
    static Sender listening(String database) throws SQLException {
      Map<String, String> config = TransactionalPublishTest.config(database, "60s");
      ScriptedReceiver receiver = ScriptedReceiver.start();
      EventBus bus = EventBus.create(config);
      WebhookTransport webhooks = bus.unwrap(WebhookTransport.class);
      webhooks.endpoints().add(endpoint(receiver));
      awaitListening(bus, database);
      return new Sender(receiver, bus, webhooks, config);
    }

    @Override
    public void close() {
      bus.close();
      receiver.close();
    }
  }

  private static Map<String, String> config(String database, String pollInterval) {
    Map<String, String> config = TestDatabase.jdbcOutbox(database);
    config.put("relaybus.transport", "webhook");
    config.put("relaybus.webhook.ssrf.allow-categories", "loopback");
    config.put("relaybus.webhook.poll-interval", pollInterval);
    config.put("relaybus.webhook.lease", "10m"); // renewals (every third) wake nothing here
    config.put("relaybus.health.grace-period", "2s");
    return config;
  }

  private static WebhookEndpoint endpoint(ScriptedReceiver r) {
    return WebhookEndpoint.builder("orders").url(r.url("/orders")).topics("orders").build();
  }

  private static Event event(String order) {
    return Event.builder().source("/shop").type("order.placed").subject(order).build();
  }

  private static Connection connect(Map<String, String> config) throws SQLException {
    return DriverManager.getConnection(config.get("relaybus.webhook.jdbc.url"),
        config.get("relaybus.webhook.jdbc.user"), config.get("relaybus.webhook.jdbc.password"));
  }

  private static void createOrders(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY)");
    }
  }

  private static void insertOrder(Connection c, String id) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("INSERT INTO orders VALUES ('" + id + "')");
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Optional<Health.Component> listen(EventBus bus) {
    return bus.operations().health().components().stream()
        .filter(c -> c.name().equals("webhook.listen")).findFirst();
  }

  /**
   * Until the listener's connection is open and its component up (it reports up once LISTEN
   * ran; the component starts up, as every component does before its first check).
   */
  private static void awaitListening(EventBus bus, String database) throws SQLException {
    PostgresServer server = PostgresServer.shared();
    try (Connection admin = DriverManager.getConnection(server.jdbcUrl(), server.user(),
        server.password())) {
      await().atMost(Duration.ofSeconds(20)).until(() -> listenerPid(admin, database) != 0
          && listen(bus).map(h -> h.status() == Health.Status.UP).orElse(false));
    }
  }

  /** The listener's backend, 0 when there is none. */
  private static long listenerPid(Connection admin, String database) throws SQLException {
    try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT pid FROM pg_stat_activity WHERE datname = '" + database
            + "' AND application_name = '" + LISTENER + "'")) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }
}
