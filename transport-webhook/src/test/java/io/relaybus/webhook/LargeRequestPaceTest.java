package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.webhook.testing.ScriptedReceiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Requests larger than OkHttp's 8 KiB write buffer, sent one after another on one connection
 * (an ordered endpoint): with Nagle's algorithm on, the tail of each request waits for the
 * receiver's delayed acknowledgement (40 ms on Linux), so 200 of them take at least 8 s. With
 * {@code TCP_NODELAY} they take a fraction of a second; the bound below leaves room for a busy
 * machine and still fails when the sockets are left with Nagle on.
 */
class LargeRequestPaceTest {

  @Test
  void largeRequestsOnOneConnectionAreNotHeldForDelayedAcknowledgements() {
    int events = 200;
    String data = "x".repeat(9_000);
    try (ScriptedReceiver r = ScriptedReceiver.start();
        EventBus bus = EventBus.create(Map.of("relaybus.transport", "webhook",
            "relaybus.webhook.ssrf.allow-categories", "loopback"))) {
      bus.unwrap(WebhookTransport.class).endpoints().add(WebhookEndpoint.builder("large")
          .url(r.url("/large")).topics("large-t").ordered(true).build());
      List<Event> batch = new ArrayList<>();
      for (int i = 0; i < events; i++) {
        batch.add(Event.builder().source("/large").type("large").key("one").text(data).build());
      }
      bus.publishAll("large-t", batch).join();
      await().atMost(Duration.ofSeconds(4)).until(() -> r.accepted().size() == events);
      assertThat(r.requests()).allSatisfy(q -> assertThat(q.body().length).isGreaterThan(9_000));
    }
  }
}
