package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import io.relaybus.UnknownTransportException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A configuration mistake is answered at once and before the bus connects: against a port
 * where nothing listens it does not wait for a connect timeout, and against a real server it
 * creates no schema.
 */
class PostgresValidationTest {
  /** Nothing listens on port 1: a bus that tried to connect would wait, then fail otherwise. */
  private static final String UNREACHABLE = "jdbc:postgresql://127.0.0.1:1/x";
  /** Far below any connect timeout. */
  private static final Duration AT_ONCE = Duration.ofMillis(500);
  private static final String SCHEMA = "typo_check";

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_validation");
  private final TestBuses buses = DB.buses();

  private static ConfigurationException refused(Supplier<EventBus> creation) {
    long start = System.nanoTime();
    try (EventBus bus = creation.get()) {
      throw new AssertionError("expected a ConfigurationException, got " + bus);
    } catch (ConfigurationException e) {
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time to refuse")
          .isLessThan(AT_ONCE);
      return e;
    }
  }

  private static String firstLine(Throwable e) {
    return e.getMessage().lines().findFirst().orElseThrow();
  }

  private static String settingsList() {
    return String.join(", ", new TreeSet<>(new PostgresTransportProvider().configKeys()));
  }

  private long schemas() {
    return DB.queryLong("SELECT count(*) FROM information_schema.schemata WHERE schema_name = '"
        + SCHEMA + "'");
  }

  @Test
  @DisplayName("a misspelt key against an unreachable server is refused at once")
  void misspeltKeyUnreachable() {
    ConfigurationException e = refused(() -> EventBus.create(Map.of(
        "relaybus.transport", "postgres",
        "relaybus.postgres.url", UNREACHABLE,
        "relaybus.postgres.pasword", "secret")));

    assertThat(firstLine(e)).isEqualTo("Invalid Relaybus configuration: "
        + "relaybus.postgres.pasword is not a setting of the postgres transport (did you mean "
        + "relaybus.postgres.password?); its settings are: " + settingsList());
  }

  @Test
  @DisplayName("a bad value against an unreachable server is refused at once")
  void badValueUnreachable() {
    ConfigurationException e = refused(() -> EventBus.create(Map.of(
        "relaybus.transport", "postgres",
        "relaybus.postgres.url", UNREACHABLE,
        "relaybus.postgres.pool-size", "1")));

    assertThat(firstLine(e)).isEqualTo("Invalid Relaybus configuration: "
        + "relaybus.postgres.pool-size='1' is invalid: expected an integer from 2 to 500");
  }

  @Test
  @DisplayName("key, core and transport problems come in one exception, before connecting")
  void everythingAtOnce() {
    ConfigurationException e = refused(() -> EventBus.create(Map.of(
        "relaybus.transport", "postgres",
        "relaybus.postgres.url", UNREACHABLE,
        "relaybus.postgres.pasword", "secret",
        "relaybus.subscriber.concurrency", "0",
        "relaybus.postgres.notify", "sometimes")));

    assertThat(firstLine(e)).isEqualTo("Invalid Relaybus configuration (3 problems):");
    assertThat(e.problems()).extracting(p -> p.substring(0, p.indexOf(' '))).containsExactly(
        "relaybus.postgres.pasword", "relaybus.subscriber.concurrency='0'",
        "relaybus.postgres.notify='sometimes'");
    assertThat(e.getMessage()).doesNotContain("secret");
  }

  @Test
  @DisplayName("a misspelt key against the real server creates no schema")
  void misspeltKeyCreatesNoSchema() {
    Map<String, String> config = buses.connection();
    config.put("relaybus.postgres.schema", SCHEMA);
    config.put("relaybus.postgres.pool-sise", "4");

    ConfigurationException e = refused(() -> buses.create(config));

    assertThat(firstLine(e)).startsWith("Invalid Relaybus configuration: "
        + "relaybus.postgres.pool-sise is not a setting of the postgres transport (did you "
        + "mean relaybus.postgres.pool-size?)");
    assertThat(schemas()).as("schema " + SCHEMA + " created").isZero();

    config.remove("relaybus.postgres.pool-sise");
    buses.create(config).close();
    assertThat(schemas()).as("the same configuration without the typo creates it").isOne();
    DB.execute("DROP SCHEMA " + SCHEMA + " CASCADE");
  }

  @Test
  @DisplayName("with the application's DataSource, a misspelt key takes no connection from it")
  void dataSourceModeCreatesNoSchema() {
    ConfigurationException e = refused(() -> EventBus.builder()
        .provider(PostgresTransportProvider.withDataSource(DB.dataSource()))
        .property("relaybus.postgres.schema", SCHEMA)
        .property("relaybus.postgres.auto-dll", "true")
        .build());

    assertThat(firstLine(e)).startsWith("Invalid Relaybus configuration: "
        + "relaybus.postgres.auto-dll is not a setting of the postgres transport (did you mean "
        + "relaybus.postgres.auto-ddl?)");
    assertThat(schemas()).isZero();
  }

  @Test
  @DisplayName("relaybus.postgres.url without relaybus.transport is refused, not a memory bus")
  void urlWithoutTransport() {
    ConfigurationException e = refused(() -> EventBus.create(Map.of(
        "relaybus.postgres.url", UNREACHABLE)));

    assertThat(firstLine(e)).isEqualTo("Invalid Relaybus configuration: relaybus.transport is "
        + "not set but relaybus.postgres.url is: set relaybus.transport=postgres to use the "
        + "postgres transport, or relaybus.transport=memory to keep events in memory only");
  }

  @Test
  @DisplayName("relaybs.transport=postgres is refused, not dropped for a memory bus")
  void misspeltPrefix() {
    ConfigurationException e = refused(() -> EventBus.create(Map.of(
        "relaybs.transport", "postgres")));

    assertThat(firstLine(e)).isEqualTo("Invalid Relaybus configuration: relaybs.transport is "
        + "not a Relaybus setting: 'relaybs' is not 'relaybus' (did you mean "
        + "relaybus.transport?)");
  }

  @Test
  @DisplayName("relaybus.transport=postgress suggests postgres")
  void misspeltTransport() {
    ConfigurationException e = refused(() -> EventBus.create(Map.of(
        "relaybus.transport", "postgress", "relaybus.postgres.url", UNREACHABLE)));

    assertThat(e).isInstanceOf(UnknownTransportException.class);
    assertThat(firstLine(e)).isEqualTo("Invalid Relaybus configuration: "
        + "relaybus.transport='postgress' is not available (did you mean postgres?). "
        + "Transports on the classpath: memory, postgres.");
  }
}
