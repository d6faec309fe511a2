package io.relaybus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.BusClosedException;
import io.relaybus.Capabilities;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventHandler;
import io.relaybus.InvalidNameException;
import io.relaybus.PublishReceipt;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.memory.MemoryTransportProvider;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import io.relaybus.spi.TransportSubscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The bus's own checks, made before anything reaches the transport. */
class DefaultEventBusTest {

  private static final EventHandler NOOP = d -> { };

  private RecordingProvider provider;
  private EventBus bus;

  @BeforeEach
  void createBus() {
    provider = new RecordingProvider();
    bus = EventBus.builder().provider(provider).build();
  }

  @AfterEach
  void closeBus() {
    bus.close();
  }

  private static Event event(String type) {
    return Event.builder().source("/test").type(type).build();
  }

  // --- null arguments ---

  @Test
  void publishRefusesNullArgumentsNamingTheParameter() {
    assertThatThrownBy(() -> bus.publish(null, event("a")))
        .isInstanceOf(NullPointerException.class).hasMessage("topic");
    assertThatThrownBy(() -> bus.publish("orders", null))
        .isInstanceOf(NullPointerException.class).hasMessage("event");
    assertThat(provider.publishes).hasValue(0);
  }

  @Test
  void publishAllRefusesNullArgumentsAndNullElementsNamingThem() {
    assertThatThrownBy(() -> bus.publishAll(null, List.of(event("a"))))
        .isInstanceOf(NullPointerException.class).hasMessage("topic");
    assertThatThrownBy(() -> bus.publishAll("orders", null))
        .isInstanceOf(NullPointerException.class).hasMessage("events");
    assertThatThrownBy(() -> bus.publishAll("orders", Arrays.asList(event("a"), null)))
        .isInstanceOf(NullPointerException.class).hasMessage("events[1]");
    assertThat(provider.publishes).hasValue(0);
  }

  @Test
  void subscribeRefusesNullArgumentsNamingTheParameter() {
    assertThatThrownBy(() -> bus.subscribe(null, SubscribeOptions.group("g"), NOOP))
        .isInstanceOf(NullPointerException.class).hasMessage("topic");
    assertThatThrownBy(() -> bus.subscribe("orders", (SubscribeOptions) null, NOOP))
        .isInstanceOf(NullPointerException.class).hasMessage("options");
    assertThatThrownBy(() -> bus.subscribe("orders", SubscribeOptions.group("g"), null))
        .isInstanceOf(NullPointerException.class).hasMessage("handler");
    assertThatThrownBy(() -> bus.subscribe("orders", (String) null, NOOP))
        .isInstanceOf(NullPointerException.class).hasMessage("group");
    assertThat(provider.subscribes).hasValue(0);
  }

  @Test
  void deadLettersRefuseNullArgumentsNamingTheParameter() {
    try (EventBus memory = EventBus.create(Map.of("relaybus.transport", "memory"))) {
      DeadLetters deadLetters = memory.deadLetters();
      assertThatThrownBy(() -> deadLetters.list(null, "g", 10))
          .isInstanceOf(NullPointerException.class).hasMessage("topic");
      assertThatThrownBy(() -> deadLetters.count("orders", null))
          .isInstanceOf(NullPointerException.class).hasMessage("group");
      assertThatThrownBy(() -> deadLetters.replay("orders", "g", null))
          .isInstanceOf(NullPointerException.class).hasMessage("deadLetterId");
      assertThatThrownBy(() -> deadLetters.replayAll(null, "g"))
          .isInstanceOf(NullPointerException.class).hasMessage("topic");
      assertThatThrownBy(() -> deadLetters.purge("orders", null))
          .isInstanceOf(NullPointerException.class).hasMessage("group");
    }
  }

  // --- invalid names ---

  @ParameterizedTest
  @ValueSource(strings = {"x'; DROP TABLE t;--", "a/b?c#d", "orders ", "", "ordérs"})
  void invalidTopicIsRefusedBeforeAnythingIsStored(String topic) {
    assertThatThrownBy(() -> bus.publish(topic, event("a")))
        .isInstanceOf(InvalidNameException.class).hasMessageContaining("topic name");
    assertThatThrownBy(() -> bus.publishAll(topic, List.of(event("a"))))
        .isInstanceOf(InvalidNameException.class);
    assertThatThrownBy(() -> bus.subscribe(topic, "g", NOOP))
        .isInstanceOf(InvalidNameException.class);

    assertThat(provider.publishes).hasValue(0);
    assertThat(provider.subscribes).hasValue(0);
  }

  @Test
  void overlongTopicIsRefusedBeforeAnythingIsStored() {
    assertThatThrownBy(() -> bus.publish("t".repeat(201), event("a")))
        .isInstanceOf(InvalidNameException.class).hasMessageContaining("(201 chars)");
    assertThat(provider.publishes).hasValue(0);
  }

  @Test
  void invalidGroupIsRefusedBeforeSubscribing() {
    assertThatThrownBy(() -> bus.subscribe("orders", "billing eu", NOOP))
        .isInstanceOf(InvalidNameException.class).hasMessageContaining("group name");
    assertThat(provider.subscribes).hasValue(0);
  }

  // --- publishing ---

  @Test
  void publishAllReturnsReceiptsInEventOrder() {
    List<Event> events = List.of(event("a"), event("b"), event("c"));

    List<PublishReceipt> receipts = bus.publishAll("orders", events).join();

    assertThat(receipts).extracting(PublishReceipt::eventId)
        .containsExactly(events.get(0).id(), events.get(1).id(), events.get(2).id());
    assertThat(receipts).extracting(PublishReceipt::topic).containsOnly("orders");
  }

  @Test
  void publishAllOfNoEventsCompletesWithoutReachingTheTransport() {
    assertThat(bus.publishAll("orders", List.of()).join()).isEmpty();
    assertThat(provider.publishes).hasValue(0);
  }

  @Test
  void transportFailureCompletesThePublishFutureExceptionally() {
    provider.failPublish = true;

    CompletableFuture<PublishReceipt> f = bus.publish("orders", event("a"));

    assertThat(f).isCompletedExceptionally();
  }

  // --- closed bus ---

  @Test
  void publishAndSubscribeOnAClosedBusThrowBusClosedException() {
    bus.close();

    assertThat(bus.isClosed()).isTrue();
    assertThatThrownBy(() -> bus.publish("orders", event("a")))
        .isInstanceOf(BusClosedException.class)
        .hasMessageContaining("'orders'").hasMessageContaining("closed");
    assertThatThrownBy(() -> bus.publishAll("orders", List.of(event("a"))))
        .isInstanceOf(BusClosedException.class);
    assertThatThrownBy(() -> bus.subscribe("orders", "g", NOOP))
        .isInstanceOf(BusClosedException.class)
        .hasMessageContaining("'orders'");
    assertThat(provider.publishes).hasValue(0);
    assertThat(provider.subscribes).hasValue(0);
  }

  @Test
  void closingTwiceIsSafe() {
    bus.close();

    assertThatCode(bus::close).doesNotThrowAnyException();
    assertThat(bus.isClosed()).isTrue();
    assertThat(provider.transportCloses).hasValue(1);
  }

  @Test
  void concurrentClosesAllReturnAfterTheBusIsClosed() throws Exception {
    Subscription s = bus.subscribe("orders", "g", NOOP);
    List<CompletableFuture<Void>> closers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      closers.add(CompletableFuture.runAsync(bus::close));
    }

    CompletableFuture.allOf(closers.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

    assertThat(s.isClosed()).isTrue();
    assertThat(provider.transportCloses).hasValue(1);
  }

  @Test
  void closingTheBusClosesItsSubscriptions() {
    Subscription a = bus.subscribe("orders", "a", NOOP);
    Subscription b = bus.subscribe("payments", "b", NOOP);

    bus.close();

    assertThat(a.isClosed()).isTrue();
    assertThat(b.isClosed()).isTrue();
    assertThat(provider.subscriptionCloses).hasValue(2);
  }

  @Test
  void closingASubscriptionTwiceIsSafe() {
    Subscription s = bus.subscribe("orders", "g", NOOP);

    s.close();
    assertThatCode(s::close).doesNotThrowAnyException();
    assertThatCode(() -> s.close(Duration.ZERO)).doesNotThrowAnyException();

    assertThat(s.isClosed()).isTrue();
    assertThat(provider.subscriptionCloses).hasValue(1);
    assertThatCode(bus::close).doesNotThrowAnyException();
  }

  @Test
  void closingTheSubscriptionStopsDelivery() throws InterruptedException {
    List<String> handled = new CopyOnWriteArrayList<>();
    Subscription s = bus.subscribe("orders", "g", d -> handled.add(d.event().type()));
    bus.publish("orders", event("before")).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> handled.contains("before"));

    s.close();
    bus.publish("orders", event("after")).join();
    // A second member proves "after" was delivered to the group, and not to the closed one.
    CountDownLatch afterSeen = new CountDownLatch(1);
    bus.subscribe("orders", "g", d -> afterSeen.countDown());

    assertThat(afterSeen.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(handled).containsExactly("before");
  }

  // --- one handler instance, one member ---

  @Test
  void sameHandlerInstanceCannotSubscribeTwiceToTheSameTopicAndGroup() {
    EventHandler handler = d -> { };
    bus.subscribe("orders", "billing", handler);

    assertThatThrownBy(() -> bus.subscribe("orders", "billing", handler))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'orders'")
        .hasMessageContaining("'billing'");
    assertThat(provider.subscribes).hasValue(1);
  }

  @Test
  void defaultGroupAndExplicitDefaultGroupAreTheSameGroup() {
    EventHandler handler = d -> { };
    bus.subscribe("orders", SubscribeOptions.builder().build(), handler);

    assertThatThrownBy(() -> bus.subscribe("orders", SubscribeOptions.DEFAULT_GROUP, handler))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void differentHandlerInstancesMaySubscribeToTheSameTopicAndGroup() {
    Subscription first = bus.subscribe("orders", "billing", d -> { });
    Subscription second = bus.subscribe("orders", "billing", d -> { });

    assertThat(first.isClosed()).isFalse();
    assertThat(second.isClosed()).isFalse();
  }

  @Test
  void sameHandlerMaySubscribeToAnotherGroupOrTopic() {
    EventHandler handler = d -> { };
    bus.subscribe("orders", "billing", handler);

    assertThatCode(() -> bus.subscribe("orders", "shipping", handler))
        .doesNotThrowAnyException();
    assertThatCode(() -> bus.subscribe("payments", "billing", handler))
        .doesNotThrowAnyException();
  }

  @Test
  void sameHandlerMaySubscribeAgainAfterItsSubscriptionIsClosed() {
    EventHandler handler = d -> { };
    Subscription first = bus.subscribe("orders", "billing", handler);
    first.close();

    Subscription again = bus.subscribe("orders", "billing", handler);

    assertThat(again.isClosed()).isFalse();
    assertThat(again.group()).isEqualTo("billing");
  }

  // --- a memory transport that counts what reaches it ---

  static final class RecordingProvider implements TransportProvider {
    final AtomicInteger publishes = new AtomicInteger();
    final AtomicInteger subscribes = new AtomicInteger();
    final AtomicInteger subscriptionCloses = new AtomicInteger();
    final AtomicInteger transportCloses = new AtomicInteger();
    volatile boolean failPublish;

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public Set<String> configKeys() {
      return Set.of();
    }

    @Override
    public Transport create(TransportContext context) {
      Transport memory = new MemoryTransportProvider().create(context);
      return new Transport() {
        @Override
        public Capabilities capabilities() {
          return memory.capabilities();
        }

        @Override
        public CompletableFuture<List<PublishReceipt>> publish(String topic, List<Event> events) {
          publishes.incrementAndGet();
          if (failPublish) {
            throw new IllegalStateException("storage unavailable");
          }
          return memory.publish(topic, events);
        }

        @Override
        public TransportSubscription subscribe(String topic, SubscribeOptions options,
            MessageSink sink) {
          subscribes.incrementAndGet();
          TransportSubscription ts = memory.subscribe(topic, options, sink);
          return new TransportSubscription() {
            @Override
            public void stopFetching() {
              ts.stopFetching();
            }

            @Override
            public void close() {
              subscriptionCloses.incrementAndGet();
              ts.close();
            }
          };
        }

        @Override
        public DeadLetters deadLetters() {
          return memory.deadLetters();
        }

        @Override
        public void close() {
          transportCloses.incrementAndGet();
          memory.close();
        }
      };
    }
  }
}
