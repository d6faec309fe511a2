package io.relaybus.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.Capabilities;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventTooLargeException;
import io.relaybus.InvalidNameException;
import io.relaybus.PublishReceipt;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A transport's publish into the caller's transaction, checked and observed as the bus does. */
class CallerTransactionPublishTest {
  private static final Capabilities LIMITED = Capabilities.of().withMaxEventSize(2_000);

  @Test
  void theWriteGetsTheEventsWithTheInstrumentationsHeadersAndTheObservationItsOutcome() {
    Recording instrumentation = new Recording("x".repeat(10));
    List<List<Event>> written = new ArrayList<>();
    List<PublishReceipt> receipts = CallerTransactionPublish.observed("test", LIMITED,
        instrumentation, "orders", List.of(event(10)), events -> {
          written.add(events);
          return List.of(new PublishReceipt("orders", events.get(0).id(), "p"));
        });
    assertThat(receipts).hasSize(1);
    assertThat(written).singleElement().satisfies(events -> assertThat(events.get(0).headers())
        .containsEntry("traceparent", "x".repeat(10)));
    assertThat(instrumentation.outcomes).containsExactly((Throwable) null);
  }

  @Test
  void aFailedWriteCompletesTheObservationWithItsFailureAndIsRethrown() {
    Recording instrumentation = new Recording("x");
    IllegalStateException failure = new IllegalStateException("insert refused");
    assertThatThrownBy(() -> CallerTransactionPublish.observed("test", LIMITED,
        instrumentation, "orders", List.of(event(10)), events -> {
          throw failure;
        })).isSameAs(failure);
    assertThat(instrumentation.outcomes).containsExactly(failure);
  }

  @Test
  void headersThatPushAnEventOverTheLimitStopTheWrite() {
    Recording instrumentation = new Recording("x".repeat(1_500));
    List<List<Event>> written = new ArrayList<>();
    assertThatThrownBy(() -> CallerTransactionPublish.observed("test", LIMITED,
        instrumentation, "orders", List.of(event(1_000)), events -> {
          written.add(events);
          return List.of();
        })).isInstanceOf(EventTooLargeException.class)
        .hasMessageContaining("relaybus.test.max-event-size");
    assertThat(written).isEmpty();
    assertThat(instrumentation.outcomes).singleElement()
        .isInstanceOf(EventTooLargeException.class);
  }

  @Test
  void eventsOverTheLimitAreRefusedBeforeAnyObservation() {
    Recording instrumentation = new Recording("x");
    assertThatThrownBy(() -> CallerTransactionPublish.observed("test", LIMITED,
        instrumentation, "orders", List.of(event(3_000)), events -> List.of()))
        .isInstanceOf(EventTooLargeException.class);
    assertThat(instrumentation.outcomes).isEmpty();
  }

  @Test
  void argumentsAreCheckedAsThePublishOfTheBusChecksThem() {
    assertThatThrownBy(() -> CallerTransactionPublish.requireArguments("bad topic!",
        List.of(event(1)))).isInstanceOf(InvalidNameException.class);
    assertThatThrownBy(() -> CallerTransactionPublish.requireArguments("orders",
        Arrays.asList(event(1), null))).isInstanceOf(NullPointerException.class)
        .hasMessage("events[1]");
  }

  private static Event event(int bytes) {
    return Event.builder().source("/t").type("t").data(new byte[bytes]).build();
  }

  /** Adds a {@code traceparent} of a given value and records each publish's outcome. */
  private static final class Recording implements Instrumentation {
    private final String traceparent;
    final List<Throwable> outcomes = new ArrayList<>();

    Recording(String traceparent) {
      this.traceparent = traceparent;
    }

    @Override
    public PublishObservation publishing(String system, String topic, List<Event> events) {
      List<Event> traced = events.stream()
          .map(e -> e.withHeaders(Map.of("traceparent", traceparent))).toList();
      return new PublishObservation() {
        @Override
        public List<Event> events() {
          return traced;
        }

        @Override
        public void completed(Throwable failure) {
          outcomes.add(failure);
        }
      };
    }

    @Override
    public AttemptObservation attempting(String system, String topic, String group,
        Delivery delivery) {
      throw new UnsupportedOperationException("no deliveries here");
    }
  }
}
