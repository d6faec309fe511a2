package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.webhook.testing.ScriptedReceiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Failures that make a delivery due at once (a zero retry wait) while other requests complete
 * around them: each delivery is claimed again and sent at once, never held for a lease by the
 * "still being sent" guard of its previous request.
 */
class ImmediateRetryTest {

  @Test
  void deliveriesDueAgainAtOnceAreSentAgainAtOnce() {
    int events = 200;
    ScriptedReceiver.Answer[] failures = new ScriptedReceiver.Answer[events];
    Arrays.fill(failures, ScriptedReceiver.Answer.status(500));
    try (ScriptedReceiver r = ScriptedReceiver.start().script(failures)) {
      Map<String, String> c = new LinkedHashMap<>();
      c.put("relaybus.transport", "webhook");
      c.put("relaybus.webhook.ssrf.allow-categories", "loopback");
      c.put("relaybus.webhook.poll-interval", "50ms");
      // Claims take the oldest first, so a few deliveries absorb all 200 failures: enough
      // zero waits that none is dead-lettered.
      c.put("relaybus.webhook.retry.schedule", String.join(",", Collections.nCopies(250, "0s")));
      c.put("relaybus.webhook.breaker.threshold", "0");
      c.put("relaybus.webhook.lease", "60s"); // a stalled delivery would wait this long
      try (EventBus bus = EventBus.create(c)) {
        bus.unwrap(WebhookTransport.class).endpoints().add(WebhookEndpoint.builder("now")
            .url(r.url("/now")).topics("now-t").build());
        List<Event> batch = new ArrayList<>();
        for (int i = 0; i < events; i++) {
          batch.add(Event.builder().source("/now").type("now").text("e" + i).build());
        }
        bus.publishAll("now-t", batch).join();
        await().atMost(Duration.ofSeconds(30)).until(() -> acceptedIds(r).size() == events);
        assertThat(r.requests().stream().filter(q -> q.answer() == 500)).hasSize(events);
        assertThat(r.accepted()).as("each delivery accepted once").hasSize(events);
      }
    }
  }

  private static Set<String> acceptedIds(ScriptedReceiver r) {
    return r.accepted().stream().map(ScriptedReceiver.Request::webhookId)
        .collect(Collectors.toSet());
  }
}
