package io.relaybus.kafka;

import io.relaybus.EventBus;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.spi.Instrumentation;
import io.relaybus.tck.TransportCompatibilityKit;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * The Kafka transport passes the whole kit against a real broker (embedded KRaft process, or
 * the one named by {@code RELAYBUS_TEST_KAFKA_BOOTSTRAP_SERVERS}, where the restart test is
 * skipped, as is the connection kill). Connections are cut by the test proxy in front of the
 * broker (TCP resets on every client socket).
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
  protected EventBus createBus(Map<String, String> overrides, Instrumentation instrumentation) {
    return EventBus.builder().properties(broker.busConfig(overrides))
        .instrumentation(instrumentation).build();
  }

  @Override
  protected boolean canKillConnections() {
    return broker.canRestart();
  }

  @Override
  protected void killConnections() {
    broker.killConnections();
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
