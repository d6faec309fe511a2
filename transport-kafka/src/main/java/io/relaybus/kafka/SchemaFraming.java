package io.relaybus.kafka;

import io.relaybus.Event;
import io.relaybus.kafka.schema.CompatibilityLevel;
import io.relaybus.kafka.schema.ReaderSchema;
import io.relaybus.kafka.schema.Schema;
import io.relaybus.kafka.schema.SchemaRegistry;
import io.relaybus.kafka.schema.SchemaRegistryException;
import io.relaybus.kafka.schema.SubjectNotFoundException;
import io.relaybus.kafka.schema.internal.JsonSchemaFrames;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The schema steps of {@link EventRecords}: on publish, validate the payload against the
 * subject's schema and frame it with the schema id (Confluent wire format); on consume, unframe
 * and validate against the writer's schema (or the consumer's reader schema). Without
 * validation configured, data passes through unframed. Thread-safe.
 */
final class SchemaFraming {

  /** No schema steps: data bytes are the record value. */
  static final SchemaFraming NONE = new SchemaFraming(null, null, false, false,
      KafkaSettings.SubjectStrategy.TOPIC, null);

  private final SchemaRegistry registry;
  private final JsonSchemaFrames frames;
  private final boolean onProduce;
  private final boolean onConsume;
  private final KafkaSettings.SubjectStrategy strategy;
  private final CompatibilityLevel compatibility;
  /** Subjects whose compatibility level this bus has set. */
  private final Set<String> configured = ConcurrentHashMap.newKeySet();
  /** Schemas the application declared per topic. */
  private final Map<String, Schema> declared = new ConcurrentHashMap<>();
  /** Latest schema per subject, fetched once when the application declared none. */
  private final Map<String, Schema> latest = new ConcurrentHashMap<>();
  private final Map<String, ReaderSchema> readers = new ConcurrentHashMap<>();

  SchemaFraming(SchemaRegistry registry, JsonSchemaFrames frames, boolean onProduce,
      boolean onConsume, KafkaSettings.SubjectStrategy strategy,
      CompatibilityLevel compatibility) {
    this.registry = registry;
    this.frames = frames;
    this.onProduce = onProduce;
    this.onConsume = onConsume;
    this.strategy = strategy;
    this.compatibility = compatibility;
  }

  boolean framesOnProduce() {
    return onProduce;
  }

  boolean framesOnConsume() {
    return onConsume;
  }

  SchemaRegistry registry() {
    return registry;
  }

  void declare(String topic, Schema schema) {
    declared.put(topic, schema);
  }

  void readWith(String topic, ReaderSchema reader) {
    readers.put(topic, reader);
  }

  String subject(String topic, Event event) {
    switch (strategy) {
      case RECORD:
        return event.type();
      case TOPIC_RECORD:
        return topic + "-" + event.type();
      default:
        return topic + "-value";
    }
  }

  /**
   * The record value of an event.
   *
   * @throws io.relaybus.kafka.schema.InvalidPayloadException when the payload does not match
   * @throws SchemaRegistryException when the registry refuses or cannot be reached
   */
  byte[] encode(String topic, Event event) {
    if (!onProduce) {
      return event.dataLength() == 0 ? null : event.data();
    }
    String subject = subject(topic, event);
    if (compatibility != null && !configured.contains(subject)) {
      registry.setCompatibility(subject, compatibility); // before the first register
      configured.add(subject);
    }
    Schema schema = declared.get(topic);
    if (schema == null) {
      schema = latest.computeIfAbsent(subject, s -> {
        try {
          return registry.latest(s).schema();
        } catch (SubjectNotFoundException e) {
          throw new SubjectNotFoundException("Cannot publish to Kafka topic '" + topic
              + "': subject '" + s + "' has no schema in the registry; register one or declare "
              + "it with KafkaTransport.useSchema(topic, schema)", s);
        }
      });
    }
    return frames.encode(subject, schema, event.data());
  }

  /**
   * The data bytes of a record value.
   *
   * @throws io.relaybus.DecodingException when the value is not a valid frame or its payload
   *     does not match (the record reaches the bus as an unreadable message)
   * @throws SchemaRegistryException when the registry cannot answer
   */
  byte[] decode(String topic, byte[] value) {
    if (!onConsume) {
      return value == null ? new byte[0] : value;
    }
    return frames.decode(value == null ? new byte[0] : value, readers.get(topic)).payload();
  }
}
