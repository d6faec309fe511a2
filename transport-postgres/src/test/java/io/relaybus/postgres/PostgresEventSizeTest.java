package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.ConfigurationException;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventTooLargeException;
import io.relaybus.SubscribeOptions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code relaybus.postgres.max-event-size} and the 64 MiB a publish holds: at the limits
 * published and delivered intact, one byte past them refused before any statement, nothing
 * stored; on the bus and in the caller's transaction.
 */
class PostgresEventSizeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final long MIB = 1 << 20;

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_sizes");
  private final TestBuses buses = DB.buses();

  /** An event of random data whose {@link Event#size()} is exactly {@code size}. */
  private static Event eventOfSize(String id, String key, long size) {
    Event bare = Event.builder().id(id).source("/sizes").type("size.test").key(key).build();
    byte[] data = new byte[Math.toIntExact(size - bare.size())];
    ThreadLocalRandom.current().nextBytes(data);
    return bare.toBuilder().data(data).build();
  }

  private static long stored(String topic) {
    return DB.queryLong("SELECT count(*) FROM relaybus.events WHERE topic = '" + topic + "'")
        + DB.queryLong("SELECT coalesce(sum(cardinality(seqs)), 0) FROM relaybus.packs "
        + "WHERE topic = '" + topic + "'");
  }

  private static String sha256(byte[] data) {
    try {
      return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @DisplayName("max-event-size: an event at it is stored and delivered intact, one byte more is "
      + "refused naming the key, alone and in a batch, and nothing of it is stored")
  void configuredLimitAcceptsItsSizeAndRefusesOneByteMore() throws Exception {
    EventBus bus = buses.bus(Map.of("relaybus.postgres.max-event-size", "64KiB"));
    assertThat(bus.capabilities().maxEventSize()).isEqualTo(OptionalLong.of(64 * 1024));
    String topic = "sizes.configured";
    Map<String, Event> received = new ConcurrentHashMap<>();
    bus.subscribe(topic, SubscribeOptions.group("g"), d -> received.put(d.event().id(), d.event()));

    Event atLimit = eventOfSize("at-limit", null, 64 * 1024);
    bus.publish(topic, atLimit).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThatThrownBy(() -> bus.publish(topic, eventOfSize("past", null, 64 * 1024 + 1)))
        .isInstanceOf(EventTooLargeException.class)
        .hasMessage("Cannot publish to topic 'sizes.configured': event past is 65537 bytes, "
            + "larger than the 65536 bytes (64.0 KiB) the postgres transport accepts per event; "
            + "nothing was published. Raise relaybus.postgres.max-event-size or publish a "
            + "smaller event (its size is the data plus the attributes and headers in UTF-8, "
            + "Event.size())");
    assertThatThrownBy(() -> bus.publishAll(topic, List.of(eventOfSize("small", "k", 100),
        eventOfSize("past-2", "k", 64 * 1024 + 1)))).isInstanceOf(EventTooLargeException.class);

    await().atMost(PATIENCE).until(() -> received.containsKey("at-limit"));
    assertThat(received.get("at-limit")).isEqualTo(atLimit);
    assertThat(stored(topic)).as("events stored").isEqualTo(1);
  }

  @Test
  @DisplayName("a publishAll of 64 MiB in all is written in one statement and delivered intact; "
      + "one byte more is refused whole before any statement")
  void aBatchOf64MibIsDeliveredAndOneByteMoreIsRefusedWhole() throws Exception {
    EventBus bus = buses.bus();
    assertThat(bus.capabilities().maxEventSize()).isEqualTo(OptionalLong.of(4 * MIB));
    assertThat(bus.capabilities().maxBatchSize()).isEqualTo(OptionalLong.of(64 * MIB));
    String topic = "sizes.batch";
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < 16; i++) { // one key: one partition, so one pack row of 64 MiB
      batch.add(eventOfSize("full-" + i, "one", 4 * MIB));
    }
    Map<String, String> sent = new ConcurrentHashMap<>();
    batch.forEach(e -> sent.put(e.id(), sha256(e.data())));
    List<Event> tooLarge = new ArrayList<>(batch.subList(0, 15));
    tooLarge.add(eventOfSize("almost-full", "one", 4 * MIB - 99));
    tooLarge.add(eventOfSize("small", "one", 100)); // 64 MiB + 1 byte in all

    assertThatThrownBy(() -> bus.publishAll("sizes.batch-refused", tooLarge))
        .isInstanceOf(EventTooLargeException.class)
        .hasMessageStartingWith("Cannot publish to topic 'sizes.batch-refused': the batch of 17 "
            + "events is 67108865 bytes, larger than the 67108864 bytes (64.0 MiB) the postgres "
            + "transport accepts in one publishAll; nothing was published.");
    assertThat(stored("sizes.batch-refused")).as("events stored").isZero();

    bus.publishAll(topic, batch).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    batch.clear();
    Map<String, String> received = new ConcurrentHashMap<>();
    bus.subscribe(topic, SubscribeOptions.group("g"),
        d -> received.put(d.event().id(), sha256(d.event().data())));
    await().atMost(PATIENCE).until(() -> received.size() == 16);
    assertThat(received).isEqualTo(sent);
  }

  @Test
  @DisplayName("publishing in the caller's transaction checks the same limit before inserting")
  void transactionalPublishIsCheckedToo() throws Exception {
    EventBus bus = buses.bus(Map.of("relaybus.postgres.max-event-size", "2KiB"));
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    try (Connection c = DB.transaction("sizes-outbox")) {
      pg.publish(c, "sizes.outbox", List.of(eventOfSize("ok", null, 2048)));
      assertThatThrownBy(() -> pg.publish(c, "sizes.outbox",
          List.of(eventOfSize("too-large", null, 2049))))
          .isInstanceOf(EventTooLargeException.class)
          .hasMessageContaining("event too-large is 2049 bytes")
          .hasMessageContaining("relaybus.postgres.max-event-size");
      c.commit();
    }
    assertThat(stored("sizes.outbox")).isEqualTo(1);
  }

  @Test
  @DisplayName("max-event-size above 64 MiB is a configuration problem naming the key and range")
  void aLimitAbove64MibIsRefused() {
    assertThatThrownBy(() -> buses.bus(Map.of("relaybus.postgres.max-event-size", "65MiB")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.postgres.max-event-size='65MiB' is invalid: expected a "
            + "size from 1 KiB to 64 MiB");
  }
}
