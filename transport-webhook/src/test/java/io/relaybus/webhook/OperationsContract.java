package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.Capability;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.DecodingException;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.ops.EventStatus.Consumption;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import io.relaybus.ops.PartitionLag;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookVerifier;
import io.relaybus.webhook.testing.ScriptedReceiver;
import io.relaybus.webhook.testing.ScriptedReceiver.Answer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The operations API of the webhook transport against real loopback receivers: endpoints with
 * their breakers and attempts, health per endpoint, lag of a held-back endpoint, dead letters
 * by filter, event lookup. Each subclass runs it on one outbox.
 */
abstract class OperationsContract extends WebhookBusContract {

  /** Fast retries and routes, a breaker that opens after 3 failures for 500 ms. */
  static final Map<String, String> FAST = Map.of(
      "relaybus.transport", "webhook",
      "relaybus.webhook.retry.schedule", "0s,20ms",
      "relaybus.webhook.retry.jitter", "0",
      "relaybus.webhook.poll-interval", "50ms",
      "relaybus.webhook.route-refresh", "100ms",
      "relaybus.webhook.breaker.threshold", "0",
      "relaybus.webhook.ssrf.allow-categories", "loopback",
      "relaybus.webhook.subscriber.member-ttl", "3s");

  @Override
  Map<String, String> contractSettings() {
    return FAST;
  }

  static Event event(String type, String text) {
    return Event.builder().source("/test").type(type).text(text).build();
  }

  static WebhookEndpoints endpoints(EventBus bus) {
    return bus.unwrap(WebhookTransport.class).endpoints();
  }

  static Optional<Health.Component> component(EventBus bus, String name) {
    return bus.operations().health().components().stream().filter(c -> c.name().equals(name))
        .findFirst();
  }

  static EndpointStatus endpoint(EventBus bus, String name) {
    return bus.operations().endpoints().stream().filter(e -> e.name().equals(name)).findFirst()
        .orElseThrow();
  }

  @Test
  @DisplayName("capabilities: lag, event lookup and webhook endpoints are declared; a bus that "
      + "never subscribed has no receiver component")
  void declaresOperations() {
    EventBus bus = bus(Map.of());
    assertThat(bus.capabilities().has(Capability.LAG)).isTrue();
    assertThat(bus.capabilities().has(Capability.EVENT_LOOKUP)).isTrue();
    assertThat(bus.capabilities().has(Capability.WEBHOOK_ENDPOINTS)).isTrue();
    assertThat(bus.operations().health().components()).extracting(Health.Component::name)
        .containsExactlyElementsOf(componentsOfANewBus());
  }

  /** The health components of a bus that never subscribed. */
  List<String> componentsOfANewBus() {
    return List.of("webhook.outbox");
  }

  @Test
  @DisplayName("testEndpoint(name) sends one relaybus.test event now, signed with the "
      + "endpoint's secret, also while the endpoint is disabled; its status and latency are "
      + "returned and recorded first among the recent attempts; a failing answer is returned and "
      + "not retried; an unknown endpoint is named")
  void testEndpointSendsOneSignedEvent() {
    EventBus bus = bus(Map.of());
    Operations ops = bus.operations();
    ScriptedReceiver r = receiver().always(Answer.status(200));
    String name = unique("e");
    String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(unique("t"))
        .secret(secret).build());
    endpoints(bus).disable(name);

    EndpointStatus.Attempt sent = ops.testEndpoint(name);
    assertThat(sent.status()).as("status; error %s", sent.error()).isEqualTo(200);
    assertThat(sent.error()).isEmpty();
    assertThat(sent.latencyMillis()).isNotNegative();
    assertThat(r.requests()).hasSize(1);
    ScriptedReceiver.Request request = r.requests().get(0);
    WebhookVerifier.builder().secret(WebhookSecret.parse(secret)).build().verify(
        request.webhookId(), request.headers().get(WebhookHeaders.TIMESTAMP),
        request.headers().get(WebhookHeaders.SIGNATURE), request.body());
    Event test = request.event();
    assertThat(test.id()).isEqualTo(sent.eventId());
    assertThat(test.type()).isEqualTo(Operations.TEST_EVENT_TYPE);
    assertThat(new String(test.data(), StandardCharsets.UTF_8)).contains("\"test\":true")
        .contains(name);
    assertThat(endpoint(bus, name).recentAttempts()).first().satisfies(a -> {
      assertThat(a.eventId()).isEqualTo(sent.eventId());
      assertThat(a.status()).isEqualTo(200);
    });
    assertThat(endpoint(bus, name).enabled()).as("still disabled").isFalse();

    r.always(Answer.status(500));
    endpoints(bus).enable(name);
    EndpointStatus.Attempt failed = ops.testEndpoint(name);
    assertThat(failed.status()).isEqualTo(500);
    assertThat(failed.error()).hasValueSatisfying(e -> assertThat(e).contains("HTTP 500"));
    assertThat(failed.eventId()).isNotEqualTo(sent.eventId());
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
        .until(() -> r.requests().size() == 2);
    assertThat(endpoint(bus, name).recentAttempts()).first()
        .satisfies(a -> assertThat(a.status()).isEqualTo(500));
    assertThat(endpoint(bus, name).pending()).isZero();
    assertThatThrownBy(() -> ops.testEndpoint("nope")).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("'nope'");
  }

  @Test
  @DisplayName("enableEndpoint and disableEndpoint switch an endpoint through the operations "
      + "API; an unknown endpoint is named")
  void endpointsAreSwitchedThroughOperations() {
    EventBus bus = bus(Map.of());
    Operations ops = bus.operations();
    String name = unique("e");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(receiver().url("/hook"))
        .topics(unique("t")).build());
    ops.disableEndpoint(name);
    assertThat(endpoint(bus, name).enabled()).isFalse();
    ops.enableEndpoint(name);
    assertThat(endpoint(bus, name).enabled()).isTrue();
    assertThatThrownBy(() -> ops.disableEndpoint("nope")).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("'nope'");
  }

  @Test
  @DisplayName("a failing receiver opens the breaker: endpoints() shows it open with the failed "
      + "attempts, health is DEGRADED at once and DOWN after the grace period; when the "
      + "receiver answers again the breaker closes and the endpoint is UP")
  void breakerShowsInEndpointsAndHealth() {
    EventBus bus = bus(Map.of("relaybus.webhook.breaker.threshold", "3",
        "relaybus.webhook.breaker.open-duration", "300ms",
        "relaybus.webhook.retry.schedule", "0s,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,"
            + "20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms",
        "relaybus.health.grace-period", "2s"));
    ScriptedReceiver r = receiver().always(Answer.status(500));
    String topic = unique("t");
    String name = unique("e");
    String component = "webhook.endpoint." + name;
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic)
        .concurrency(1).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> component(bus, component)
        .map(c -> c.status() == Health.Status.UP).orElse(false));
    Event e = event("ops.test", "x");
    bus.publish(topic, e).join();

    List<Health.Status> seen = new ArrayList<>();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
      Health.Component c = component(bus, component).orElseThrow();
      seen.add(c.status());
      return c.status() == Health.Status.DOWN;
    });
    assertThat(seen).as("degraded before down").contains(Health.Status.DEGRADED);
    assertThat(seen.indexOf(Health.Status.DEGRADED)).isLessThan(seen.indexOf(
        Health.Status.DOWN));
    Health.Component down = component(bus, component).orElseThrow();
    assertThat(down.reason()).hasValueSatisfying(why -> assertThat(why).contains("breaker"));
    assertThat(bus.operations().health().status()).isEqualTo(Health.Status.DOWN);
    EndpointStatus open = endpoint(bus, name);
    assertThat(open.breaker()).isIn("open", "half-open");
    assertThat(open.enabled()).isTrue();
    assertThat(open.url()).isEqualTo(r.url("/hook"));
    assertThat(open.topics()).containsExactly(topic);
    assertThat(open.pending()).isEqualTo(1);
    assertThat(open.recentAttempts()).isNotEmpty().allSatisfy(a -> {
      assertThat(a.eventId()).isEqualTo(e.id());
      assertThat(a.status()).isEqualTo(500);
      assertThat(a.error()).hasValueSatisfying(err -> assertThat(err).contains("HTTP 500"));
      assertThat(a.latencyMillis()).isNotNegative();
    });
    assertThat(open.recentAttempts()).extracting(EndpointStatus.Attempt::attempt)
        .as("newest first").isSortedAccordingTo((a, b) -> Integer.compare(b, a));

    r.always(Answer.status(200));
    await().atMost(Duration.ofSeconds(10)).until(() -> r.accepted().size() == 1);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(endpoint(bus, name).breaker()).isEqualTo("closed");
      assertThat(endpoint(bus, name).pending()).isZero();
      assertThat(component(bus, component).orElseThrow().status())
          .isEqualTo(Health.Status.UP);
      assertThat(endpoint(bus, name).recentAttempts().get(0).status()).isEqualTo(200);
      assertThat(endpoint(bus, name).recentAttempts().get(0).error()).isEmpty();
    });
  }

  @Test
  @DisplayName("a disabled endpoint holding 5 events: lag depth 5, age of the oldest within the "
      + "time since publishing, one partition 0; health DEGRADED and never DOWN; once enabled "
      + "it drains to zero and is UP")
  void lagOfDisabledEndpoint() {
    EventBus bus = bus(Map.of("relaybus.health.grace-period", "500ms"));
    ScriptedReceiver r = receiver();
    String topic = unique("t");
    String name = unique("e");
    String component = "webhook.endpoint." + name;
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic).build());
    endpoints(bus).disable(name);
    Instant before = Instant.now();
    for (int i = 0; i < 5; i++) {
      bus.publish(topic, event("ops.test", "e" + i)).join();
    }
    Operations ops = bus.operations();
    await().atMost(Duration.ofSeconds(5)).until(() -> ops.lag(topic, name).age()
        .compareTo(Duration.ofMillis(300)) >= 0);
    GroupLag lag = ops.lag(topic, name);
    Duration bound = Duration.between(before, Instant.now()).plusMillis(50);
    assertThat(lag.depth()).isEqualTo(5);
    assertThat(lag.age()).isBetween(Duration.ofMillis(300), bound);
    assertThat(lag.partitions()).extracting(PartitionLag::partition, PartitionLag::depth)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 5L));
    assertThat(lag.topic()).isEqualTo(topic);
    assertThat(lag.group()).isEqualTo(name);
    assertThat(ops.topics()).contains(topic);
    assertThat(ops.groups(topic)).containsExactly(name);
    assertThat(ops.groups(unique("other"))).isEmpty();
    EndpointStatus held = endpoint(bus, name);
    assertThat(held.enabled()).isFalse();
    assertThat(held.pending()).isEqualTo(5);
    assertThat(held.recentAttempts()).isEmpty();
    assertThat(r.requests()).isEmpty();

    await().atMost(Duration.ofSeconds(5)).until(() ->
        component(bus, component).map(c -> c.status() == Health.Status.DEGRADED).orElse(false));
    assertThat(component(bus, component).orElseThrow().reason())
        .hasValueSatisfying(why -> assertThat(why).contains("disabled"));
    await().during(Duration.ofMillis(1200)).atMost(Duration.ofSeconds(3)).until(() ->
        component(bus, component).orElseThrow().status() == Health.Status.DEGRADED);

    endpoints(bus).enable(name);
    await().atMost(Duration.ofSeconds(10)).until(() -> r.accepted().size() == 5);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      GroupLag drained = ops.lag(topic, name);
      assertThat(drained.depth()).isZero();
      assertThat(drained.age()).isZero();
      assertThat(component(bus, component).orElseThrow().status())
          .isEqualTo(Health.Status.UP);
    });
  }

  @Test
  @DisplayName("a consumer group without a running member: listed among the topic's groups, "
      + "its lag counts what waits for it")
  void lagOfGroupWithoutMembers() {
    EventBus bus = bus(Map.of());
    String topic = unique("t");
    String group = unique("g");
    Subscription s = bus.subscribe(topic, group, d -> { });
    s.close();
    for (int i = 0; i < 3; i++) {
      bus.publish(topic, event("ops.test", "e" + i)).join();
    }
    Operations ops = bus.operations();
    assertThat(ops.groups(topic)).containsExactly(group);
    assertThat(ops.topics()).contains(topic);
    GroupLag lag = ops.lag(topic, group);
    assertThat(lag.depth()).isEqualTo(3);
    assertThat(lag.partitions()).hasSize(1);
    assertThat(ops.lag(topic, unique("nobody")).depth()).isZero();
  }

  @Test
  @DisplayName("dead letters of an endpoint and a group: search by type, event id, reason, time "
      + "and group with paging; counts per reason; replay and purge by filter return counts "
      + "and touch only the matches")
  void deadLettersByFilter() {
    EventBus bus = bus(Map.of("relaybus.retry.max-attempts", "1"));
    ScriptedReceiver r = receiver().always(Answer.status(500));
    String topic = unique("t");
    String name = unique("e");
    String group = unique("g");
    endpoints(bus).add(WebhookEndpoint.builder(name).url(r.url("/hook")).topics(topic).build());
    AtomicBoolean failing = new AtomicBoolean(true);
    Set<String> handled = ConcurrentHashMap.newKeySet();
    bus.subscribe(topic, SubscribeOptions.builder().group(group)
        .retryPolicy(RetryPolicy.builder().maxAttempts(1).build()).build(), d -> {
          if (failing.get()) {
            if (d.event().type().equals("ops.bad")) {
              throw new DecodingException("unreadable " + d.event().id(), null);
            }
            throw new IllegalStateException("handler fails");
          }
          handled.add(d.event().id());
        });
    List<Event> as = new ArrayList<>();
    List<Event> bs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      as.add(event("ops.a", "a" + i));
    }
    for (int i = 0; i < 3; i++) {
      bs.add(event("ops.bad", "b" + i));
    }
    List<Event> all = new ArrayList<>(as);
    all.addAll(bs);
    for (Event e : all) {
      bus.publish(topic, e).join();
    }
    Operations ops = bus.operations();
    await().atMost(Duration.ofSeconds(20)).until(() ->
        ops.deadLetterCounts(topic, name).getOrDefault(DeadLetterReason.RETRIES_EXHAUSTED, 0L)
            == 7 && bus.deadLetters().count(topic, group) == 7);

    assertThat(ops.deadLetterCounts(topic, name))
        .containsExactly(Map.entry(DeadLetterReason.RETRIES_EXHAUSTED, 7L));
    assertThat(ops.deadLetterCounts(topic, group)).containsOnly(
        Map.entry(DeadLetterReason.RETRIES_EXHAUSTED, 4L),
        Map.entry(DeadLetterReason.UNDECODABLE, 3L));

    // Paging: 14 dead letters in pages of 5, oldest first, each once.
    List<DeadLetter> paged = new ArrayList<>();
    DeadLetterQuery.Builder q = DeadLetterQuery.builder(topic).limit(5);
    DeadLetterPage page = ops.deadLetters(q.build());
    List<Integer> sizes = new ArrayList<>();
    while (true) {
      sizes.add(page.items().size());
      paged.addAll(page.items());
      if (page.next().isEmpty()) {
        break;
      }
      page = ops.deadLetters(DeadLetterQuery.builder(topic).limit(5).after(page.next().get())
          .build());
    }
    assertThat(sizes).containsExactly(5, 5, 4);
    assertThat(new HashSet<>(paged.stream().map(DeadLetter::id).toList())).hasSize(14);
    assertThat(paged).as("oldest first: by time, then id").isSortedAccordingTo(
        java.util.Comparator.comparing(DeadLetter::deadLetteredAt)
            .thenComparingLong(d -> Long.parseLong(d.id())));

    assertThat(ops.deadLetters(DeadLetterQuery.builder(topic).type("ops.bad").limit(100)
        .build()).items()).hasSize(6).extracting(d -> d.event().type()).containsOnly("ops.bad");
    assertThat(ops.deadLetters(DeadLetterQuery.builder(topic).eventId(as.get(2).id())
        .limit(100).build()).items()).hasSize(2).extracting(DeadLetter::group)
        .containsExactlyInAnyOrder(name, group);
    assertThat(ops.deadLetters(DeadLetterQuery.builder(topic).group(group)
        .reason(DeadLetterReason.UNDECODABLE).build()).items()).hasSize(3);
    assertThat(ops.deadLetters(DeadLetterQuery.builder(topic).group(name).build()).items())
        .hasSize(7).extracting(DeadLetter::group).containsOnly(name);
    assertThat(ops.deadLetters(DeadLetterQuery.builder(topic)
        .deadLetteredBetween(Instant.now().plusSeconds(3600), null).build()).items()).isEmpty();
    assertThat(ops.deadLetters(DeadLetterQuery.builder(topic)
        .deadLetteredBetween(Instant.now().minusSeconds(3600), Instant.now().plusSeconds(1))
        .limit(100).build()).items()).hasSize(14);
    assertThat(ops.deadLetters(DeadLetterQuery.builder(unique("other")).build()).items())
        .isEmpty();

    // Replay the type-b dead letters of both the endpoint and the group: each to its own.
    r.always(Answer.status(200));
    failing.set(false);
    long replayed = ops.replayDeadLetters(DeadLetterQuery.builder(topic).type("ops.bad")
        .build());
    assertThat(replayed).isEqualTo(6);
    Set<String> bIds = new HashSet<>(bs.stream().map(Event::id).toList());
    await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 3
        && handled.size() == 3);
    assertThat(r.accepted()).extracting(ScriptedReceiver.Request::eventId)
        .containsExactlyInAnyOrderElementsOf(bIds);
    assertThat(handled).isEqualTo(bIds);
    assertThat(ops.deadLetterCounts(topic, name)).containsExactly(
        Map.entry(DeadLetterReason.RETRIES_EXHAUSTED, 4L));
    assertThat(ops.deadLetterCounts(topic, group)).containsExactly(
        Map.entry(DeadLetterReason.RETRIES_EXHAUSTED, 4L));

    // Purge one event's dead letters, then the endpoint's.
    assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(topic).eventId(as.get(0).id())
        .build())).isEqualTo(2);
    assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(topic).group(name).build()))
        .isEqualTo(3);
    assertThat(ops.deadLetterCounts(topic, name)).isEmpty();
    assertThat(ops.deadLetterCounts(topic, group)).containsExactly(
        Map.entry(DeadLetterReason.RETRIES_EXHAUSTED, 3L));
    assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(topic).build())).isEqualTo(3);
    assertThat(bus.deadLetters().count(topic, group)).isZero();
    assertThat(r.accepted()).hasSize(3);
  }

  @Test
  @DisplayName("event lookup: consumed by a delivered endpoint and a group, pending for a "
      + "disabled endpoint, a dead letter for a failing one; empty for an unknown id")
  void eventLookup() {
    EventBus bus = bus(Map.of("relaybus.webhook.retry.schedule", "0s"));
    ScriptedReceiver ok = receiver();
    ScriptedReceiver failing = receiver().always(Answer.status(500));
    String topic = unique("t");
    String delivered = unique("ok");
    String held = unique("held");
    String broken = unique("broken");
    String group = unique("g");
    endpoints(bus).add(WebhookEndpoint.builder(delivered).url(ok.url("/a")).topics(topic)
        .build());
    endpoints(bus).add(WebhookEndpoint.builder(held).url(ok.url("/b")).topics(topic).build());
    endpoints(bus).disable(held);
    endpoints(bus).add(WebhookEndpoint.builder(broken).url(failing.url("/c")).topics(topic)
        .build());
    Set<String> handled = ConcurrentHashMap.newKeySet();
    bus.subscribe(topic, group, d -> handled.add(d.event().id()));
    Event e = event("ops.test", "look me up");
    bus.publish(topic, e).join();

    Operations ops = bus.operations();
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(ops.event(topic, e.id())).hasValueSatisfying(s -> {
          assertThat(s.topic()).isEqualTo(topic);
          assertThat(s.eventId()).isEqualTo(e.id());
          assertThat(s.groups()).containsOnly(
              Map.entry(delivered, Consumption.CONSUMED),
              Map.entry(group, Consumption.CONSUMED),
              Map.entry(held, Consumption.PENDING),
              Map.entry(broken, Consumption.DEAD_LETTER));
        }));
    assertThat(handled).containsExactly(e.id());
    assertThat(component(bus, "webhook.receiver")).as("the subscribing bus's receiver")
        .hasValueSatisfying(c -> assertThat(c.status()).isEqualTo(Health.Status.UP));
    assertThat(ops.event(topic, "no-such-event")).isEmpty();
    assertThat(ops.event(unique("other"), e.id())).isEmpty();
  }
}
