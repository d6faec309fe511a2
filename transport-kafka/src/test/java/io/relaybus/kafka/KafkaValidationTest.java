package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A configuration mistake, in a transport key or a Kafka client property, is answered at once
 * with "did you mean", and no Kafka client is created: the bootstrap address, a loopback
 * listener that counts and closes connections, is never connected to.
 */
class KafkaValidationTest {
  /** Far below any connect timeout. */
  private static final Duration AT_ONCE = Duration.ofMillis(500);

  private ServerSocket bootstrap;
  private final AtomicInteger connections = new AtomicInteger();

  @BeforeEach
  void listen() throws IOException {
    bootstrap = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!bootstrap.isClosed()) {
        try (Socket s = bootstrap.accept()) {
          connections.incrementAndGet();
        } catch (IOException e) {
          return; // closed
        }
      }
    }, "test-bootstrap-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterEach
  void close() throws IOException {
    bootstrap.close();
  }

  private Map<String, String> config(String... keyValues) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("relaybus.transport", "kafka");
    m.put("relaybus.kafka.bootstrap-servers", "127.0.0.1:" + bootstrap.getLocalPort());
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  /** The first line of the refusal, after checking it came at once and without a connection. */
  private String refusal(Map<String, String> config) {
    long start = System.nanoTime();
    try (EventBus bus = EventBus.create(config)) {
      throw new AssertionError("expected a ConfigurationException, got " + bus);
    } catch (ConfigurationException e) {
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time to refuse")
          .isLessThan(AT_ONCE);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
          .untilAsserted(() -> assertThat(connections).as("connections to the bootstrap")
              .hasValue(0));
      return e.getMessage().lines().findFirst().orElseThrow();
    }
  }

  @Test
  @DisplayName("a misspelt transport key names the key it was meant to be")
  void misspeltTransportKey() {
    Map<String, String> c = config("relaybus.kafka.partitons", "3");

    assertThat(refusal(c)).isEqualTo("Invalid Relaybus configuration: relaybus.kafka.partitons "
        + "is not a setting of the kafka transport (did you mean relaybus.kafka.partitions?); "
        + "its settings are: " + String.join(", ",
            new TreeSet<>(new KafkaTransportProvider().configKeys())));
  }

  @Test
  @DisplayName("a misspelt producer property names the property it was meant to be")
  void misspeltProducerProperty() {
    assertThat(refusal(config("relaybus.kafka.producer.lingr.ms", "5"))).isEqualTo(
        "Invalid Relaybus configuration: relaybus.kafka.producer.lingr.ms is not a Kafka "
            + "producer property: 'lingr.ms' is unknown to the producer configuration of "
            + "kafka-clients (did you mean relaybus.kafka.producer.linger.ms?)");
  }

  @Test
  @DisplayName("a misspelt consumer property in environment form is matched too")
  void misspeltConsumerPropertyEnvironmentForm() {
    assertThat(refusal(config("RELAYBUS_KAFKA_CONSUMER_MAX_POLL_RECORD", "5"))).isEqualTo(
        "Invalid Relaybus configuration: relaybus.kafka.consumer.max_poll_record is not a Kafka "
            + "consumer property: 'max_poll_record' is unknown to the consumer configuration of "
            + "kafka-clients (did you mean relaybus.kafka.consumer.max.poll.records?)");
  }

  @Test
  @DisplayName("a misspelt property for every client is matched against all three clients")
  void misspeltClientProperty() {
    assertThat(refusal(config("relaybus.kafka.client.securty.protocol", "SSL"))).isEqualTo(
        "Invalid Relaybus configuration: relaybus.kafka.client.securty.protocol is not a Kafka "
            + "client property: 'securty.protocol' is unknown to the producer, consumer and "
            + "admin client (did you mean relaybus.kafka.client.security.protocol?) (see the "
            + "kafka-clients configuration docs)");
  }

  @Test
  @DisplayName("a misspelt topic configuration names the one it was meant to be")
  void misspeltTopicConfig() {
    assertThat(refusal(config("relaybus.kafka.topic-config.retention.mss", "1000"))).isEqualTo(
        "Invalid Relaybus configuration: relaybus.kafka.topic-config.retention.mss is not a "
            + "Kafka topic configuration: 'retention.mss' is unknown (did you mean "
            + "relaybus.kafka.topic-config.retention.ms?) (see "
            + "org.apache.kafka.common.config.TopicConfig)");
  }

  @Test
  @DisplayName("a bad client property value is refused with kafka-clients' own reason")
  void badClientValue() {
    assertThat(refusal(config("relaybus.kafka.producer.linger.ms", "soon"))).isEqualTo(
        "Invalid Relaybus configuration: relaybus.kafka.producer.linger.ms='soon' is invalid "
            + "for the Kafka producer property 'linger.ms': Invalid value soon for configuration "
            + "linger.ms: Not a number of type LONG");
  }

  @Test
  @DisplayName("a property the transport owns is refused before any client exists")
  void ownedProperty() {
    assertThat(refusal(config("relaybus.kafka.producer.acks", "1"))).isEqualTo(
        "Invalid Relaybus configuration: relaybus.kafka.producer.acks cannot be set: the Kafka "
            + "transport sets 'acks' of the producer itself (idempotent producer with acks=all "
            + "is what makes a completed publish durable)");
  }

  @Test
  @DisplayName("bootstrap servers without relaybus.transport are refused, not a memory bus")
  void bootstrapWithoutTransport() {
    Map<String, String> c = config();
    c.remove("relaybus.transport");

    assertThat(refusal(c)).isEqualTo("Invalid Relaybus configuration: relaybus.transport is "
        + "not set but relaybus.kafka.bootstrap-servers is: set relaybus.transport=kafka to use "
        + "the kafka transport, or relaybus.transport=memory to keep events in memory only");
  }

  @Test
  @DisplayName("the listener sees a bus that is valid: the check can fail")
  void validBusConnects() {
    // The listener is no broker: connect-timeout 0s starts the bus without waiting for a
    // cluster to answer, and its clients still connect.
    Map<String, String> c = config("relaybus.kafka.close-timeout", "0s");
    c.put("relaybus.kafka.connect-timeout", "0s");
    try (EventBus bus = EventBus.create(c)) {
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(connections.get()).isPositive());
    }
  }
}
