package io.relaybus.bench;

import io.relaybus.EventBus;
import io.relaybus.kafka.KafkaTransportProvider;
import io.relaybus.kafka.schema.InMemorySchemaRegistry;
import io.relaybus.kafka.schema.Schema;
import io.relaybus.kafka.schema.SchemaRegistry;
import io.relaybus.kafka.testing.KafkaBroker;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Kafka transport ({@code --transport kafka}) against raw kafka-clients on the same broker
 * ({@link KafkaRawBaseline}). The broker is the one named by
 * {@code RELAYBUS_BENCH_KAFKA_BOOTSTRAP_SERVERS}, else a single-node KRaft broker started by the
 * benchmark in a child JVM (the test fixture of {@code relaybus-transport-kafka}).
 *
 * <p>By default the bus publishes with the schema id on, as the issue's target asks: an
 * in-memory schema registry (one per benchmark JVM; the transport registers each subject and
 * schema once and caches the id) holds a JSON Schema of the payload under
 * the subject {@value #SUBJECT} (the event type), and the bus runs with
 * {@code relaybus.kafka.schema.validate-on-produce=true} and
 * {@code relaybus.kafka.schema.subject-strategy=record}, so every publish validates the payload
 * and frames it with the 5-byte prefix, and one subject serves every per-measurement topic.
 * {@code --set relaybus.bench.schema=off} measures the plain transport instead. Consumption does
 * not validate ({@code validate-on-consume} stays off) unless set with {@code --set}.
 *
 * <p>Every other {@code relaybus.*} key given with {@code --set} overrides the transport's
 * defaults.
 */
public final class KafkaTarget implements TransportTarget {
  /** Names an existing broker instead of the embedded one. */
  public static final String BOOTSTRAP_ENV = "RELAYBUS_BENCH_KAFKA_BOOTSTRAP_SERVERS";
  /** {@code on} (default) or {@code off}: whether the bus validates and frames on publish. */
  public static final String SCHEMA_KEY = "relaybus.bench.schema";
  /** The subject of the payload's schema: the benchmark event's type. */
  public static final String SUBJECT = RelaybusSession.TYPE;
  /** A JSON Schema the benchmark payload ({@link Payloads}) satisfies. */
  static final String PAYLOAD_SCHEMA = """
      {"$schema": "http://json-schema.org/draft-07/schema#",
       "type": "object",
       "properties": {
         "orderId": {"type": "string"}, "customerId": {"type": "string"},
         "sku": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1},
         "amount": {"type": "string"}, "currency": {"type": "string", "minLength": 3},
         "placedAt": {"type": "string"}, "note": {"type": "string"}},
       "required": ["orderId", "customerId", "sku", "quantity", "amount", "currency"]}
      """;

  private static String bootstrap;
  private static String description;
  private static SchemaRegistry registry;
  private static int schemaId;

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

  /** The JVM's registry with the payload schema registered under {@link #SUBJECT}. */
  private static synchronized SchemaRegistry registry() {
    if (registry == null) {
      registry = new InMemorySchemaRegistry();
      schemaId = registry.register(SUBJECT, Schema.json(PAYLOAD_SCHEMA));
    }
    return registry;
  }

  private static synchronized int schemaId() {
    registry();
    return schemaId;
  }

  /** The broker's bootstrap servers, starting the embedded broker on first use. */
  String bootstrapServers() {
    return bootstrap();
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
    String schema = settings.getOrDefault(SCHEMA_KEY, "on").trim();
    if (!schema.equals("on") && !schema.equals("off")) {
      throw new IllegalArgumentException(SCHEMA_KEY + " must be on or off, got '" + schema + "'");
    }
    EventBus.Builder builder = BenchInstrumentation.apply(EventBus.builder(), settings);
    if (schema.equals("on")) {
      props.put("relaybus.kafka.schema.validate-on-produce", "true");
      props.put("relaybus.kafka.schema.subject-strategy", "record");
      builder.provider(KafkaTransportProvider.withSchemaRegistry(registry()));
    } else {
      builder.transport("kafka");
    }
    settings.forEach((k, v) -> {
      if (!k.equals(SCHEMA_KEY) && !k.equals(BenchInstrumentation.KEY)) {
        props.put(k, v);
      }
    });
    return builder.properties(props).build();
  }

  /**
   * Creates the measurement's topic with the bus's partition count and waits for its leaders
   * ({@link KafkaTopics}) before the bus publishes, as the raw side does: the transport creates
   * topics on first publish and produces at once, which can stall a publish for two minutes on
   * a fresh topic (see RESULTS.md, "Kafka").
   */
  @Override
  public MessagingSession openRelaybus(SessionSpec spec) {
    String partitions = spec.settings().getOrDefault("relaybus.kafka.partitions", "6");
    int count;
    try {
      count = Integer.parseInt(partitions.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("relaybus.kafka.partitions must be a positive integer, "
          + "got '" + partitions + "'", e);
    }
    KafkaTopics.createAndAwaitLeaders(bootstrap(), spec.topic(), count, spec.timeout());
    return TransportTarget.super.openRelaybus(spec);
  }

  @Override
  public RawBaseline rawBaseline() {
    return new KafkaRawBaseline(bootstrap(), schemaId());
  }
}
