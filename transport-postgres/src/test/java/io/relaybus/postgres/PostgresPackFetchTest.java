package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * After its first fetch, a member reads events of ordinary size as whole packs and as rows of
 * one, each attribute an array (ADR 0014). Every attribute arrives as published, and a fetch
 * that stops at its limit of packs or rows leaves what lies beyond for the next one, so that
 * rows and packs of one partition keep their order and none is skipped.
 */
class PostgresPackFetchTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_pack_fetch");

  private static EventBus bus(Map<String, String> settings) {
    return DB.buses().bus(settings);
  }

  private static Event event(String id) {
    return Event.builder().id(id).source("urn:test").type("t").text(id).build();
  }

  @Test
  @DisplayName("rows and packs of one partition arrive in publish order, none lost, when "
      + "fetches stop at their limits of packs and of rows")
  void rowsAndPacksOfAPartitionKeepTheirOrder() {
    EventBus publisher = bus(Map.of());
    EventBus consumer = bus(Map.of("relaybus.postgres.partitions", "1",
        "relaybus.postgres.fetch-size", "8"));
    String topic = "packfetch.order";
    List<String> published = new ArrayList<>();
    consumer.publish(topic, event("first")).join(); // creates the topic, with one partition
    published.add("first");
    // Each in its own transaction: a pack of three, then a row, again and again.
    for (int i = 0; i < 30; i++) {
      List<Event> pack = List.of(event("p" + i + "a"), event("p" + i + "b"), event("p" + i + "c"));
      publisher.publishAll(topic, pack).join();
      pack.forEach(e -> published.add(e.id()));
      publisher.publish(topic, event("r" + i)).join();
      published.add("r" + i);
    }
    List<String> received = new CopyOnWriteArrayList<>();
    // With 8 events a fetch, the first pack fetch asks for 1 pack and 8 rows: the rows reach
    // past packs it did not read.
    consumer.subscribe(topic, SubscribeOptions.builder().group("g").maxInFlight(4)
        .concurrency(1).build(), d -> received.add(d.event().id()));
    await().atMost(PATIENCE).until(() -> received.size() >= published.size());
    assertThat(received).as("events in publish order, each once").isEqualTo(published);
  }

  @Test
  @DisplayName("every attribute read from a pack or a row of one is the one published")
  void attributesArriveAsPublished() {
    EventBus bus = bus(Map.of());
    String topic = "packfetch.attributes";
    List<Event> received = new CopyOnWriteArrayList<>();
    bus.subscribe(topic, SubscribeOptions.builder().group("g").build(),
        d -> received.add(d.event()));
    Event warmUp = event("warm-up"); // after it, the member reads packs and rows of one
    bus.publish(topic, warmUp).join();
    await().atMost(PATIENCE).until(() -> received.size() == 1);

    List<Event> sent = new ArrayList<>();
    Instant[] times = {Instant.parse("1969-12-31T23:59:59.999999Z"),
        Instant.parse("0001-01-01T00:00:00Z"), Instant.parse("9999-12-31T23:59:59.999999Z"),
        Instant.parse("2026-11-26T23:27:07.123456Z"), Instant.parse("1900-06-30T12:00:00.000001Z")};
    for (int i = 0; i < times.length; i++) {
      sent.add(Event.builder().id("full-" + i).source("https://example.com/orders?q=" + i)
          .type("com.example.order.placed").subject("order/" + i + "/é")
          .time(times[i]).dataContentType("application/json")
          .dataSchema("https://example.com/schemas/order-" + i + ".json").key("customer-" + i)
          .header("tenant", "acme \" \\ {}[] ünï").header("traceparent", "00-" + i)
          .data(("{\"n\":" + i + ",\"s\":\"\\u0000 ✓\"}").getBytes(StandardCharsets.UTF_8))
          .build());
      sent.add(Event.builder().id("bare-" + i).source("urn:x").type("t").time(times[i])
          .data(new byte[] {0, (byte) 255, (byte) i}).build());
    }
    bus.publishAll(topic, sent).join(); // keyed and unkeyed: packs, and rows where alone
    for (Event e : sent) {
      bus.publish(topic, e.toBuilder().id(e.id() + "-row").build()).join(); // rows
    }
    await().atMost(PATIENCE).until(() -> received.size() == 1 + 2 * sent.size());
    List<Event> expected = new ArrayList<>(List.of(warmUp));
    expected.addAll(sent);
    sent.forEach(e -> expected.add(e.toBuilder().id(e.id() + "-row").build()));
    assertThat(received).containsExactlyInAnyOrderElementsOf(expected);
  }
}
