package io.relaybus.postgres;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.postgres.testing.PostgresServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Creates PostgreSQL buses for one test class's database with fast test timings, and closes
 * them all at once ({@link TestDatabase} does, after each test or after the class).
 * {@link CrashingMemberMain} uses it in a child JVM too, so it needs nothing of JUnit.
 */
final class TestBuses implements AutoCloseable {
  /**
   * Timings of the fault tests (killed connections, server restarts, crashed members): poll
   * every 200ms and run the LISTEN connection's liveness query every 500ms.
   */
  static final Map<String, String> FAULT_TIMINGS = Map.of(
      "relaybus.postgres.poll-interval", "200ms",
      "relaybus.postgres.health-check-interval", "500ms");

  private final PostgresServer server;
  private final String url;
  private final Map<String, String> defaults;
  private final List<EventBus> open = new ArrayList<>();

  TestBuses(PostgresServer server, String url) {
    this(server, url, Map.of());
  }

  /** Buses whose configuration has {@code defaults} on top of the test timings. */
  TestBuses(PostgresServer server, String url, Map<String, String> defaults) {
    this.server = server;
    this.url = url;
    this.defaults = Map.copyOf(defaults);
  }

  /** Only what connects to this database: transport, url, user and password (modifiable). */
  Map<String, String> connection() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.transport", "postgres");
    config.put("relaybus.postgres.url", url);
    config.put("relaybus.postgres.user", server.user());
    config.put("relaybus.postgres.password", server.password());
    return config;
  }

  /**
   * The configuration of a bus on this database: poll 100ms, lease 5s, then this fixture's
   * defaults, then the overrides.
   */
  Map<String, String> config(Map<String, String> overrides) {
    Map<String, String> config = connection();
    config.put("relaybus.postgres.poll-interval", "100ms");
    config.put("relaybus.postgres.lease-timeout", "5s");
    config.putAll(defaults);
    config.putAll(overrides);
    return config;
  }

  EventBus bus() {
    return bus(Map.of());
  }

  EventBus bus(Map<String, String> overrides) {
    return create(config(overrides));
  }

  /** A bus with exactly this configuration, closed with the others. */
  EventBus create(Map<String, String> config) {
    return track(EventBus.create(config));
  }

  /** Closes a bus made elsewhere (e.g. with a DataSource) with the others. */
  EventBus track(EventBus bus) {
    open.add(bus);
    return bus;
  }

  /** How many buses this fixture made or tracked since the last {@link #close()}. */
  int size() {
    return open.size();
  }

  /** Publishes {@code count} events with keys k0, k1, … in batches of up to 500. */
  static void publishKeyed(EventBus bus, String topic, int count) {
    for (int from = 0; from < count; from += 500) {
      List<Event> batch = new ArrayList<>();
      for (int i = from; i < Math.min(count, from + 500); i++) {
        batch.add(Event.builder().source("urn:test").type("keyed").key("k" + i)
            .text("e" + i).build());
      }
      bus.publishAll(topic, batch).join();
    }
  }

  /** Closes the buses in reverse order of creation, as try-with-resources would. */
  @Override
  public void close() {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    open.clear();
  }
}
