package io.relaybus.tck;

import static io.relaybus.tck.TransportCompatibilityKit.SOURCE;
import static io.relaybus.tck.TransportCompatibilityKit.textEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.Capability;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventTooLargeException;
import io.relaybus.PublishReceipt;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Publishing and delivering (semantics rules 2 to 5): an event of the maximum size is delivered
 * and a larger one refused before anything is stored, the round trip keeps the event exactly,
 * every accepted event is delivered and nothing acknowledged is delivered again, and topics stay
 * apart.
 */
abstract class DeliveryGuarantees extends GuaranteeFamily {

  DeliveryGuarantees(TransportCompatibilityKit kit) {
    super(kit);
  }

  @Test
  @DisplayName("a handler receives the event exactly as published: every attribute, every "
      + "header, the key and the exact data bytes (binary, Unicode, 1 MiB, empty)")
  void roundTripKeepsEnvelopeAndBytes() {
    EventBus bus = bus();
    String topic = uniqueName("t");
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    byte[] large = new byte[1024 * 1024];
    ThreadLocalRandom.current().nextBytes(large);
    List<Event> sent = List.of(
        Event.builder().id("tck-full-1").source("urn:relaybus:tck").type("tck.full")
            .subject("orders/42").time(Instant.parse("2024-02-29T12:34:56.123456Z"))
            .dataContentType("application/octet-stream")
            .dataSchema("https://schemas.example.com/order/v1.json").key("customer-7")
            .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
            .header("tenant", "acme").data(binary).build(),
        Event.builder().source(SOURCE).type("tck.unicode")
            .text("Grüße, 世界, emoji 🎉, RTL שלום, nul\u0000byte").build(),
        Event.builder().source(SOURCE).type("tck.large").data(large).build(),
        Event.builder().source(SOURCE).type("tck.empty").build());

    Map<String, Event> received = new ConcurrentHashMap<>();
    bus.subscribe(topic, options(uniqueName("g")).build(),
        d -> received.put(d.event().id(), d.event()));
    List<PublishReceipt> receipts = bus.publishAll(topic, sent).join();

    assertThat(receipts).extracting(PublishReceipt::eventId)
        .containsExactlyElementsOf(sent.stream().map(Event::id).toList());
    await().atMost(patience()).until(() -> received.size() == sent.size());
    for (Event e : sent) {
      Event r = received.get(e.id());
      assertThat(r).as("event %s", e.id()).isEqualTo(e);
      assertThat(r.data()).as("data of %s", e.id()).isEqualTo(e.data());
      assertThat(r.headers()).isEqualTo(e.headers());
      assertThat(r.time()).isEqualTo(e.time());
    }
  }

  @Test
  @DisplayName("an event of the transport's maximum event size is delivered with its bytes "
      + "intact; one byte more is refused at publish, alone or in a batch, and nothing of it "
      + "is stored")
  void maximumEventSizeIsDeliveredAndOneBytePastItIsRefused() {
    EventBus bus = bus();
    assertThat(bus.capabilities().maxEventSize()).as("every transport declares a maximum event "
        + "size (Capabilities.withMaxEventSize, read from relaybus.%s.max-event-size)",
        bus.transportName()).isPresent();
    long limit = bus.capabilities().maxEventSize().getAsLong();
    String topic = uniqueName("t");
    Map<String, Event> received = new ConcurrentHashMap<>();
    bus.subscribe(topic, options(uniqueName("g")).build(),
        d -> received.put(d.event().id(), d.event()));

    Event atLimit = eventOfSize("tck.at-limit", limit);
    bus.publish(topic, atLimit).join();
    Event pastLimit = eventOfSize("tck.past-limit", limit + 1);
    String key = "relaybus." + bus.transportName() + ".max-event-size";
    assertThatThrownBy(() -> bus.publish(topic, pastLimit))
        .isInstanceOf(EventTooLargeException.class)
        .hasMessageContaining("topic '" + topic + "'").hasMessageContaining(pastLimit.id())
        .hasMessageContaining((limit + 1) + " bytes").hasMessageContaining(limit + " bytes")
        .hasMessageContaining(key);
    Event small = textEvent("in a refused batch", null);
    assertThatThrownBy(() -> bus.publishAll(topic, List.of(small, pastLimit)))
        .isInstanceOf(EventTooLargeException.class);
    Event marker = textEvent("after the refused ones", null);
    bus.publish(topic, marker).join();

    await().atMost(patience()).until(() -> received.containsKey(atLimit.id())
        && received.containsKey(marker.id()));
    Event delivered = received.get(atLimit.id());
    assertThat(delivered.size()).isEqualTo(limit);
    assertThat(delivered.data()).as("data bytes").isEqualTo(atLimit.data());
    assertThat(delivered).isEqualTo(atLimit);
    awaitQuietly(() -> assertThat(received.keySet()).as("delivered")
        .containsExactlyInAnyOrder(atLimit.id(), marker.id()));
  }

  /** An event of random data whose {@link Event#size()} is exactly {@code size}. */
  private static Event eventOfSize(String type, long size) {
    Event bare = Event.builder().source(SOURCE).type(type)
        .dataContentType("application/octet-stream").build();
    byte[] data = new byte[Math.toIntExact(size - bare.size())];
    ThreadLocalRandom.current().nextBytes(data);
    return bare.toBuilder().data(data).build();
  }

  @Test
  @DisplayName("every accepted event is delivered and nothing acknowledged is delivered again: "
      + "20 publishers x 500 events, 5 members of one group, none missing, none twice")
  void concurrentPublishersNoneMissing() throws Exception {
    EventBus bus = bus();
    assumeCapability(bus, Capability.CONSUMER_GROUPS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    for (int m = 0; m < 5; m++) {
      String member = "member-" + m;
      bus.subscribe(topic, options(group).concurrency(2).build(),
          d -> recorder.record(member, d));
    }
    Set<String> expected = ConcurrentHashMap.newKeySet();
    ExecutorService publishers = Executors.newFixedThreadPool(20);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int p = 0; p < 20; p++) {
        int publisher = p;
        futures.add(publishers.submit(() -> {
          for (int i = 0; i < 500; i++) {
            Event e = textEvent(publisher + ":" + i, "k" + (i % 32));
            bus.publish(topic, e).join();
            expected.add(e.id());
          }
        }));
      }
      for (Future<?> f : futures) {
        f.get(patience().toSeconds(), TimeUnit.SECONDS);
      }
    } finally {
      publishers.shutdownNow();
    }
    assertThat(expected).hasSize(10_000);
    await().atMost(patience()).untilAsserted(() ->
        assertThat(recorder.distinct()).isEqualTo(10_000));
    assertThat(recorder.ids()).isEqualTo(expected);
    assertThat(recorder.duplicates()).as("events handled twice").isEmpty();
  }

  @Test
  @DisplayName("a subscription receives only its topic's events: 10 topics stay isolated")
  void topicIsolation() {
    EventBus bus = bus();
    int topics = 10;
    int perTopic = 20;
    List<String> names = new ArrayList<>();
    Map<String, Recorder> recorders = new HashMap<>();
    for (int t = 0; t < topics; t++) {
      String topic = uniqueName("t" + t);
      names.add(topic);
      Recorder r = new Recorder();
      recorders.put(topic, r);
      bus.subscribe(topic, options(uniqueName("g")).build(), d -> r.record("m", d));
    }
    for (String topic : names) {
      List<Event> batch = new ArrayList<>();
      for (int i = 0; i < perTopic; i++) {
        batch.add(textEvent(topic + "#" + i, null));
      }
      bus.publishAll(topic, batch).join();
    }
    await().atMost(patience()).untilAsserted(() -> {
      for (String topic : names) {
        assertThat(recorders.get(topic).distinct()).as(topic).isEqualTo(perTopic);
      }
    });
    awaitQuietly(() -> {
      for (String topic : names) {
        Recorder r = recorders.get(topic);
        assertThat(r.invocations()).as(topic).isEqualTo(perTopic);
        assertThat(r.all()).allSatisfy(s -> assertThat(s.text()).startsWith(topic + "#"));
      }
    });
  }
}
