package io.relaybus.tck;

import static io.relaybus.tck.TransportCompatibilityKit.textEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Capability;
import io.relaybus.DeadLetterReason;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.spi.Instrumentation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What metrics and tracing modules rely on from a transport: headers an {@link Instrumentation}
 * adds at publish (a W3C trace context) are stored and come back with every attempt, with the
 * dead letter and with its replay; and every hook is called exactly as often as the scenario
 * says, so counters built on them are exact. Runs on buses from {@link
 * TransportCompatibilityKit#createBus(Map, Instrumentation)}.
 */
abstract class InstrumentationGuarantees extends GuaranteeFamily {
  /** A W3C trace context as an instrumentation writes it into the event. */
  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  InstrumentationGuarantees(TransportCompatibilityKit kit) {
    super(kit);
  }

  /** Records every call; adds a trace context and a header of its own at publish. */
  static final class RecordingInstrumentation implements Instrumentation {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final List<Map<String, String>> attemptHeaders =
        Collections.synchronizedList(new ArrayList<>());

    @Override
    public PublishObservation publishing(String system, String topic, List<Event> events) {
      calls.add("publishing " + events.size());
      List<Event> marked = new ArrayList<>();
      for (Event e : events) {
        marked.add(e.toBuilder().header("traceparent", TRACEPARENT).header("kitmark", "m-"
            + e.id()).build());
      }
      return new PublishObservation() {
        @Override
        public List<Event> events() {
          return marked;
        }

        @Override
        public void completed(Throwable failure) {
          calls.add(failure == null ? "published" : "refused");
        }
      };
    }

    @Override
    public AttemptObservation attempting(String system, String topic, String group,
        Delivery delivery) {
      calls.add("attempt " + delivery.attempt());
      attemptHeaders.add(delivery.event().headers());
      return new AttemptObservation() {
        @Override
        public Scope enter() {
          return () -> { };
        }

        @Override
        public void ended(Throwable failure, Next next) {
          calls.add("ended " + next);
        }
      };
    }

    @Override
    public void gaveUp(String system, String topic, String group, Event event,
        DeadLetterReason reason, int attempts, boolean stored) {
      calls.add("gave up " + reason + " after " + attempts + (stored ? ", stored" : ", dropped")
          + ", headers " + (event == null ? "none" : event.headers().get("traceparent")));
    }

    long count(String call) {
      synchronized (calls) {
        return calls.stream().filter(call::equals).count();
      }
    }
  }

  private EventBus instrumentedBus(RecordingInstrumentation recording) {
    return kit.instrumentedBus(recording);
  }

  @Test
  @DisplayName("every hook is called exactly as often as the scenario says: 3 publishes of 5 "
      + "events, 7 attempts (2 failed once), 5 done, 2 retried, nobody gave up")
  void hooksAreCalledExactlyOnce() {
    RecordingInstrumentation recording = new RecordingInstrumentation();
    EventBus bus = instrumentedBus(recording);
    String topic = uniqueName("t");
    List<String> handled = Collections.synchronizedList(new ArrayList<>());
    bus.subscribe(topic, options(uniqueName("g")).build(), d -> {
      String text = d.event().dataAsText();
      if (text.startsWith("fail-once") && d.attempt() == 1) {
        throw new IllegalStateException("first attempt of " + text + " fails");
      }
      handled.add(text);
    });
    bus.publish(topic, textEvent("fail-once-a", "k1")).join();
    bus.publish(topic, textEvent("fine-b", "k2")).join();
    bus.publishAll(topic, List.of(textEvent("fail-once-c", "k3"), textEvent("fine-d", "k4"),
        textEvent("fine-e", "k5"))).join();

    await().atMost(patience()).until(() -> handled.size() == 5
        && recording.count("ended DONE") == 5);
    awaitQuietly(() -> {
      assertThat(recording.count("publishing 1")).isEqualTo(2);
      assertThat(recording.count("publishing 3")).isEqualTo(1);
      assertThat(recording.count("published")).isEqualTo(3);
      assertThat(recording.count("attempt 1")).isEqualTo(5);
      assertThat(recording.count("attempt 2")).isEqualTo(2);
      assertThat(recording.count("ended DONE")).isEqualTo(5);
      assertThat(recording.count("ended RETRY")).isEqualTo(2);
      assertThat(recording.calls).noneMatch(c -> c.startsWith("gave up") || c.equals("refused"));
    });
  }

  @Test
  @DisplayName("headers an instrumentation adds at publish come back with every attempt, with "
      + "the dead letter and with the replay")
  void addedHeadersTravelThroughRetriesDeadLettersAndReplay() {
    RecordingInstrumentation recording = new RecordingInstrumentation();
    EventBus bus = instrumentedBus(recording);
    assumeCapability(bus, Capability.DEAD_LETTERS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    List<Integer> attempts = Collections.synchronizedList(new ArrayList<>());
    List<Boolean> healed = new ArrayList<>(List.of(false));
    bus.subscribe(topic, SubscribeOptions.builder().group(group)
        .retryPolicy(RetryPolicy.builder().maxAttempts(2).fixedDelay(Duration.ofMillis(20))
            .build())
        .closeTimeout(Duration.ofSeconds(20)).build(), d -> {
          attempts.add(d.attempt());
          synchronized (healed) {
            if (!healed.get(0)) {
              throw new IllegalStateException("not yet, attempt " + d.attempt());
            }
          }
        });
    Event event = textEvent("traced", "k");
    bus.publish(topic, event).join();

    await().atMost(patience()).until(() -> recording.calls.stream()
        .anyMatch(c -> c.startsWith("gave up")));
    assertThat(recording.calls).filteredOn(c -> c.startsWith("gave up")).containsExactly(
        "gave up RETRIES_EXHAUSTED after 2, stored, headers " + TRACEPARENT);
    DeadLetterQuery query = DeadLetterQuery.builder(topic).group(group).build();
    await().atMost(patience()).until(() -> bus.operations().deadLetters(query).items().size()
        == 1);
    Event dead = bus.operations().deadLetters(query).items().get(0).event();
    assertThat(dead.headers()).containsEntry("traceparent", TRACEPARENT)
        .containsEntry("kitmark", "m-" + event.id());

    synchronized (healed) {
      healed.set(0, true);
    }
    assertThat(bus.operations().replayDeadLetters(query)).isEqualTo(1);
    await().atMost(patience()).until(() -> recording.count("ended DONE") == 1);

    assertThat(attempts).containsExactly(1, 2, 1);
    assertThat(recording.attemptHeaders).hasSize(3).allSatisfy(h -> assertThat(h)
        .containsEntry("traceparent", TRACEPARENT).containsEntry("kitmark", "m-" + event.id()));
  }
}
