package io.relaybus.kafka;

import io.relaybus.EventBus;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.tck.TransportCompatibilityKit;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * The Kafka transport passes the whole kit against a real broker (embedded KRaft process, or
 * the one named by {@code RELAYBUS_TEST_KAFKA_BOOTSTRAP_SERVERS}, where the restart test is
 * skipped). Connection kills are not offered: the Kafka clients own their sockets, and the
 * only honest way to cut them from outside is the broker restart, which is tested.
 */
class KafkaTransportCompatibilityTest extends TransportCompatibilityKit {
  private static KafkaBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = KafkaBroker.shared();
  }

  @Override
  protected EventBus createBus(Map<String, String> overrides) {
    return EventBus.create(broker.busConfig(overrides));
  }

  @Override
  protected boolean canRestartServer() {
    return broker.canRestart();
  }

  @Override
  protected void restartServer() {
    broker.restart();
  }

  @Override
  protected Duration patience() {
    return Duration.ofSeconds(90);
  }
}
