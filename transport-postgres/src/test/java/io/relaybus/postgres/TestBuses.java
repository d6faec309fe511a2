package io.relaybus.postgres;

import io.relaybus.EventBus;
import io.relaybus.postgres.testing.PostgresServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Creates PostgreSQL buses for one test class's database with fast test timings, and closes
 * them all at the end of each test.
 */
final class TestBuses implements AutoCloseable {
  private final PostgresServer server;
  private final String url;
  private final List<EventBus> open = new ArrayList<>();

  TestBuses(PostgresServer server, String url) {
    this.server = server;
    this.url = url;
  }

  /** The configuration of a bus on this database: poll 100ms, lease 5s, then the overrides. */
  Map<String, String> config(Map<String, String> overrides) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.transport", "postgres");
    config.put("relaybus.postgres.url", url);
    config.put("relaybus.postgres.user", server.user());
    config.put("relaybus.postgres.password", server.password());
    config.put("relaybus.postgres.poll-interval", "100ms");
    config.put("relaybus.postgres.lease-timeout", "5s");
    config.putAll(overrides);
    return config;
  }

  EventBus bus() {
    return bus(Map.of());
  }

  EventBus bus(Map<String, String> overrides) {
    EventBus bus = EventBus.create(config(overrides));
    open.add(bus);
    return bus;
  }

  @Override
  public void close() {
    open.forEach(EventBus::close);
    open.clear();
  }
}
