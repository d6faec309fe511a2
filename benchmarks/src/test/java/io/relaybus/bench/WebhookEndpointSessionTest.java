package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.EventBus;
import io.relaybus.webhook.EndpointState;
import io.relaybus.webhook.EndpointStatus;
import io.relaybus.webhook.WebhookTransport;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The webhook harness's publish-only runs store deliveries without sending them, as the other
 * transports' publish-only runs have no consumer working beside them; starting the consumers
 * sends what was kept.
 */
class WebhookEndpointSessionTest {

  private static final String TOPIC = "session-topic";
  private static final int EVENTS = 20;

  @Test
  void deliveriesAreKeptUntilConsumersStartThenAllSent() throws Exception {
    SessionSpec spec = new SessionSpec(TOPIC, Payloads.json(Payloads.SIZE), 10,
        Duration.ofSeconds(30), Map.of());
    EventBus bus = new WebhookTarget().createBus(Map.of());
    AtomicInteger received = new AtomicInteger();
    try (HttpStampReceiver receiver = new HttpStampReceiver(4);
        MessagingSession session = new WebhookTarget.EndpointSession(bus, spec, 4, receiver)) {
      receiver.inspect((headers, body) -> received.incrementAndGet());
      for (int i = 0; i < EVENTS; i++) {
        session.publish(System.nanoTime());
      }
      session.awaitPublished(Duration.ofSeconds(30));

      EndpointStatus status = bus.unwrap(WebhookTransport.class).endpoints().get(TOPIC)
          .orElseThrow();
      assertThat(status.state()).isEqualTo(EndpointState.DISABLED);
      assertThat(status.pending()).as("kept, not sent").isEqualTo(EVENTS);
      assertThat(received).hasValue(0);

      CountDownLatch handled = new CountDownLatch(EVENTS);
      session.startConsumers(new ConsumerSpec(1, 1, 1), stamp -> handled.countDown());
      assertThat(handled.await(30, TimeUnit.SECONDS)).as("sent once consumers start").isTrue();
      assertThat(received).hasValue(EVENTS);
    }
  }
}
