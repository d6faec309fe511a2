package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.ConfigurationException;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RelaybusException;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.spi.Settings;
import io.relaybus.tck.Recorder;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code relaybus.postgres.*} configuration: every bad value fails at start, all of them
 * reported together with the key and what is allowed, and the password never shows up in a
 * message or a {@code toString()}.
 */
class PostgresConfigTest {
  private static final String SECRET = "S3cr3t-Pa55w0rd-do-not-print";
  /** A role whose (real) password is distinctive enough to search for in strings. */
  private static final String ROLE = "relaybus_config_app";
  private static final String ROLE_PASSWORD = "R0le-Pa55w0rd-never-shown";

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_config");
  /** A database no bus may touch: the one a bus that fails to start was given. */
  @RegisterExtension
  static final TestDatabase UNTOUCHED = new TestDatabase("relaybus_config_untouched");
  private final TestBuses buses = DB.buses();

  @BeforeAll
  static void createRole() {
    PostgresServer server = DB.server();
    server.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ROLE
        + "') THEN CREATE ROLE " + ROLE + " LOGIN; END IF; END $$");
    server.execute("ALTER ROLE " + ROLE + " PASSWORD '" + ROLE_PASSWORD + "'");
    server.execute("GRANT ALL ON DATABASE relaybus_config TO " + ROLE);
  }

  /** Every message in the cause chain, and their toString()s. */
  private static String everythingSaid(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c).append('\n').append(c.getMessage()).append('\n');
      for (Throwable s : c.getSuppressed()) {
        sb.append(everythingSaid(s));
      }
    }
    return sb.toString();
  }

  @Test
  @DisplayName("a missing url is a ConfigurationException naming relaybus.postgres.url")
  void missingUrl() {
    Map<String, String> config = buses.connection();
    config.remove("relaybus.postgres.url");
    config.put("relaybus.postgres.password", SECRET);
    assertThatThrownBy(() -> buses.create(config))
        .isInstanceOfSatisfying(ConfigurationException.class, e -> {
          assertThat(e.problems()).singleElement().asString()
              .contains("relaybus.postgres.url").contains("required");
          assertThat(everythingSaid(e)).doesNotContain(SECRET);
        });
  }

  @Test
  @DisplayName("bad values are reported together, each naming its key and what is allowed")
  void badValuesReportedTogether() {
    Map<String, String> config = buses.connection();
    config.put("relaybus.postgres.url", UNTOUCHED.url());
    config.put("relaybus.postgres.password", SECRET);
    config.put("relaybus.postgres.pool-size", "0");
    config.put("relaybus.postgres.notify", "sometimes");
    config.put("relaybus.postgres.schema", "bad-name");
    config.put("relaybus.postgres.poll-interval", "fast");
    config.put("relaybus.postgres.auto-ddl", "maybe");
    assertThatThrownBy(() -> buses.create(config))
        .isInstanceOfSatisfying(ConfigurationException.class, e -> {
          assertThat(e.problems()).hasSize(5);
          assertThat(e.problems()).anySatisfy(p -> assertThat(p)
              .contains("relaybus.postgres.pool-size").contains("'0'").contains("integer from"));
          assertThat(e.problems()).anySatisfy(p -> assertThat(p)
              .contains("relaybus.postgres.notify").contains("sometimes")
              .contains("coalesced").contains("transactional").contains("off"));
          assertThat(e.problems()).anySatisfy(p -> assertThat(p)
              .contains("relaybus.postgres.schema").contains("bad-name"));
          assertThat(e.problems()).anySatisfy(p -> assertThat(p)
              .contains("relaybus.postgres.poll-interval").contains("fast"));
          assertThat(e.problems()).anySatisfy(p -> assertThat(p)
              .contains("relaybus.postgres.auto-ddl").contains("true or false"));
          assertThat(everythingSaid(e)).doesNotContain(SECRET);
        });
    assertThat(UNTOUCHED.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname "
        + "= 'relaybus'")).as("nothing touched the database").isZero();
  }

  @Test
  @DisplayName("a misspelt key is reported with a suggestion, without its value")
  void misspeltKey() {
    Map<String, String> config = buses.connection();
    config.put("relaybus.postgres.pasword", SECRET);
    assertThatThrownBy(() -> buses.create(config))
        .isInstanceOfSatisfying(ConfigurationException.class, e -> {
          assertThat(e.getMessage()).contains("relaybus.postgres.pasword")
              .contains("relaybus.postgres.password");
          assertThat(everythingSaid(e)).doesNotContain(SECRET);
        });
  }

  @Test
  @DisplayName("a wrong password fails the start without printing the password")
  void wrongPasswordIsNotPrinted() {
    Map<String, String> config = buses.connection();
    config.put("relaybus.postgres.user", ROLE);
    config.put("relaybus.postgres.password", SECRET);
    assertThatThrownBy(() -> buses.create(config))
        .isInstanceOfSatisfying(RelaybusException.class, e -> {
          assertThat(e.getMessage()).contains("relaybus");
          assertThat(everythingSaid(e)).doesNotContain(SECRET);
        });
  }

  @Test
  @DisplayName("a password inside the JDBC URL does not appear in errors either")
  void passwordInUrlIsNotPrinted() {
    Map<String, String> config = buses.connection();
    config.remove("relaybus.postgres.password");
    config.put("relaybus.postgres.url", DB.url() + "?password=" + SECRET + "&connectTimeout=2");
    config.put("relaybus.postgres.schema", "Not Valid");
    assertThatThrownBy(() -> buses.create(config))
        .satisfies(e -> assertThat(everythingSaid(e)).doesNotContain(SECRET));

    config.remove("relaybus.postgres.schema");
    config.put("relaybus.postgres.url", "jdbc:mysql://localhost/app?password=" + SECRET);
    assertThatThrownBy(() -> buses.create(config))
        .isInstanceOfSatisfying(ConfigurationException.class, e -> {
          assertThat(e.getMessage()).contains("relaybus.postgres.url")
              .contains("jdbc:postgresql:");
          assertThat(everythingSaid(e)).doesNotContain(SECRET);
        });

    config.put("relaybus.postgres.url", DB.url() + "?password=" + SECRET);
    config.put("relaybus.postgres.user", "no_such_user");
    assertThatThrownBy(() -> buses.create(config))
        .satisfies(e -> assertThat(everythingSaid(e)).doesNotContain(SECRET));
  }

  @Test
  @DisplayName("a running bus and its settings do not show the password in toString()")
  void toStringHidesPassword() {
    Map<String, String> config = buses.connection();
    config.put("relaybus.postgres.user", ROLE);
    config.put("relaybus.postgres.password", ROLE_PASSWORD);
    config.put("relaybus.postgres.schema", "role_schema");
    EventBus bus = buses.create(config);
    String password = ROLE_PASSWORD;
    assertThat(bus.toString()).doesNotContain(password);
    assertThat(bus.unwrap(PostgresTransport.class).toString()).doesNotContain(password);
    assertThat(Settings.of(config).toString()).doesNotContain(password)
        .contains("relaybus.postgres.password=****");
  }

  @Test
  @DisplayName("publish-writers sets the writer threads, at most a third of the pool")
  void publishWriters() {
    Map<String, String> config = buses.connection();
    assertThat(buses.create(config).unwrap(PostgresTransport.class).publishWriterCount())
        .isEqualTo(2);
    config.put("relaybus.postgres.publish-writers", "5");
    assertThat(buses.create(config).unwrap(PostgresTransport.class).publishWriterCount())
        .isEqualTo(5);
    config.put("relaybus.postgres.pool-size", "6");
    assertThat(buses.create(config).unwrap(PostgresTransport.class).publishWriterCount())
        .isEqualTo(2);
    config.put("relaybus.postgres.publish-writers", "0");
    assertThatThrownBy(() -> buses.create(config))
        .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.problems())
            .singleElement().asString().contains("relaybus.postgres.publish-writers")
            .contains("'0'"));
  }

  @Test
  @DisplayName("an application DataSource replaces the url")
  void dataSourceWithoutUrl() {
    EventBus bus = EventBus.builder()
        .provider(PostgresTransportProvider.withDataSource(DB.dataSource()))
        .property("relaybus.postgres.poll-interval", "200ms")
        .build();
    buses.track(bus);
    Recorder recorder = new Recorder();
    bus.subscribe("config.datasource", "g", d -> recorder.record("m", d));
    bus.publish("config.datasource", Event.builder().id("ds").source("urn:t").type("t")
        .build()).join();
    await().atMost(Duration.ofSeconds(30)).until(() -> recorder.ids().contains("ds"));
  }

  @Test
  @DisplayName("poll-only mode opens no LISTEN connection and still delivers by polling")
  void pollOnlyDelivers() {
    Map<String, String> config = buses.connection();
    config.put("relaybus.postgres.poll-only", "true");
    config.put("relaybus.postgres.poll-interval", "200ms");
    config.put("relaybus.postgres.schema", "poll_only");
    EventBus bus = buses.create(config);
    Recorder recorder = new Recorder();
    bus.subscribe("config.poll", "g", d -> recorder.record("m", d));
    DB.execute("SELECT poll_only.publish('config.poll', 'urn:sql', 'from.sql')");
    bus.publish("config.poll", Event.builder().id("java").source("urn:t").type("t").build())
        .join();
    await().atMost(Duration.ofSeconds(30)).until(() -> recorder.distinct() == 2);
    assertThat(DB.queryLong("SELECT count(*) FROM pg_stat_activity WHERE "
        + "datname = 'relaybus_config' AND application_name = 'relaybus-listener'")).isZero();
    assertThat(bus.unwrap(PostgresTransport.class).notificationsSent()).isZero();
  }
}
