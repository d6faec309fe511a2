package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.webhook.testing.ScriptedReceiver;
import io.relaybus.webhook.testing.ScriptedReceiver.Answer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One endpoint that never answers does not slow delivery to another endpoint on the same host.
 * The healthy endpoint's delivery time is measured alone and beside the hanging one and logged;
 * the assertions are coarse: the healthy endpoint gets everything while the hanging one still
 * holds exactly its concurrency of requests.
 */
class IsolationTest {
  private static final Logger LOG = LoggerFactory.getLogger(IsolationTest.class);
  private static final int EVENTS = 500;

  @ParameterizedTest(name = "outbox={0}")
  @ValueSource(strings = {"memory", "jdbc"})
  void hangingEndpointDoesNotDelayAnother(String outbox) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.transport", "webhook");
    config.put("relaybus.webhook.ssrf.allow-categories", "loopback");
    config.put("relaybus.webhook.poll-interval", "100ms");
    if (outbox.equals("jdbc")) {
      config.putAll(TestDatabase.jdbcOutbox("webhook_isolation"));
    }
    try (EventBus bus = EventBus.create(config);
        ScriptedReceiver healthy = ScriptedReceiver.start();
        ScriptedReceiver hanging = ScriptedReceiver.start().always(Answer.hang())) {
      WebhookEndpoints endpoints = bus.unwrap(WebhookTransport.class).endpoints();
      endpoints.add(WebhookEndpoint.builder("healthy").url(healthy.url("/ok")).topics("alone",
          "shared").concurrency(8).build());
      long alone = deliverAll(bus, "alone", healthy, 0);

      endpoints.add(WebhookEndpoint.builder("hanging").url(hanging.url("/hang")).topics("shared")
          .concurrency(8).timeout(Duration.ofSeconds(60)).build());
      long beside = deliverAll(bus, "shared", healthy, EVENTS);

      assertThat(hanging.hangingNow()).as("requests the hanging endpoint holds").isEqualTo(8);
      assertThat(hanging.requests()).as("requests sent to the hanging endpoint").hasSize(8);
      LOG.info("outbox={}: {} events to the healthy endpoint alone {} ms, beside an endpoint "
          + "that hangs (8 requests held) {} ms", outbox, EVENTS, alone, beside);
      // Coarse bound only: beside a hanging endpoint, no more than several times as slow.
      assertThat(beside).isLessThan(Math.max(5 * alone, 5_000));
      hanging.releaseHangs();
    }
  }

  private static long deliverAll(EventBus bus, String topic, ScriptedReceiver r, int before) {
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      batch.add(Event.builder().source("/iso").type("iso").text(topic + i).build());
    }
    long t0 = System.nanoTime();
    bus.publishAll(topic, batch).join();
    await().atMost(Duration.ofSeconds(60)).until(() -> r.accepted().size() == before + EVENTS);
    return (System.nanoTime() - t0) / 1_000_000;
  }
}
