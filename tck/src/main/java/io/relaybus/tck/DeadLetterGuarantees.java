package io.relaybus.tck;

import static io.relaybus.tck.TransportCompatibilityKit.SOURCE;
import static io.relaybus.tck.TransportCompatibilityKit.textEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Capability;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.InvalidNameException;
import io.relaybus.RetryPolicy;
import io.relaybus.spi.Names;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Dead letters, then continue, and replay (semantics rules 11 and 12, capability
 * {@code DEAD_LETTERS}): an event the group gives up on is stored with why and how often it
 * failed, the group goes on, and a replayed dead letter comes back to its group only.
 */
abstract class DeadLetterGuarantees extends GuaranteeFamily {

  DeadLetterGuarantees(TransportCompatibilityKit kit) {
    super(kit);
  }

  /**
   * The shape the undecodable test reads its payload as.
   *
   * @param id the order id
   * @param quantity how many
   */
  public record Order(String id, int quantity) {}

  @Test
  @DisplayName("when attempts are exhausted the event goes to the group's dead letters with "
      + "reason RETRIES_EXHAUSTED, the attempt count and the last error, and the group goes on, "
      + "including with later events of the same key")
  void exhaustionDeadLettersAndGroupContinues() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.DEAD_LETTERS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    bus.subscribe(topic, options(group).build(), d -> {
      recorder.record("m", d);
      if (d.event().dataAsText().equals("poison")) {
        throw new IllegalStateException("cannot handle poison, attempt " + d.attempt());
      }
    });
    Event poison = textEvent("poison", "same-key");
    bus.publishAll(topic, List.of(poison, textEvent("after-1", "same-key"),
        textEvent("after-2", "same-key"))).join();

    await().atMost(patience()).until(() -> recorder.distinct() == 3);
    await().atMost(patience()).untilAsserted(() -> {
      List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
      assertThat(dls).hasSize(1);
      DeadLetter dl = dls.get(0);
      assertThat(dl.event()).isEqualTo(poison);
      assertThat(dl.topic()).isEqualTo(topic);
      assertThat(dl.group()).isEqualTo(group);
      assertThat(dl.reason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
      assertThat(dl.attempts()).isEqualTo(3);
      assertThat(dl.lastError()).contains("IllegalStateException")
          .contains("cannot handle poison, attempt 3");
    });
    assertThat(bus.deadLetters().count(topic, group)).isEqualTo(1);
    assertThat(recorder.all()).extracting(Recorder.Seen::text)
        .containsExactly("poison", "poison", "poison", "after-1", "after-2");
  }

  @Test
  @DisplayName("topic and group names of the longest allowed length are refused at subscribe "
      + "(InvalidNameException) when a name the transport derives from them (a dead-letter "
      + "topic, a channel) would break its limits, and otherwise deliver and dead-letter like "
      + "any other: a subscription the transport accepts never fails on its names later")
  void longestNamesAreRefusedAtSubscribeOrWorkThroughDeadLetters() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.DEAD_LETTERS);
    String topic = longest(uniqueName("t"));
    String group = longest(uniqueName("g"));
    Recorder recorder = new Recorder();
    try {
      bus.subscribe(topic, options(group).retryPolicy(RetryPolicy.builder().maxAttempts(1)
          .build()).build(), d -> {
            recorder.record("m", d);
            if (d.event().dataAsText().equals("poison")) {
              throw new IllegalStateException("cannot handle poison");
            }
          });
    } catch (InvalidNameException refused) {
      assertThat(refused.getMessage()).contains(topic.substring(0, 60))
          .contains(group.substring(0, 60));
      return;
    }
    Event poison = textEvent("poison", "k");
    bus.publishAll(topic, List.of(poison, textEvent("after", "k"))).join();

    await().atMost(patience()).until(() -> recorder.distinct() == 2);
    await().atMost(patience()).untilAsserted(() -> {
      List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
      assertThat(dls).extracting(DeadLetter::event).containsExactly(poison);
      assertThat(dls.get(0).topic()).isEqualTo(topic);
      assertThat(dls.get(0).group()).isEqualTo(group);
    });
  }

  private static String longest(String unique) {
    return unique + "-" + "x".repeat(Names.MAX_LENGTH - unique.length() - 1);
  }

  @Test
  @DisplayName("an exception the policy marks as not retryable (abortOn) dead-letters at "
      + "attempt 1 (NON_RETRYABLE)")
  void nonRetryableErrorDeadLettersAtFirstAttempt() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.DEAD_LETTERS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    bus.subscribe(topic, options(group).retryPolicy(RetryPolicy.builder().maxAttempts(5)
        .fixedDelay(Duration.ofMillis(10)).abortOn(IllegalArgumentException.class).build())
        .build(), d -> {
          recorder.record("m", d);
          throw new IllegalArgumentException("invalid order");
        });
    bus.publish(topic, textEvent("bad", null)).join();
    await().atMost(patience()).untilAsserted(() -> {
      List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
      assertThat(dls).hasSize(1);
      assertThat(dls.get(0).reason()).isEqualTo(DeadLetterReason.NON_RETRYABLE);
      assertThat(dls.get(0).attempts()).isEqualTo(1);
      assertThat(dls.get(0).lastError()).contains("invalid order");
    });
    awaitQuietly(() -> assertThat(recorder.invocations()).isEqualTo(1));
  }

  @Test
  @DisplayName("data that cannot be decoded (DecodingException from Delivery.data) dead-letters "
      + "at attempt 1 (UNDECODABLE): no crash loop, and the group goes on")
  void undecodablePayloadIsDeadLettered() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.DEAD_LETTERS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    AtomicInteger invocations = new AtomicInteger();
    List<Order> decoded = new CopyOnWriteArrayList<>();
    bus.subscribe(topic, options(group).build(), d -> {
      invocations.incrementAndGet();
      decoded.add(d.data(Order.class));
    });
    Event garbage = Event.builder().source(SOURCE).type("tck.order")
        .dataContentType("application/json")
        .data("{\"id\": \"o-1\", \"quantity\": ".getBytes(StandardCharsets.UTF_8)).build();
    Event good = Event.builder().source(SOURCE).type("tck.order").json(new Order("o-2", 3))
        .build();
    bus.publishAll(topic, List.of(garbage, good)).join();

    await().atMost(patience()).until(() -> decoded.size() == 1);
    assertThat(decoded).containsExactly(new Order("o-2", 3));
    await().atMost(patience()).untilAsserted(() -> {
      List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
      assertThat(dls).hasSize(1);
      assertThat(dls.get(0).event().id()).isEqualTo(garbage.id());
      assertThat(dls.get(0).reason()).isEqualTo(DeadLetterReason.UNDECODABLE);
      assertThat(dls.get(0).attempts()).isEqualTo(1);
      assertThat(dls.get(0).lastError()).contains("DecodingException");
    });
    awaitQuietly(() -> assertThat(invocations.get()).isEqualTo(2));
  }

  @Test
  @DisplayName("a replayed event is delivered to that group only, attempts counted from 1; "
      + "deadLetters() lists, counts, replays (one or all) and purges a group's dead letters")
  void deadLetterReplayRedelivers() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.DEAD_LETTERS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    String otherGroup = uniqueName("other");
    AtomicBoolean healthy = new AtomicBoolean(false);
    Recorder recorder = new Recorder();
    Recorder other = new Recorder();
    bus.subscribe(topic, options(group).retryPolicy(RetryPolicy.noRetries()).build(), d -> {
      recorder.record("m", d);
      if (!healthy.get()) {
        throw new IllegalStateException("downstream unavailable");
      }
    });
    bus.subscribe(topic, options(otherGroup).build(), d -> other.record("o", d));
    Event first = textEvent("first", null);
    Event second = textEvent("second", null);
    Event third = textEvent("third", null);
    bus.publishAll(topic, List.of(first, second, third)).join();
    await().atMost(patience()).until(() -> bus.deadLetters().count(topic, group) == 3);
    assertThat(recorder.invocations()).isEqualTo(3);

    healthy.set(true);
    DeadLetter dl = bus.deadLetters().list(topic, group, 10).stream()
        .filter(d -> d.event().id().equals(first.id())).findFirst().orElseThrow();
    assertThat(bus.deadLetters().replay(topic, group, dl.id())).isTrue();
    assertThat(bus.deadLetters().replay(topic, group, dl.id())).as("second replay").isFalse();
    await().atMost(patience()).until(() -> recorder.invocations() == 4);
    Recorder.Seen replayed = recorder.all().get(3);
    assertThat(replayed.eventId()).isEqualTo(first.id());
    assertThat(replayed.attempt()).isEqualTo(1);
    assertThat(bus.deadLetters().count(topic, group)).isEqualTo(2);

    healthy.set(false);
    assertThat(bus.deadLetters().purge(topic, group)).isEqualTo(2);
    assertThat(bus.deadLetters().count(topic, group)).isZero();
    bus.publish(topic, textEvent("fourth", null)).join();
    await().atMost(patience()).until(() -> bus.deadLetters().count(topic, group) == 1);
    healthy.set(true);
    assertThat(bus.deadLetters().replayAll(topic, group)).isEqualTo(1);
    await().atMost(patience()).until(() -> recorder.invocations() == 6);
    assertThat(bus.deadLetters().count(topic, group)).isZero();
    awaitQuietly(() -> assertThat(other.invocations())
        .as("replays reach only the replaying group").isEqualTo(4));
  }
}
