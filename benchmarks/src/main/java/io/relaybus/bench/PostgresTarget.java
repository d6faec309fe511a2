package io.relaybus.bench;

import io.relaybus.EventBus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The PostgreSQL transport ({@code --transport postgres}) against raw JDBC on the same server
 * ({@link PostgresRawBaseline}). The server is {@link PostgresServer}: embedded PostgreSQL 17
 * unless {@code RELAYBUS_BENCH_POSTGRES_URL/_USER/_PASSWORD} are set.
 *
 * <p>The bus runs with the transport's defaults (pool-size 16, partitions 8, fetch-size 500,
 * commit-interval 100ms, notify coalesced, poll-interval 1s); every {@code relaybus.*} key given
 * with {@code --set} overrides them, e.g. {@code --set relaybus.postgres.fetch-size=1000}.
 * Connection keys are filled in from the server unless given.
 *
 * <p>{@code --set relaybus.bench.consumer-bus=separate} subscribes the consumers on a second
 * bus, as another process would: deliveries then wait for the NOTIFY between the buses instead
 * of the in-process wake-up of a bus whose own publish committed.
 */
public final class PostgresTarget implements TransportTarget {

  /** Creates the target; used by {@link java.util.ServiceLoader}. */
  public PostgresTarget() {}

  @Override
  public String name() {
    return "postgres";
  }

  @Override
  public String description() {
    return "Relaybus EventBus, postgres transport (publish/publishAll, one consumer group) on "
        + PostgresServer.get().description();
  }

  /** Bench-only key: {@code same} (default) or {@code separate}. */
  public static final String CONSUMER_BUS_KEY = "relaybus.bench.consumer-bus";

  @Override
  public EventBus createBus(Map<String, String> settings) {
    Map<String, String> busSettings = new LinkedHashMap<>(settings);
    busSettings.remove(CONSUMER_BUS_KEY);
    return createBus(PostgresServer.get(), busSettings);
  }

  @Override
  public MessagingSession openRelaybus(SessionSpec spec) {
    String consumers = spec.settings().getOrDefault(CONSUMER_BUS_KEY, "same").trim();
    if (!consumers.equals("same") && !consumers.equals("separate")) {
      throw new IllegalArgumentException(CONSUMER_BUS_KEY + " must be same or separate, got '"
          + consumers + "'");
    }
    EventBus bus = createBus(spec.settings());
    if (consumers.equals("same")) {
      return new RelaybusSession(bus, spec);
    }
    try {
      return new RelaybusSession(bus, createBus(spec.settings()), spec);
    } catch (RuntimeException e) {
      bus.close();
      throw e;
    }
  }

  static EventBus createBus(PostgresServer server, Map<String, String> settings) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("relaybus.postgres.url", server.url());
    props.put("relaybus.postgres.user", server.user());
    if (!server.password().isEmpty()) {
      props.put("relaybus.postgres.password", server.password());
    }
    props.putAll(settings);
    return EventBus.builder().transport("postgres").properties(props).build();
  }

  @Override
  public RawBaseline rawBaseline() {
    return new PostgresRawBaseline();
  }
}
