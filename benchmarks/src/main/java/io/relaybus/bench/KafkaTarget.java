package io.relaybus.bench;

import io.relaybus.EventBus;
import io.relaybus.kafka.testing.KafkaBroker;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Kafka transport ({@code --transport kafka}) against raw kafka-clients on the same broker
 * ({@link KafkaRawBaseline}). The broker is the one named by
 * {@code RELAYBUS_BENCH_KAFKA_BOOTSTRAP_SERVERS}, else a single-node KRaft broker started by the
 * benchmark in a child JVM (the test fixture of {@code relaybus-transport-kafka}).
 *
 * <p>The bus runs with the transport's defaults; every {@code relaybus.*} key given with
 * {@code --set} overrides them.
 */
public final class KafkaTarget implements TransportTarget {
  /** Names an existing broker instead of the embedded one. */
  public static final String BOOTSTRAP_ENV = "RELAYBUS_BENCH_KAFKA_BOOTSTRAP_SERVERS";
  private static String bootstrap;
  private static String description;

  /** Creates the target; used by {@link java.util.ServiceLoader}. */
  public KafkaTarget() {}

  private static synchronized String bootstrap() {
    if (bootstrap == null) {
      String env = System.getenv(BOOTSTRAP_ENV);
      if (env != null && !env.isBlank()) {
        bootstrap = env.trim();
        description = "external Kafka broker " + bootstrap;
      } else {
        KafkaBroker broker = KafkaBroker.startEmbedded("bench");
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "bench-kafka-stop"));
        bootstrap = broker.bootstrapServers();
        description = "embedded single-node KRaft broker (child JVM) at " + bootstrap;
      }
      System.err.println("[kafka] " + description);
    }
    return bootstrap;
  }

  @Override
  public String name() {
    return "kafka";
  }

  @Override
  public String description() {
    bootstrap();
    return "Relaybus EventBus, kafka transport (publish/publishAll, one consumer group) on "
        + description;
  }

  @Override
  public EventBus createBus(Map<String, String> settings) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("relaybus.kafka.bootstrap-servers", bootstrap());
    props.putAll(settings);
    return EventBus.builder().transport("kafka").properties(props).build();
  }

  @Override
  public RawBaseline rawBaseline() {
    return new KafkaRawBaseline(bootstrap());
  }
}
