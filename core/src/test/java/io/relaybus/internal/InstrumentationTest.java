package io.relaybus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventTooLargeException;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.Instrumentation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bus tells registered instrumentations of every publish, attempt, outcome and dead letter,
 * in order, on the memory transport; a failing instrumentation breaks nothing.
 */
class InstrumentationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String TOPIC = "orders";

  private final List<String> calls = new CopyOnWriteArrayList<>();
  private EventBus bus;

  @AfterEach
  void close() {
    if (bus != null) {
      bus.close();
    }
  }

  private EventBus bus(Instrumentation... instrumentations) {
    EventBus.Builder b = EventBus.builder().transport("memory")
        .property("relaybus.memory.max-event-size", "1024");
    for (Instrumentation i : instrumentations) {
      b.instrumentation(i);
    }
    bus = b.build();
    return bus;
  }

  private static Event event(String type) {
    return Event.builder().source("/test").type(type).build();
  }

  private static SubscribeOptions retrying(int maxAttempts) {
    return SubscribeOptions.builder().group("g")
        .retryPolicy(RetryPolicy.builder().maxAttempts(maxAttempts)
            .fixedDelay(Duration.ofMillis(10)).jitter(0).build())
        .build();
  }

  @Test
  void publishingAddsHeadersThatAreStoredAndDeliveredAndEachInstrumentationSeesTheLastOnes() {
    bus(new Recording("a", calls), new Recording("b", calls));
    List<Map<String, String>> seen = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.group("g"), d -> seen.add(d.event().headers()));

    bus.publish(TOPIC, event("created")).join();
    // The caller's future completes after every observation has been told.
    assertThat(publishCalls()).containsExactly("a publishing orders []",
        "b publishing orders [a]", "a completed null", "b completed null");

    await().atMost(WAIT).until(() -> calls.contains("b ended DONE"));
    assertThat(seen).containsExactly(Map.of("a", "1", "b", "1"));
    assertThat(calls.stream().filter(c -> !publishCalls().contains(c))).containsExactly(
        "a attempting orders g 1 [a, b]", "b attempting orders g 1 [a, b]",
        "a enter", "b enter", "b close", "a close", "a ended DONE", "b ended DONE");
  }

  @Test
  void publishAllIsOnePublishingCallForTheBatch() {
    bus(new Recording("a", calls));
    bus.publishAll(TOPIC, List.of(event("x"), event("y"))).join();
    assertThat(calls).containsExactly("a publishing orders [] []", "a completed null");
  }

  @Test
  void theAttemptIsEnteredOnTheHandlerThreadAroundTheHandler() {
    ThreadLocal<String> current = new ThreadLocal<>();
    List<String> attemptThreads = new CopyOnWriteArrayList<>();
    Instrumentation scoped = new Recording("a", calls) {
      @Override
      public AttemptObservation attempting(String system, String topic, String group,
          Delivery delivery) {
        attemptThreads.add(Thread.currentThread().getName());
        AttemptObservation inner = super.attempting(system, topic, group, delivery);
        return new AttemptObservation() {
          @Override
          public Scope enter() {
            current.set("attempt " + delivery.attempt());
            return () -> current.remove();
          }

          @Override
          public void ended(Throwable failure, Next next) {
            inner.ended(failure, next);
          }
        };
      }
    };
    bus(scoped);
    List<String> inHandler = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, retrying(2), d -> {
      inHandler.add(Thread.currentThread().getName() + " " + current.get());
      if (d.attempt() == 1) {
        throw new IllegalStateException("first attempt fails");
      }
    });

    bus.publish(TOPIC, event("x")).join();

    await().atMost(WAIT).until(() -> calls.contains("a ended DONE"));
    assertThat(inHandler).hasSize(2);
    assertThat(inHandler.get(0)).endsWith(" attempt 1")
        .startsWith(attemptThreads.get(0) + " ");
    assertThat(inHandler.get(1)).endsWith(" attempt 2")
        .startsWith(attemptThreads.get(1) + " ");
  }

  @Test
  void retriesThenDeadLetterThenReplayAreToldWithExactAttemptsAndNext() {
    bus(new Recording("a", calls));
    AtomicBoolean fail = new AtomicBoolean(true);
    bus.subscribe(TOPIC, retrying(3), d -> {
      if (fail.get()) {
        throw new IllegalStateException("boom " + d.attempt());
      }
    });

    bus.publish(TOPIC, event("x")).join();

    await().atMost(WAIT).until(() -> calls.stream().anyMatch(c -> c.startsWith("a gaveUp")));
    assertThat(attemptCalls()).containsExactly(
        "a attempting orders g 1 [a]", "a ended RETRY boom 1",
        "a attempting orders g 2 [a]", "a ended RETRY boom 2",
        "a attempting orders g 3 [a]", "a ended GIVE_UP boom 3",
        "a gaveUp orders g [a] RETRIES_EXHAUSTED 3 stored");
    List<DeadLetter> dead = bus.deadLetters().list(TOPIC, "g", 10);
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).event().headers()).containsEntry("a", "1");

    calls.clear();
    fail.set(false);
    assertThat(bus.deadLetters().replay(TOPIC, "g", dead.get(0).id())).isTrue();
    await().atMost(WAIT).until(() -> calls.contains("a ended DONE"));
    assertThat(attemptCalls()).containsExactly("a attempting orders g 1 [a]", "a ended DONE");
  }

  @Test
  void aNonRetryableFailureGivesUpAtOnceAndADroppedEventSaysNotStored() {
    bus(new Recording("a", calls));
    bus.subscribe(TOPIC, SubscribeOptions.builder().group("g").deadLetters(false)
        .retryPolicy(RetryPolicy.builder().maxAttempts(5)
            .abortOn(IllegalArgumentException.class).build())
        .build(), d -> {
          throw new IllegalArgumentException("bad");
        });

    bus.publish(TOPIC, event("x")).join();

    await().atMost(WAIT).until(() -> calls.stream().anyMatch(c -> c.startsWith("a gaveUp")));
    assertThat(attemptCalls()).containsExactly("a attempting orders g 1 [a]",
        "a ended GIVE_UP bad", "a gaveUp orders g [a] NON_RETRYABLE 1 dropped");
  }

  @Test
  void aThrowingInstrumentationIsIgnoredAndTheOthersAndDeliveryGoOn() {
    Instrumentation broken = new Instrumentation() {
      @Override
      public PublishObservation publishing(String system, String topic, List<Event> events) {
        throw new IllegalStateException("broken publishing");
      }

      @Override
      public AttemptObservation attempting(String system, String topic, String group,
          Delivery delivery) {
        throw new IllegalStateException("broken attempting");
      }

      @Override
      public void gaveUp(String system, String topic, String group, Event event,
          DeadLetterReason reason, int attempts, boolean stored) {
        throw new IllegalStateException("broken gaveUp");
      }
    };
    Instrumentation brokenObservations = new Recording("o", new ArrayList<>()) {
      @Override
      public PublishObservation publishing(String system, String topic, List<Event> events) {
        return new PublishObservation() {
          @Override
          public List<Event> events() {
            return events.subList(1, events.size()); // drops an event: must be refused
          }

          @Override
          public void completed(Throwable failure) {
            throw new IllegalStateException("broken completed");
          }
        };
      }

      @Override
      public AttemptObservation attempting(String system, String topic, String group,
          Delivery delivery) {
        return new AttemptObservation() {
          @Override
          public Scope enter() {
            return () -> {
              throw new IllegalStateException("broken close");
            };
          }

          @Override
          public void ended(Throwable failure, Next next) {
            throw new IllegalStateException("broken ended");
          }
        };
      }
    };
    bus(broken, brokenObservations, new Recording("a", calls));
    AtomicInteger handled = new AtomicInteger();
    bus.subscribe(TOPIC, retrying(2), d -> {
      handled.incrementAndGet();
      if (d.event().type().equals("x")) {
        throw new IllegalStateException("fails " + d.attempt());
      }
    });

    bus.publishAll(TOPIC, List.of(event("x"), event("y"))).join();

    await().atMost(WAIT).until(() -> handled.get() == 3 && calls.contains("a ended DONE")
        && calls.stream().anyMatch(c -> c.startsWith("a gaveUp")));
    assertThat(calls).contains("a publishing orders [] []", "a completed null",
        "a gaveUp orders g [a] RETRIES_EXHAUSTED 2 stored");
    assertThat(bus.deadLetters().count(TOPIC, "g")).isEqualTo(1);
  }

  @Test
  void headersThatMakeAnEventTooLargeFailThePublishAndTheObservationIsTold() {
    Instrumentation bloating = new Recording("a", calls) {
      @Override
      protected Event withHeader(Event e) {
        return e.toBuilder().header("big", "x".repeat(2000)).build();
      }
    };
    bus(bloating);

    assertThatThrownBy(() -> bus.publish(TOPIC, event("x")))
        .isInstanceOf(EventTooLargeException.class);
    assertThat(calls).containsExactly("a publishing orders []",
        "a completed EventTooLargeException");
  }

  @Test
  void withoutInstrumentationsTheBusHoldsNoChain() {
    assertThat(InstrumentationChain.of(List.of())).isNull();
  }

  private List<String> publishCalls() {
    return calls.stream().filter(c -> c.contains("publishing") || c.contains("completed"))
        .toList();
  }

  private List<String> attemptCalls() {
    return calls.stream().filter(c -> !c.contains("publishing") && !c.contains("completed")
        && !c.endsWith("enter") && !c.endsWith("close")).toList();
  }

  /** Records every call as a line; adds the header {@code <name>=1} to published events. */
  private static class Recording implements Instrumentation {
    private final String name;
    private final List<String> calls;

    Recording(String name, List<String> calls) {
      this.name = name;
      this.calls = calls;
    }

    protected Event withHeader(Event e) {
      return e.toBuilder().header(name, "1").build();
    }

    private static String headerNames(Event e) {
      return e.headers().keySet().toString().replace(" ", "");
    }

    @Override
    public PublishObservation publishing(String system, String topic, List<Event> events) {
      assertThat(system).isEqualTo("memory");
      StringBuilder line = new StringBuilder(name + " publishing " + topic);
      List<Event> out = new ArrayList<>();
      for (Event e : events) {
        line.append(' ').append(headerNames(e).replace(",", ", "));
        out.add(withHeader(e));
      }
      calls.add(line.toString());
      return new PublishObservation() {
        @Override
        public List<Event> events() {
          return out;
        }

        @Override
        public void completed(Throwable failure) {
          calls.add(name + " completed "
              + (failure == null ? "null" : failure.getClass().getSimpleName()));
        }
      };
    }

    @Override
    public AttemptObservation attempting(String system, String topic, String group,
        Delivery delivery) {
      calls.add(name + " attempting " + topic + " " + group + " " + delivery.attempt() + " "
          + headerNames(delivery.event()).replace(",", ", "));
      return new AttemptObservation() {
        @Override
        public Scope enter() {
          calls.add(name + " enter");
          return () -> calls.add(name + " close");
        }

        @Override
        public void ended(Throwable failure, Next next) {
          calls.add(name + " ended " + next + (failure == null ? "" : " " + failure.getMessage()));
        }
      };
    }

    @Override
    public void gaveUp(String system, String topic, String group, Event event,
        DeadLetterReason reason, int attempts, boolean stored) {
      calls.add(name + " gaveUp " + topic + " " + group + " " + headerNames(event) + " "
          + reason + " " + attempts + " " + (stored ? "stored" : "dropped"));
    }
  }
}
