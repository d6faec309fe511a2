package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.webhook.net.BlockedEndpointException;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookVerificationException;
import io.relaybus.webhook.signature.WebhookVerifier;
import io.relaybus.webhook.testing.ScriptedReceiver;
import io.relaybus.webhook.testing.ScriptedReceiver.Answer;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * How the sender treats failing receivers, against a real loopback HTTP server. Each subclass
 * runs it on one outbox. Schedules are milliseconds long: no test waits for a real backoff.
 */
abstract class DeliveryFailureContract extends WebhookBusContract {

  /** 5 attempts, 50 ms apart, no jitter. */
  static final Map<String, String> FAST = Map.of(
      "relaybus.transport", "webhook",
      "relaybus.webhook.retry.schedule", "0s,50ms,50ms,50ms,50ms",
      "relaybus.webhook.retry.jitter", "0",
      "relaybus.webhook.poll-interval", "50ms",
      "relaybus.webhook.route-refresh", "100ms",
      "relaybus.webhook.breaker.threshold", "0",
      "relaybus.webhook.ssrf.allow-categories", "loopback");

  @Override
  Map<String, String> contractSettings() {
    return FAST;
  }

  static Event event(String text) {
    return Event.builder().source("/test").type("test.text").text(text).build();
  }

  static WebhookEndpoints endpoints(EventBus bus) {
    return bus.unwrap(WebhookTransport.class).endpoints();
  }

  @Test
  @DisplayName("500 three times then 200: accepted exactly once, 4 attempts recorded in order")
  void failuresThenSuccess() {
    EventBus bus = bus(Map.of());
    ScriptedReceiver r = receiver().script(Answer.status(500), Answer.status(500),
        Answer.status(500));
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic).build());
    Event e = event("x");
    bus.publish(topic, e).join();

    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 1);
    await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(5))
        .until(() -> r.requests().size() == 4);
    assertThat(r.requests()).extracting(ScriptedReceiver.Request::eventId)
        .containsOnly(e.id());
    assertThat(r.requests()).extracting(ScriptedReceiver.Request::webhookId)
        .as("webhook-id is the same on every attempt")
        .containsOnly(r.requests().get(0).webhookId());
    assertThat(r.requests()).extracting(q -> q.headers().get("webhook-attempt"))
        .containsExactly("1", "2", "3", "4");
    assertThat(r.requests()).extracting(ScriptedReceiver.Request::answer)
        .containsExactly(500, 500, 500, 200);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(endpoints(bus).attempts(name, 10)).extracting(DeliveryAttempt::attempt,
            DeliveryAttempt::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, 500),
                org.assertj.core.groups.Tuple.tuple(2, 500),
                org.assertj.core.groups.Tuple.tuple(3, 500),
                org.assertj.core.groups.Tuple.tuple(4, 200)));
    assertThat(endpoints(bus).attempts(name, 10))
        .as("each recorded attempt names the event and the request's webhook-id")
        .extracting(DeliveryAttempt::eventId, DeliveryAttempt::webhookId)
        .containsOnly(org.assertj.core.groups.Tuple.tuple(e.id(),
            r.requests().get(0).webhookId()));
    assertThat(endpoints(bus).get(name).orElseThrow().pending()).isZero();
  }

  @Test
  @DisplayName("always 500: exactly schedule-length attempts, then a dead letter that replays")
  void exhaustionDeadLettersAndReplays() {
    EventBus bus = bus(Map.of());
    ScriptedReceiver r = receiver().always(Answer.status(500));
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic).build());
    Event e = event("doomed");
    bus.publish(topic, e).join();

    await().atMost(Duration.ofSeconds(20)).until(() ->
        bus.deadLetters().count(topic, name) == 1);
    DeadLetter dl = bus.deadLetters().list(topic, name, 10).get(0);
    assertThat(dl.event()).isEqualTo(e);
    assertThat(dl.attempts()).isEqualTo(5);
    assertThat(dl.reason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
    assertThat(dl.lastError()).contains("HTTP 500");
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
        .until(() -> r.requests().size() == 5);

    r.always(Answer.status(200));
    assertThat(bus.deadLetters().replay(topic, name, dl.id())).isTrue();
    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 1);
    assertThat(r.accepted().get(0).eventId()).isEqualTo(e.id());
    assertThat(bus.deadLetters().count(topic, name)).isZero();
  }

  @Test
  @DisplayName("requests are signed with every secret of a rotation, each signature verifies "
      + "with its own secret, and a fresh timestamp is signed on each attempt")
  void requestsAreSignedDuringRotation() {
    EventBus bus = bus(Map.of());
    ScriptedReceiver r = receiver().script(Answer.status(500));
    String topic = unique("t");
    String name = unique("e");
    WebhookSecret current = WebhookSecret.generate();
    WebhookSecret previous = WebhookSecret.generate();
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic)
        .secret(current.format() + " " + previous.format()).build());
    bus.publish(topic, event("signed")).join();
    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 1);
    for (ScriptedReceiver.Request q : r.requests()) {
      assertThat(q.headers().get("webhook-signature").split(" ")).hasSize(2);
      for (WebhookSecret s : List.of(current, previous)) {
        WebhookVerifier.builder().secret(s).build().verify(q.webhookId(),
            q.headers().get("webhook-timestamp"), q.headers().get("webhook-signature"),
            q.body());
      }
    }
    WebhookSecret other = WebhookSecret.generate();
    ScriptedReceiver.Request q = r.accepted().get(0);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> WebhookVerifier.builder()
        .secret(other).build().verify(q.webhookId(), q.headers().get("webhook-timestamp"),
            q.headers().get("webhook-signature"), q.body()))
        .isInstanceOf(WebhookVerificationException.class);
  }

  @Test
  @DisplayName("the SSRF guard refuses a loopback endpoint unless allowed")
  void ssrfGuardRefusesLoopbackByDefault() {
    EventBus bus = bus(Map.of("relaybus.webhook.ssrf.allow-categories", ""));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> endpoints(bus).add(
        WebhookEndpoint.builder(unique("e")).url("http://127.0.0.1:9/hook").topics("t").build()))
        .isInstanceOf(BlockedEndpointException.class)
        .hasMessageContaining("relaybus.webhook.ssrf.allow-categories=loopback");
  }

  @Test
  @DisplayName("a request that times out is retried and then accepted once")
  void timeoutIsRetried() {
    EventBus bus = bus(Map.of());
    ScriptedReceiver r = receiver().script(Answer.hang());
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic)
        .timeout(Duration.ofMillis(300)).build());
    bus.publish(topic, event("slow")).join();

    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 1);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      List<DeliveryAttempt> attempts = endpoints(bus).attempts(name, 10);
      assertThat(attempts).hasSize(2);
      assertThat(attempts.get(0).status()).isZero();
      assertThat(attempts.get(0).error()).containsIgnoringCase("timeout");
      assertThat(attempts.get(1).status()).isEqualTo(200);
    });
    r.releaseHangs();
  }

  @Test
  @DisplayName("a connection reset is a failed attempt; the retry is accepted once")
  void connectionResetIsRetried() {
    EventBus bus = bus(Map.of());
    ScriptedReceiver r = receiver().script(Answer.reset(), Answer.reset());
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic).build());
    bus.publish(topic, event("reset")).join();

    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 1);
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
        .until(() -> r.requests().size() == 3);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(endpoints(bus).attempts(name, 10)).extracting(DeliveryAttempt::status)
            .containsExactly(0, 0, 200));
  }

  @Test
  @DisplayName("429 with Retry-After: 1 (seconds) is honoured over the 50 ms schedule")
  void retryAfterSecondsHonoured() {
    EventBus bus = bus(Map.of());
    ScriptedReceiver r = receiver().script(Answer.status(429, "Retry-After", "1"));
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic).build());
    bus.publish(topic, event("limited")).join();

    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 1);
    List<ScriptedReceiver.Request> reqs = r.requests();
    assertThat(reqs).hasSize(2);
    Duration gap = Duration.between(reqs.get(0).at(), reqs.get(1).at());
    assertThat(gap).as("wait after 429 Retry-After: 1").isGreaterThanOrEqualTo(
        Duration.ofMillis(900));
  }

  @Test
  @DisplayName("503 with Retry-After as an HTTP date is honoured")
  void retryAfterDateHonoured() {
    EventBus bus = bus(Map.of());
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(3));
    ScriptedReceiver r = receiver().script(Answer.status(503, "Retry-After", date));
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic).build());
    bus.publish(topic, event("unavailable")).join();

    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 1);
    List<ScriptedReceiver.Request> reqs = r.requests();
    assertThat(reqs).hasSize(2);
    // The date has whole seconds: 3 s ahead is at least 2 s after the first request.
    assertThat(Duration.between(reqs.get(0).at(), reqs.get(1).at()))
        .isGreaterThanOrEqualTo(Duration.ofMillis(1900));
  }

  @Test
  @DisplayName("410 Gone disables the endpoint and keeps its deliveries; enabling sends them")
  void goneDisablesEndpoint() {
    EventBus bus = bus(Map.of());
    ScriptedReceiver r = receiver().script(Answer.status(410));
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic).build());
    bus.publish(topic, event("first")).join();

    await().atMost(Duration.ofSeconds(20)).until(() ->
        endpoints(bus).get(name).orElseThrow().state() == EndpointState.GONE);
    assertThat(endpoints(bus).get(name).orElseThrow().stateReason()).contains("410");
    bus.publish(topic, event("second")).join();
    bus.publish(topic, event("third")).join();
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
        .until(() -> r.requests().size() == 1);
    assertThat(endpoints(bus).get(name).orElseThrow().pending()).isEqualTo(3);

    endpoints(bus).enable(name);
    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 3);
    assertThat(endpoints(bus).get(name).orElseThrow().state()).isEqualTo(EndpointState.ENABLED);
  }

  @Test
  @DisplayName("301 is a failed attempt and its Location is never requested")
  void redirectNotFollowed() {
    EventBus bus = bus(Map.of());
    ScriptedReceiver elsewhere = receiver();
    ScriptedReceiver r = receiver().script(Answer.status(301, "Location",
        elsewhere.url("/moved")));
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic).build());
    bus.publish(topic, event("moved")).join();

    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 1);
    assertThat(r.requests()).hasSize(2);
    assertThat(elsewhere.requests()).as("requests to the redirect target").isEmpty();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      List<DeliveryAttempt> attempts = endpoints(bus).attempts(name, 10);
      assertThat(attempts).extracting(DeliveryAttempt::status).containsExactly(301, 200);
      assertThat(attempts.get(0).error()).contains("HTTP 301").contains("not followed");
    });
  }

  @Test
  @DisplayName("circuit breaker: a probe allowed while nothing is due yet is not lost: the "
      + "retry that becomes due later is sent, succeeds and closes the breaker")
  void breakerProbesAgainWhenNothingWasDue() {
    EventBus bus = bus(Map.of("relaybus.webhook.breaker.threshold", "2",
        "relaybus.webhook.breaker.open-duration", "100ms",
        "relaybus.webhook.retry.schedule", "0s,0s,1500ms,1500ms"));
    ScriptedReceiver r = receiver().script(Answer.status(500), Answer.status(500));
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic)
        .concurrency(1).build());
    bus.publish(topic, event("late")).join();

    // Two failures open the breaker; its probe is allowed 100 ms later, while the third
    // attempt is due only 1.5 s after the second.
    await().atMost(Duration.ofSeconds(10)).until(() -> r.requests().size() == 2);
    await().atMost(Duration.ofSeconds(10)).until(() -> r.accepted().size() == 1);
    assertThat(r.requests()).hasSize(3);
    await().atMost(Duration.ofSeconds(5)).until(() ->
        endpoints(bus).get(name).orElseThrow().circuit().equals("CLOSED"));
  }

  @Test
  @DisplayName("circuit breaker: opens after 3 failures, sends nothing while open, a probe "
      + "closes it, then everything is delivered")
  void circuitBreakerOpensAndRecovers() {
    EventBus bus = bus(Map.of("relaybus.webhook.breaker.threshold", "3",
        "relaybus.webhook.breaker.open-duration", "1500ms",
        "relaybus.webhook.retry.schedule", "0s,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms"));
    ScriptedReceiver r = receiver().always(Answer.status(500));
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic)
        .concurrency(1).build());
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      events.add(event("e" + i));
    }
    bus.publishAll(topic, events).join();

    await().atMost(Duration.ofSeconds(20)).until(() ->
        endpoints(bus).get(name).orElseThrow().circuit().equals("OPEN"));
    int whenOpened = r.requests().size();
    assertThat(whenOpened).isEqualTo(3);
    r.always(Answer.status(200));
    // While open nothing is sent (checked for most of the open period).
    await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2))
        .until(() -> r.requests().size() == whenOpened);
    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 10);
    assertThat(endpoints(bus).get(name).orElseThrow().circuit()).isEqualTo("CLOSED");
    Map<String, Integer> acceptedPerId = new HashMap<>();
    r.accepted().forEach(q -> acceptedPerId.merge(q.webhookId(), 1, Integer::sum));
    assertThat(acceptedPerId).hasSize(10).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
  }

  @Test
  @DisplayName("rate limit 20/s: at most burst + rate requests in the first second, all "
      + "delivered")
  void rateLimitRespected() {
    EventBus bus = bus(Map.of());
    ScriptedReceiver r = receiver();
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic)
        .rateLimit(20).concurrency(16).build());
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      events.add(event("e" + i));
    }
    bus.publishAll(topic, events).join();
    await().atMost(Duration.ofSeconds(30)).until(() -> r.accepted().size() == 60);
    List<ScriptedReceiver.Request> reqs = r.requests();
    java.time.Instant first = reqs.get(0).at();
    long inFirstSecond = reqs.stream()
        .filter(q -> q.at().isBefore(first.plusMillis(1000))).count();
    // A bucket of 20 tokens refilled at 20/s allows at most 40 in any one-second window.
    assertThat(inFirstSecond).as("requests in the first second").isLessThanOrEqualTo(42);
    assertThat(Duration.between(first, reqs.get(reqs.size() - 1).at()))
        .as("60 requests at 20/s with a burst of 20").isGreaterThanOrEqualTo(
            Duration.ofMillis(1800));
  }

  @Test
  @DisplayName("ordered endpoint: a failing delivery holds back the next ones; arrival order is "
      + "publish order")
  void orderedEndpointKeepsOrder() {
    EventBus bus = bus(Map.of());
    ScriptedReceiver r = receiver().script(Answer.status(500), Answer.status(500));
    String topic = unique("t");
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic)
        .ordered(true).build());
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      events.add(event("e" + i));
    }
    bus.publishAll(topic, events).join();
    await().atMost(Duration.ofSeconds(30)).until(() -> r.accepted().size() == 20);
    List<String> arrival = r.requests().stream().map(ScriptedReceiver.Request::eventId)
        .toList();
    List<String> expected = new ArrayList<>();
    expected.add(events.get(0).id());
    expected.add(events.get(0).id());
    events.forEach(e -> expected.add(e.id()));
    assertThat(arrival).containsExactlyElementsOf(expected);
  }
}
