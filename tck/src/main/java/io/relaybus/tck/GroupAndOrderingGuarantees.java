package io.relaybus.tck;

import static io.relaybus.tck.TransportCompatibilityKit.textEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Capability;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventHandler;
import io.relaybus.Subscription;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Consumer groups and ordering by key (semantics rules 6 and 7, capabilities
 * {@code CONSUMER_GROUPS} and {@code ORDERED_BY_KEY}): every group gets every event, members of
 * one group share them, and events of one key are handled one after the other.
 */
abstract class GroupAndOrderingGuarantees extends GuaranteeFamily {

  GroupAndOrderingGuarantees(TransportCompatibilityKit kit) {
    super(kit);
  }

  @Test
  @DisplayName("every group receives every event")
  void everyGroupReceivesEveryEvent() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.CONSUMER_GROUPS);
    String topic = uniqueName("t");
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    bus.subscribe(topic, options(uniqueName("a")).build(), d -> a.record("a", d));
    bus.subscribe(topic, options(uniqueName("b")).build(), d -> b.record("b", d));
    publishTexts(bus, topic, 0, 200, null);
    await().atMost(patience()).until(() -> a.distinct() == 200 && b.distinct() == 200);
    assertThat(a.ids()).isEqualTo(b.ids());
    awaitQuietly(() -> {
      assertThat(a.invocations()).isEqualTo(200);
      assertThat(b.invocations()).isEqualTo(200);
    });
  }

  @Test
  @DisplayName("inside a group each event goes to one member, and members share the work")
  void membersOfOneGroupShareWork() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.CONSUMER_GROUPS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    for (int m = 0; m < 3; m++) {
      String member = "member-" + m;
      bus.subscribe(topic, options(group).build(), d -> {
        recorder.record(member, d);
        Thread.sleep(2); // simulated work, so that no single member can take everything
      });
    }
    // Transports that rebalance asynchronously (leases, partition assignment) may give a new
    // member its share only after a moment: keep publishing until every member took part.
    int published = 0;
    long deadline = System.nanoTime() + patience().toNanos();
    do {
      List<Event> batch = new ArrayList<>();
      for (int i = 0; i < 100; i++, published++) {
        batch.add(textEvent(Integer.toString(published), "key-" + (published % 64)));
      }
      bus.publishAll(topic, batch).join();
      int expected = published;
      await().atMost(patience()).until(() -> recorder.distinct() == expected);
    } while (recorder.perMember().size() < 3 && System.nanoTime() < deadline);
    int total = published;
    awaitQuietly(() -> assertThat(recorder.invocations()).isEqualTo(total));
    assertThat(recorder.perMember()).containsOnlyKeys("member-0", "member-1", "member-2");
    assertThat(recorder.perMember().values()).allSatisfy(n -> assertThat(n).isPositive());
  }

  @Test
  @DisplayName("a later event with the same key is not handed to a handler before the earlier "
      + "one is acknowledged, retries included, across members: 2 members x concurrency 4, "
      + "16 keys")
  void perKeyOrderingUnderConcurrency() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.ORDERED_BY_KEY);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    int keys = 16;
    int perKey = 40;
    Map<String, List<Integer>> handled = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    List<String> violations = new CopyOnWriteArrayList<>();
    AtomicInteger total = new AtomicInteger();
    for (int m = 0; m < 2; m++) {
      bus.subscribe(topic, options(group).concurrency(4).maxInFlight(32).build(), d -> {
        String key = d.event().key().orElseThrow();
        int n = Integer.parseInt(d.event().dataAsText());
        if (running.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() != 1) {
          violations.add("two handlers of key " + key + " ran at once (event " + n + ")");
        }
        try {
          Thread.sleep(ThreadLocalRandom.current().nextInt(3)); // widen race windows
          if (n % 7 == 3 && d.attempt() == 1) {
            throw new IllegalStateException("transient failure to force a retry");
          }
          handled.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(n);
          total.incrementAndGet();
        } finally {
          running.get(key).decrementAndGet();
        }
      });
    }
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < perKey; i++) {
      for (int k = 0; k < keys; k++) {
        batch.add(textEvent(Integer.toString(i * keys + k), "key-" + k));
      }
    }
    bus.publishAll(topic, batch).join();
    await().atMost(patience()).until(() -> total.get() == keys * perKey);
    assertThat(violations).isEmpty();
    for (int k = 0; k < keys; k++) {
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < perKey; i++) {
        expected.add(i * keys + k);
      }
      assertThat(handled.get("key-" + k)).as("order of key-%d", k)
          .containsExactlyElementsOf(expected);
    }
  }

  @Test
  @DisplayName("key order holds when a member leaves mid-stream and hands its unfinished events "
      + "back to the group")
  void memberLeavingMidStreamKeepsPerKeyOrder() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.ORDERED_BY_KEY);
    assumeCapability(bus, Capability.CONSUMER_GROUPS);
    String topic = uniqueName("t");
    String group = uniqueName("g");
    int keys = 3;
    int perKey = 100;
    Map<String, List<Integer>> handled = new ConcurrentHashMap<>();
    AtomicInteger count = new AtomicInteger();
    EventHandler record = d -> {
      Thread.sleep(1); // simulated work, so the leaving member holds a backlog
      handled.computeIfAbsent(d.event().key().orElseThrow(), k -> new CopyOnWriteArrayList<>())
          .add(Integer.parseInt(d.event().dataAsText()));
      count.incrementAndGet();
    };
    Subscription leaving = bus.subscribe(topic, options(group).concurrency(1).maxInFlight(16)
        .build(), record);
    bus.subscribe(topic, options(group).concurrency(1).maxInFlight(4).build(), record::handle);
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < perKey; i++) {
      for (int k = 0; k < keys; k++) {
        batch.add(textEvent(Integer.toString(i * keys + k), "key-" + k));
      }
    }
    bus.publishAll(topic, batch).join();
    await().atMost(patience()).until(() -> count.get() >= keys * perKey / 4);
    leaving.close();
    await().atMost(patience()).until(() -> count.get() >= keys * perKey);
    for (int k = 0; k < keys; k++) {
      List<Integer> seen = handled.get("key-" + k);
      List<Integer> firstSeen = new ArrayList<>(new LinkedHashSet<>(seen));
      assertThat(firstSeen).as("order of key-%d", k).isSorted().hasSize(perKey);
    }
  }
}
