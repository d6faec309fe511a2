package io.relaybus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.Capabilities;
import io.relaybus.ConfigurationException;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventTooLargeException;
import io.relaybus.PublishReceipt;
import io.relaybus.SubscribeOptions;
import io.relaybus.memory.MemoryTransportProvider;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import io.relaybus.spi.TransportSubscription;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The bus checks every event of a publish against the transport's declared maximum event size
 * (and a batch against its maximum batch size) before the transport sees any of them.
 */
class EventSizeCheckTest {

  private static final long LIMIT = 200;
  private static final long BATCH_LIMIT = 500;

  /** An event whose {@link Event#size()} is exactly {@code size}. */
  static Event eventOfSize(String id, long size) {
    Event bare = Event.builder().id(id).source("/sizes").type("size.test").build();
    return bare.toBuilder().data(new byte[Math.toIntExact(size - bare.size())]).build();
  }

  @Test
  void anEventAtTheLimitIsPublishedAndOneBytePastItIsRefusedBeforeTheTransportSeesIt() {
    SizedProvider provider = new SizedProvider();
    try (EventBus bus = EventBus.builder().provider(provider).build()) {
      bus.publish("orders", eventOfSize("at-limit", LIMIT)).join();
      assertThat(provider.publishes).hasValue(1);

      assertThatThrownBy(() -> bus.publish("orders", eventOfSize("past-limit", LIMIT + 1)))
          .isInstanceOfSatisfying(EventTooLargeException.class, e -> {
            assertThat(e).hasMessage("Cannot publish to topic 'orders': event past-limit is 201 "
                + "bytes, larger than the 200 bytes the sized transport accepts per event; "
                + "nothing was published. Raise relaybus.sized.max-event-size or publish "
                + "a smaller event (its size is the data plus the attributes and headers in "
                + "UTF-8, Event.size())");
            assertThat(e.topic()).isEqualTo("orders");
            assertThat(e.eventId()).isEqualTo("past-limit");
            assertThat(e.size()).isEqualTo(LIMIT + 1);
            assertThat(e.limit()).isEqualTo(LIMIT);
          });
      assertThat(provider.publishes).as("transport publishes").hasValue(1);
    }
  }

  @Test
  void aBatchWithOneEventPastTheLimitIsRefusedWholeNamingTheEventsPosition() {
    SizedProvider provider = new SizedProvider();
    try (EventBus bus = EventBus.builder().provider(provider).build()) {
      List<Event> batch = List.of(eventOfSize("a", 50), eventOfSize("b", LIMIT + 1),
          eventOfSize("c", 50));

      assertThatThrownBy(() -> bus.publishAll("orders", batch))
          .isInstanceOf(EventTooLargeException.class)
          .hasMessageStartingWith("Cannot publish to topic 'orders': event #1 of the batch "
              + "(id b) is 201 bytes, larger than the 200 bytes");
      assertThat(provider.publishes).as("transport publishes").hasValue(0);
    }
  }

  @Test
  void aBatchAtTheBatchLimitIsPublishedAndOneBytePastItIsRefusedWhole() {
    SizedProvider provider = new SizedProvider();
    try (EventBus bus = EventBus.builder().provider(provider).build()) {
      List<PublishReceipt> receipts = bus.publishAll("orders", List.of(eventOfSize("a", 200),
          eventOfSize("b", 200), eventOfSize("c", 100))).join();
      assertThat(receipts).hasSize(3);

      assertThatThrownBy(() -> bus.publishAll("orders", List.of(eventOfSize("d", 200),
          eventOfSize("e", 200), eventOfSize("f", 101))))
          .isInstanceOfSatisfying(EventTooLargeException.class, e -> {
            assertThat(e).hasMessage("Cannot publish to topic 'orders': the batch of 3 events "
                + "is 501 bytes, larger than the 500 bytes the sized transport "
                + "accepts in one publishAll; nothing was published. Publish the events in "
                + "smaller batches");
            assertThat(e.eventId()).isNull();
            assertThat(e.size()).isEqualTo(501);
            assertThat(e.limit()).isEqualTo(BATCH_LIMIT);
          });
      assertThat(provider.publishes).as("transport publishes").hasValue(1);
    }
  }

  @Test
  void memoryDeliversAnEventAtItsConfiguredLimitIntactAndNeverOnePastIt() {
    try (EventBus bus = EventBus.create(Map.of("relaybus.memory.max-event-size", "1KiB"))) {
      assertThat(bus.capabilities().maxEventSize()).isEqualTo(OptionalLong.of(1024));
      Map<String, Event> received = new ConcurrentHashMap<>();
      bus.subscribe("orders", SubscribeOptions.group("g"),
          d -> received.put(d.event().id(), d.event()));
      Event atLimit = eventOfSize("at-limit", 1024);
      byte[] random = atLimit.data();
      new java.util.Random(7).nextBytes(random);
      atLimit = atLimit.toBuilder().data(random).build();

      bus.publish("orders", atLimit).join();
      assertThatThrownBy(() -> bus.publish("orders", eventOfSize("past-limit", 1025)))
          .isInstanceOf(EventTooLargeException.class)
          .hasMessageContaining("Raise relaybus.memory.max-event-size");
      assertThatThrownBy(() -> bus.publishAll("orders", List.of(eventOfSize("small", 50),
          eventOfSize("past-limit-2", 1025)))).isInstanceOf(EventTooLargeException.class);
      bus.publish("orders", eventOfSize("marker", 50)).join();

      await().atMost(Duration.ofSeconds(10)).until(() -> received.containsKey("marker"));
      assertThat(received.keySet()).containsExactlyInAnyOrder("at-limit", "marker");
      assertThat(received.get("at-limit")).isEqualTo(atLimit);
      assertThat(received.get("at-limit").data()).isEqualTo(random);
    }
  }

  @Test
  void memoryLimitDefaultsTo4MibAndABadValueIsAConfigurationProblem() {
    try (EventBus bus = EventBus.create(Map.of())) {
      assertThat(bus.capabilities().maxEventSize()).isEqualTo(OptionalLong.of(4L << 20));
    }
    assertThatThrownBy(() -> EventBus.create(Map.of("relaybus.memory.max-event-size", "4MB")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.memory.max-event-size='4MB' is invalid: expected a size "
            + "from 1 KiB to 64 MiB");
  }

  /** The memory transport declaring {@link #LIMIT} and {@link #BATCH_LIMIT}; counts publishes. */
  static final class SizedProvider implements TransportProvider {
    final AtomicInteger publishes = new AtomicInteger();

    @Override
    public String name() {
      return "sized";
    }

    @Override
    public Set<String> configKeys() {
      return Set.of();
    }

    @Override
    public Transport create(TransportContext context) {
      Transport memory = new MemoryTransportProvider().create(context);
      Capabilities sized = memory.capabilities().withMaxEventSize(LIMIT)
          .withMaxBatchSize(BATCH_LIMIT);
      return new Transport() {
        @Override
        public Capabilities capabilities() {
          return sized;
        }

        @Override
        public CompletableFuture<List<PublishReceipt>> publish(String topic, List<Event> events) {
          publishes.incrementAndGet();
          return memory.publish(topic, events);
        }

        @Override
        public TransportSubscription subscribe(String topic, SubscribeOptions options,
            MessageSink sink) {
          return memory.subscribe(topic, options, sink);
        }

        @Override
        public DeadLetters deadLetters() {
          return memory.deadLetters();
        }

        @Override
        public void close() {
          memory.close();
        }
      };
    }
  }
}
