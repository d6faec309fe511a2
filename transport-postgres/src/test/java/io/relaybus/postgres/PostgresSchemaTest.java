package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.relaybus.ConfigurationException;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RelaybusException;
import io.relaybus.tck.Recorder;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Schema creation and migration: idempotent, safe when several processes start at once, off on
 * request (then a missing schema is a clear error), and in any configured schema.
 */
class PostgresSchemaTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_schema");
  private final TestBuses buses = DB.buses(Map.of("relaybus.postgres.poll-interval", "200ms"));

  private Map<String, String> config(String schema, Map<String, String> overrides) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("relaybus.postgres.schema", schema);
    settings.putAll(overrides);
    return buses.config(settings);
  }

  private EventBus bus(String schema, Map<String, String> overrides) {
    return buses.create(config(schema, overrides));
  }

  private static long query(String sql) {
    return DB.queryLong(sql);
  }

  /** Sessions Relaybus holds on this database: application name, state and last query. */
  private static List<String> relaybusSessions() {
    List<String> sessions = new ArrayList<>();
    try (Connection c = DB.connect("schema-test-check");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT application_name, state, left(query, 80) FROM "
            + "pg_stat_activity WHERE datname = current_database() AND application_name LIKE "
            + "'relaybus-%'")) {
      while (rs.next()) {
        sessions.add(rs.getString(1) + " [" + rs.getString(2) + "] " + rs.getString(3));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return sessions;
  }

  private static void assertNoSessionLeft() {
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(relaybusSessions())
        .as("connections left open by a bus that failed to start").isEmpty());
  }

  private static void dropSchema(String schema) {
    DB.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }

  @Test
  @DisplayName("migration is idempotent: buses started one after another keep the version and data")
  void migrationIsIdempotent() {
    String schema = "idempotent";
    dropSchema(schema);
    EventBus first = bus(schema, Map.of());
    first.publish("schema.kept", Event.builder().id("kept").source("urn:t").type("t").build())
        .join();
    first.close();
    bus(schema, Map.of()).close();
    bus(schema, Map.of());

    assertThat(query("SELECT count(*) FROM " + schema + ".schema_version"))
        .isEqualTo(SchemaMigrator.CURRENT_VERSION);
    assertThat(query("SELECT max(version) FROM " + schema + ".schema_version"))
        .isEqualTo(SchemaMigrator.CURRENT_VERSION);
    assertThat(query("SELECT count(*) FROM " + schema + ".events WHERE id = 'kept'")).isOne();
  }

  @Test
  @DisplayName("version 3 stores packs uncompressed, and a version-2 schema is brought to it")
  void version3StoresPacksUncompressed() {
    String schema = "uncompressed";
    dropSchema(schema);
    bus(schema, Map.of()).close();
    assertPacksUncompressed(schema);

    // A schema left at version 2: compressed storage, no row for version 3.
    DB.execute("ALTER TABLE " + schema + ".packs ALTER COLUMN data SET STORAGE "
        + "EXTENDED, ALTER COLUMN ids SET STORAGE EXTENDED, RESET (toast_tuple_target)");
    DB.execute("DELETE FROM " + schema + ".schema_version WHERE version >= 3");
    bus(schema, Map.of());
    assertPacksUncompressed(schema);
    assertThat(query("SELECT max(version) FROM " + schema + ".schema_version"))
        .isEqualTo(SchemaMigrator.CURRENT_VERSION);
  }

  @Test
  @DisplayName("version 4 adds the dead-letter search indexes to a version-3 schema, also when "
      + "a DBA created them already")
  void version4AddsDeadLetterIndexes() {
    String schema = "dead_letter_indexes";
    dropSchema(schema);
    bus(schema, Map.of()).close();
    assertThat(deadLetterIndexes(schema)).isEqualTo(2);

    // A version-3 schema: without the indexes, then with them but without the version row.
    DB.execute("DROP INDEX " + schema + ".dead_letters_topic, " + schema
        + ".dead_letters_event");
    DB.execute("DELETE FROM " + schema + ".schema_version WHERE version = 4");
    bus(schema, Map.of()).close();
    assertThat(deadLetterIndexes(schema)).isEqualTo(2);
    DB.execute("DELETE FROM " + schema + ".schema_version WHERE version = 4");
    bus(schema, Map.of()).close();
    assertThat(deadLetterIndexes(schema)).isEqualTo(2);
    assertThat(query("SELECT max(version) FROM " + schema + ".schema_version")).isEqualTo(4);
  }

  private static long deadLetterIndexes(String schema) {
    return query("SELECT count(*) FROM pg_indexes WHERE schemaname = '" + schema + "' AND "
        + "indexname IN ('dead_letters_topic', 'dead_letters_event')");
  }

  private static void assertPacksUncompressed(String schema) {
    String packs = "'" + schema + ".packs'::regclass";
    assertThat(query("SELECT count(*) FROM pg_attribute WHERE attrelid = " + packs
        + " AND attnum > 0 AND NOT attisdropped AND attndims > 0 AND attstorage <> 'e'"))
        .as("array columns of packs not EXTERNAL").isZero();
    assertThat(query("SELECT count(*) FROM pg_attribute WHERE attrelid = " + packs
        + " AND attnum > 0 AND NOT attisdropped AND attstorage = 'e'"))
        .as("EXTERNAL columns of packs").isEqualTo(11);
    assertThat(query("SELECT count(*) FROM pg_class WHERE oid = " + packs
        + " AND 'toast_tuple_target=8160' = ANY (reloptions)")).isOne();
  }

  @Test
  @DisplayName("several buses starting at once on a fresh schema all succeed and it is applied "
      + "once")
  void concurrentStartsOnFreshSchema() throws Exception {
    String schema = "concurrent";
    dropSchema(schema);
    int starters = 6;
    CyclicBarrier barrier = new CyclicBarrier(starters);
    ExecutorService pool = Executors.newFixedThreadPool(starters);
    List<EventBus> started = new ArrayList<>();
    try {
      List<Future<EventBus>> futures = new ArrayList<>();
      for (int i = 0; i < starters; i++) {
        futures.add(pool.submit(() -> {
          barrier.await(30, TimeUnit.SECONDS);
          return EventBus.create(config(schema, Map.of()));
        }));
      }
      List<Throwable> failures = new ArrayList<>();
      for (Future<EventBus> f : futures) {
        try {
          started.add(f.get(60, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          failures.add(e.getCause());
        }
      }
      started.forEach(buses::track);
      assertThat(failures).as("buses that failed to start").isEmpty();
    } finally {
      pool.shutdownNow();
    }
    assertThat(query("SELECT count(*) FROM " + schema + ".schema_version"))
        .isEqualTo(SchemaMigrator.CURRENT_VERSION);

    Recorder recorder = new Recorder();
    started.get(0).subscribe("schema.concurrent", "g", d -> recorder.record("m", d));
    started.get(started.size() - 1).publish("schema.concurrent",
        Event.builder().id("after-start").source("urn:t").type("t").build()).join();
    await().atMost(PATIENCE).until(() -> recorder.ids().contains("after-start"));
  }

  @Test
  @DisplayName("auto-ddl=false on an empty schema fails at start with a message naming the "
      + "schema and the setting, and leaves no connection behind")
  void autoDdlOffOnEmptySchemaFails() {
    dropSchema("absent");
    dropSchema("empty");
    DB.execute("CREATE SCHEMA empty");
    Map<String, Throwable> failures = new LinkedHashMap<>();
    for (String schema : List.of("absent", "empty")) {
      failures.put(schema, catchThrowable(() -> bus(schema,
          Map.of("relaybus.postgres.auto-ddl", "false"))));
    }
    assertThat(query("SELECT count(*) FROM pg_namespace WHERE nspname = 'absent'"))
        .as("nothing created without auto-ddl").isZero();
    assertThat(query("SELECT count(*) FROM pg_tables WHERE schemaname = 'empty'")).isZero();
    assertNoSessionLeft();
    failures.forEach((schema, failure) -> assertThat(failure).as("start on schema %s", schema)
        .isInstanceOf(RelaybusException.class)
        .hasMessageContaining(schema)
        .hasMessageContaining("relaybus.postgres.auto-ddl"));
  }

  @Test
  @DisplayName("auto-ddl=false on a migrated schema starts and works")
  void autoDdlOffOnMigratedSchemaWorks() {
    String schema = "premigrated";
    dropSchema(schema);
    bus(schema, Map.of()).close();
    EventBus bus = bus(schema, Map.of("relaybus.postgres.auto-ddl", "false"));
    Recorder recorder = new Recorder();
    bus.subscribe("schema.manual", "g", d -> recorder.record("m", d));
    bus.publish("schema.manual", Event.builder().id("e").source("urn:t").type("t").build())
        .join();
    await().atMost(PATIENCE).until(() -> recorder.ids().contains("e"));
  }

  @Test
  @DisplayName("a schema newer than this Relaybus is refused with an upgrade hint")
  void newerSchemaIsRefused() {
    String schema = "from_the_future";
    dropSchema(schema);
    bus(schema, Map.of()).close();
    DB.execute("INSERT INTO " + schema + ".schema_version (version) VALUES ("
        + (SchemaMigrator.CURRENT_VERSION + 1) + ")");
    assertThatThrownBy(() -> bus(schema, Map.of()))
        .hasMessageContaining(schema)
        .hasMessageContaining("version " + (SchemaMigrator.CURRENT_VERSION + 1));
    assertNoSessionLeft();
  }

  @Test
  @DisplayName("a custom schema holds every table, notifies on <schema>_events, and is "
      + "isolated from another schema in the same database")
  void customSchemaWorksAndIsIsolated() throws Exception {
    dropSchema("tenant_a");
    dropSchema("tenant_b");
    EventBus a = bus("tenant_a", Map.of("relaybus.postgres.poll-interval", "10m",
        "relaybus.postgres.lease-timeout", "10m"));
    EventBus b = bus("Tenant_B", Map.of());
    for (String table : List.of("schema_version", "topics", "events", "packs", "cursors",
        "members", "attempts", "dead_letters")) {
      assertThat(query("SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_a' AND "
          + "tablename = '" + table + "'")).as("tenant_a.%s", table).isOne();
      assertThat(query("SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_b' AND "
          + "tablename = '" + table + "'")).as("tenant_b.%s", table).isOne();
    }

    Recorder inA = new Recorder();
    Recorder inB = new Recorder();
    a.subscribe("shared.topic", "g", d -> inA.record("a", d));
    b.subscribe("shared.topic", "g", d -> inB.record("b", d));

    try (Connection listener = DB.connect("schema-test-listener")) {
      try (Statement st = listener.createStatement()) {
        st.execute("LISTEN tenant_a_events");
      }
      // Plain SQL into tenant_a is delivered promptly although members poll every 10m: the
      // bus listens on tenant_a_events (or scans right after it starts listening).
      DB.execute("SELECT tenant_a.publish('shared.topic', 'urn:sql', 'probe')");
      await().atMost(Duration.ofSeconds(5)).until(() -> inA.distinct() == 1);
      PGNotification[] seen = listener.unwrap(PGConnection.class).getNotifications(5_000);
      assertThat(seen).isNotNull();
      assertThat(seen).extracting(PGNotification::getParameter).contains("shared.topic");
    }

    b.publish("shared.topic", Event.builder().id("only-b").source("urn:t").type("t").build())
        .join();
    await().atMost(PATIENCE).until(() -> inB.ids().contains("only-b"));
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(15))
        .until(() -> !inA.ids().contains("only-b"));
    assertThat(inB.ids()).as("tenant_b saw nothing of tenant_a").containsExactly("only-b");
    assertThat(query("SELECT count(*) FROM tenant_a.all_events WHERE id = 'only-b'")).isZero();
    assertThat(query("SELECT count(*) FROM pg_namespace WHERE nspname = 'relaybus'"))
        .as("no default schema created").isZero();
  }

  @Test
  @DisplayName("the longest schema name, 50 characters, notifies on its 57-character channel "
      + "<schema>_events (PostgreSQL identifiers hold 63 bytes); 51 characters are refused at "
      + "start, naming the setting and the channel, with nothing created")
  void longestSchemaNameNotifiesOnItsChannelAndOneMoreIsRefused() throws Exception {
    String longest = "s".repeat(49) + "x";
    dropSchema(longest);
    EventBus bus = bus(longest, Map.of("relaybus.postgres.poll-interval", "10m",
        "relaybus.postgres.lease-timeout", "10m"));
    Recorder seen = new Recorder();
    bus.subscribe("orders", "g", d -> seen.record("m", d));
    try (Connection listener = DB.connect("schema-test-long-listener")) {
      try (Statement st = listener.createStatement()) {
        st.execute("LISTEN " + longest + "_events");
      }
      bus.publish("orders", Event.builder().source("urn:t").type("t").build()).join();
      // Members poll every 10m: prompt delivery means the bus's own LISTEN works on the
      // 57-character channel.
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.distinct() == 1);
      PGNotification[] notes = listener.unwrap(PGConnection.class).getNotifications(5_000);
      assertThat(notes).isNotNull();
      assertThat(notes).extracting(PGNotification::getName).contains(longest + "_events");
    }

    String tooLong = longest + "y";
    assertThatThrownBy(() -> bus(tooLong, Map.of()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.postgres.schema='" + tooLong + "' is invalid: use 1-50 "
            + "characters")
        .hasMessageContaining("its NOTIFY channel, <schema>_events, must fit PostgreSQL's "
            + "63-byte identifiers");
    assertThat(query("SELECT count(*) FROM pg_namespace WHERE nspname = '" + tooLong + "'"))
        .as("nothing created").isZero();
  }

  @Test
  @DisplayName("a schema name is used lower-cased, and SQL in it never runs")
  void schemaNameCannotInjectSql() throws SQLException {
    assertThatThrownBy(() -> bus("x; DROP TABLE pg_class; --", Map.of()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.postgres.schema");
    try (Connection c = DB.connect("schema-test-check")) {
      assertThat(c.isValid(5)).isTrue();
    }
  }
}
