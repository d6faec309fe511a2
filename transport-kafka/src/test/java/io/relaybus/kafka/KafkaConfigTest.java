package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import io.relaybus.spi.Settings;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Configuration is validated at startup, naming the key. No broker is needed: with
 * {@code connect-timeout=0} the Kafka clients connect lazily, so a valid configuration pointing
 * nowhere still builds.
 */
class KafkaConfigTest {

  private static Map<String, String> config(String... keyValues) {
    Map<String, String> m = new HashMap<>();
    m.put("relaybus.transport", "kafka");
    m.put("relaybus.kafka.bootstrap-servers", "127.0.0.1:1");
    m.put("relaybus.kafka.connect-timeout", "0s");
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  private static ConfigurationException failure(Map<String, String> config) {
    try (EventBus bus = EventBus.create(config)) {
      throw new AssertionError("expected a configuration error, got a bus " + bus);
    } catch (ConfigurationException e) {
      return e;
    }
  }

  @Test
  void validConfigurationWithPassThroughBuilds() {
    try (EventBus bus = EventBus.create(config(
        "relaybus.kafka.producer.linger.ms", "10",
        "relaybus.kafka.consumer.max.poll.records", "200",
        "relaybus.kafka.client.security.protocol", "PLAINTEXT",
        "relaybus.kafka.topic-config.retention.ms", "86400000",
        "relaybus.kafka.partitions", "12"))) {
      KafkaTransport t = bus.unwrap(KafkaTransport.class);
      assertThat(t.settings().partitions()).isEqualTo(12);
      assertThat(t.settings().producerProperties()).containsEntry("linger.ms", "10")
          .containsEntry("security.protocol", "PLAINTEXT");
      assertThat(t.settings().consumerProperties()).containsEntry("max.poll.records", "200");
      assertThat(t.settings().topicConfig()).containsEntry("retention.ms", "86400000");
      assertThat(t.deadLetterTopic("orders", "billing")).isEqualTo("orders.billing.dlq");
    }
  }

  @Test
  void missingBootstrapServersIsNamed() {
    Map<String, String> c = config();
    c.remove("relaybus.kafka.bootstrap-servers");
    assertThat(failure(c)).hasMessageContaining("relaybus.kafka.bootstrap-servers");
  }

  @Test
  void unknownClientPropertyIsRefusedNamingTheKey() {
    assertThat(failure(config("relaybus.kafka.producer.lingerr.ms", "5")))
        .hasMessageContaining("relaybus.kafka.producer.lingerr.ms")
        .hasMessageContaining("not a Kafka producer property");
    assertThat(failure(config("relaybus.kafka.consumer.fetch.minn.bytes", "5")))
        .hasMessageContaining("relaybus.kafka.consumer.fetch.minn.bytes");
    assertThat(failure(config("relaybus.kafka.client.no.such.thing", "5")))
        .hasMessageContaining("relaybus.kafka.client.no.such.thing");
    assertThat(failure(config("relaybus.kafka.topic-config.retention.mss", "5")))
        .hasMessageContaining("relaybus.kafka.topic-config.retention.mss");
  }

  @Test
  void badClientValuesAreNamedWithWhatIsAllowed() {
    assertThat(failure(config("relaybus.kafka.producer.linger.ms", "soon")))
        .hasMessageContaining("relaybus.kafka.producer.linger.ms='soon'");
    assertThat(failure(config("relaybus.kafka.client.security.protocol", "CARRIER_PIGEON")))
        .hasMessageContaining("relaybus.kafka.client.security.protocol")
        .hasMessageContaining("CARRIER_PIGEON");
  }

  @Test
  void guaranteesCannotBeOverridden() {
    assertThat(failure(config("relaybus.kafka.producer.acks", "1")))
        .hasMessageContaining("relaybus.kafka.producer.acks").hasMessageContaining("acks=all");
    assertThat(failure(config("relaybus.kafka.producer.enable.idempotence", "false")))
        .hasMessageContaining("enable.idempotence");
    assertThat(failure(config("relaybus.kafka.consumer.enable.auto.commit", "true")))
        .hasMessageContaining("committed only after handling");
    assertThat(failure(config("relaybus.kafka.consumer.group.id", "x")))
        .hasMessageContaining("relaybus.kafka.consumer.group.id");
  }

  @Test
  void badTransportValuesAreAllReportedAtOnce() {
    ConfigurationException e = failure(config(
        "relaybus.kafka.partitions", "0",
        "relaybus.kafka.replication-factor", "0",
        "relaybus.kafka.dead-letter-topic", "dlq-{topic}",
        "relaybus.kafka.schema.subject-strategy", "by-name",
        "relaybus.kafka.schema.compatibility", "sometimes",
        "relaybus.kafka.schema-registry.url", "ftp://registry",
        "relaybus.kafka.close-timeout", "forever",
        "relaybus.kafka.commit-interval", "-1s"));
    assertThat(e.problems()).hasSize(8);
    assertThat(e).hasMessageContaining("relaybus.kafka.partitions='0'")
        .hasMessageContaining("relaybus.kafka.replication-factor")
        .hasMessageContaining("{group}")
        .hasMessageContaining("topic, record, topic_record")
        .hasMessageContaining("backward")
        .hasMessageContaining("relaybus.kafka.schema-registry.url")
        .hasMessageContaining("relaybus.kafka.close-timeout")
        .hasMessageContaining("relaybus.kafka.commit-interval");
  }

  @Test
  void unknownTransportKeyIsRefusedByTheBus() {
    assertThat(failure(config("relaybus.kafka.bootstrap-server", "x:1")))
        .hasMessageContaining("relaybus.kafka.bootstrap-server");
  }

  @Test
  void schemaValidationNeedsARegistry() {
    assertThat(failure(config("relaybus.kafka.schema.validate-on-produce", "true")))
        .hasMessageContaining("relaybus.kafka.schema.validate-on-produce")
        .hasMessageContaining("relaybus.kafka.schema-registry.url");
    assertThat(failure(config("relaybus.kafka.schema.validate-on-consume", "maybe")))
        .hasMessageContaining("relaybus.kafka.schema.validate-on-consume='maybe'");
    assertThat(failure(config("relaybus.kafka.schema-registry.url", "http://localhost:8081",
        "relaybus.kafka.schema-registry.username", "svc")))
        .hasMessageContaining("relaybus.kafka.schema-registry.password");
  }

  @Test
  void secretsAreMaskedInToStringAndErrors() {
    String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required "
        + "username=\"u\" password=\"hunter2-jaas\";";
    Map<String, String> c = config(
        "relaybus.kafka.client.sasl.jaas.config", jaas,
        "relaybus.kafka.client.ssl.key.password", "hunter2-key",
        "relaybus.kafka.client.ssl.keystore.key", "hunter2-pem",
        "relaybus.kafka.schema-registry.url", "http://localhost:8081",
        "relaybus.kafka.schema-registry.username", "svc",
        "relaybus.kafka.schema-registry.password", "hunter2-registry");
    KafkaSettings s = new KafkaSettings(Settings.of(c));
    assertThat(s.toString()).doesNotContain("hunter2").contains("****")
        .contains("relaybus.kafka.client.sasl.jaas.config")
        .contains("relaybus.kafka.schema-registry.username=svc");
    assertThat(KafkaSettings.isSecret("relaybus.kafka.client.ssl.keystore.key")).isTrue();
    assertThat(KafkaSettings.isSecret("relaybus.kafka.producer.linger.ms")).isFalse();

    ConfigurationException e = failure(config(
        "relaybus.kafka.consumer.ssl.truststore.password", "hunter2-x",
        "relaybus.kafka.consumer.ssl.truststore.type", "hunter2-type-is-not-secret",
        "relaybus.kafka.partitions", "-1"));
    assertThat(e.getMessage()).doesNotContain("hunter2-x");
  }

  @Test
  void environmentStyleKeysAreUnderstood() {
    Settings env = Settings.fromEnvironment(Map.of(
        "RELAYBUS_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1",
        "RELAYBUS_KAFKA_PRODUCER_LINGER_MS", "7"));
    KafkaSettings s = new KafkaSettings(env);
    assertThat(s.producerProperties()).containsEntry("linger.ms", "7");
  }

  @Test
  void invalidNamesAreRefusedBeforeReachingKafka() {
    try (EventBus bus = EventBus.create(config())) {
      KafkaTransport t = bus.unwrap(KafkaTransport.class);
      assertThatThrownBy(() -> t.increasePartitions("bad topic!", 3))
          .hasMessageContaining("bad topic!");
      assertThatThrownBy(() -> t.deadLetterTopic("t", "g".repeat(200) + "x"))
          .hasMessageContaining("g");
    }
  }
}
