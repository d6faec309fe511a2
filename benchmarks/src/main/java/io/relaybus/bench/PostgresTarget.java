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

  /**
   * Bench-only key: {@code fixed} (default: every event carries the same document) or
   * {@code varied} (events cycle through {@value #VARIED_PAYLOADS} different documents of the
   * same size, see {@link Payloads#varied}). It matters where several events are stored
   * together ({@code packs}, compressed by PostgreSQL when large); the raw side's rows are
   * below PostgreSQL's compression threshold, so their content does not change its cost.
   */
  public static final String PAYLOAD_KEY = "relaybus.bench.payload";

  /** How many different documents {@code varied} cycles through. */
  static final int VARIED_PAYLOADS = 4096;

  @Override
  public EventBus createBus(Map<String, String> settings) {
    return createBus(PostgresServer.get(), settings);
  }

  @Override
  public MessagingSession openRelaybus(SessionSpec spec) {
    String consumers = spec.settings().getOrDefault(CONSUMER_BUS_KEY, "same").trim();
    if (!consumers.equals("same") && !consumers.equals("separate")) {
      throw new IllegalArgumentException(CONSUMER_BUS_KEY + " must be same or separate, got '"
          + consumers + "'");
    }
    byte[][] payloads = payloads(spec.settings(), spec.payload());
    EventBus bus = createBus(spec.settings());
    if (consumers.equals("same")) {
      return new RelaybusSession(bus, bus, spec, payloads);
    }
    try {
      return new RelaybusSession(bus, createBus(spec.settings()), spec, payloads);
    } catch (RuntimeException e) {
      bus.close();
      throw e;
    }
  }

  /**
   * The documents events carry, after {@link #PAYLOAD_KEY}: {@code fixed} alone, or varied
   * documents of its size.
   */
  static byte[][] payloads(Map<String, String> settings, byte[] fixed) {
    String mode = settings.getOrDefault(PAYLOAD_KEY, "fixed").trim();
    switch (mode) {
      case "fixed":
        return new byte[][] {fixed};
      case "varied":
        return Payloads.varied(fixed.length, VARIED_PAYLOADS);
      default:
        throw new IllegalArgumentException(PAYLOAD_KEY + " must be fixed or varied, got '"
            + mode + "'");
    }
  }

  /** A bus on {@code server} with the settings, bench-only keys left out. */
  static EventBus createBus(PostgresServer server, Map<String, String> settings) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("relaybus.postgres.url", server.url());
    props.put("relaybus.postgres.user", server.user());
    if (!server.password().isEmpty()) {
      props.put("relaybus.postgres.password", server.password());
    }
    settings.forEach((k, v) -> {
      if (!k.startsWith("relaybus.bench.")) {
        props.put(k, v);
      }
    });
    return BenchInstrumentation.apply(EventBus.builder(), settings).transport("postgres")
        .properties(props).build();
  }

  @Override
  public RawBaseline rawBaseline() {
    return new PostgresRawBaseline();
  }
}
