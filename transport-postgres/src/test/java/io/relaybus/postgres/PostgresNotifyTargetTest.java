package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A notification wakes only the members that read the partitions it names, and a bus does not
 * act on its own notifications (it woke its members when its publish committed). Were every
 * member of the topic in every process woken, each would look for rows: with four members,
 * three of four fetches at a steady publish rate would find nothing.
 *
 * <p>Each of two buses has one member of the group and one of the topic's two partitions.
 * Heartbeats are 20 s and polls 10 min apart, so within the test a member looks for rows only
 * when something wakes it; the test sends the notifications itself.
 */
class PostgresNotifyTargetTest {
  private static final String TOPIC = "notify.target";
  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_notify_target");

  @Test
  void notificationsWakeOnlyTheMembersOfTheirPartitions() {
    TestBuses buses = DB.buses(Map.of("relaybus.postgres.lease-timeout", "60s",
        "relaybus.postgres.poll-interval", "10m", "relaybus.postgres.partitions", "2"));
    Set<String> received = ConcurrentHashMap.newKeySet();
    EventBus a = buses.bus();
    a.subscribe(TOPIC, SubscribeOptions.builder().group("g").build(),
        d -> received.add(d.event().id()));
    EventBus b = buses.bus();
    b.subscribe(TOPIC, SubscribeOptions.builder().group("g").build(),
        d -> received.add(d.event().id()));
    GroupMember memberA = only(a);
    GroupMember memberB = only(b);
    await().atMost(Duration.ofSeconds(30)).until(() ->
        memberA.ownedPartitions().size() == 1 && memberB.ownedPartitions().size() == 1);
    int partitionA = memberA.ownedPartitions().iterator().next();
    int partitionB = memberB.ownedPartitions().iterator().next();
    String channel = a.unwrap(PostgresTransport.class).settings().channel();
    String originA = a.unwrap(PostgresTransport.class).origin();

    // Another process's publish to A's partition: A looks, B does not.
    long beforeA = memberA.fetchAttempts();
    long beforeB = memberB.fetchAttempts();
    notify(channel, TOPIC + " 0123abcd " + partitionA);
    await().atMost(Duration.ofSeconds(10)).until(() -> memberA.fetchAttempts() > beforeA);
    staysAt(memberB, beforeB, "B's fetches after a notification for A's partition");

    // A's own notification: B does not read that partition and A was woken at commit already.
    long afterA = memberA.fetchAttempts();
    notify(channel, TOPIC + " " + originA + " " + partitionA + "," + partitionB);
    await().atMost(Duration.ofSeconds(10)).until(() -> memberB.fetchAttempts() > beforeB);
    staysAt(memberA, afterA, "A's fetches after its own notification");

    // A bare topic (plain-SQL publishes, older Relaybus versions) wakes every member.
    long bareA = memberA.fetchAttempts();
    long bareB = memberB.fetchAttempts();
    notify(channel, TOPIC);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        memberA.fetchAttempts() > bareA && memberB.fetchAttempts() > bareB);

    // And events still arrive, published by each bus to both partitions.
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      batch.add(Event.builder().id("e" + i).source("urn:test").type("t").key("k" + i).build());
    }
    a.publishAll(TOPIC, batch.subList(0, 10)).join();
    b.publishAll(TOPIC, batch.subList(10, 20)).join();
    await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 20);
  }

  /**
   * A member that read everything there was looks again when notified, not after each delivery
   * it finishes: a fetch (and check for held-back rows) after every finished delivery would find
   * nothing while the member keeps up with its publishers.
   */
  @Test
  void aMemberThatKeepsUpFetchesOncePerPublishNotAlsoAfterEachDelivery() {
    // Cursors written only every minute: no commit loop looks for rows in between.
    TestBuses buses = DB.buses(Map.of("relaybus.postgres.lease-timeout", "60s",
        "relaybus.postgres.poll-interval", "10m", "relaybus.postgres.commit-interval", "60s"));
    EventBus bus = buses.bus();
    Set<String> received = ConcurrentHashMap.newKeySet();
    bus.subscribe("notify.keepsup", SubscribeOptions.builder().group("g").build(),
        d -> received.add(d.event().id()));
    Set<GroupMember> members = bus.unwrap(PostgresTransport.class).members("notify.keepsup");
    assertThat(members).hasSize(1);
    GroupMember member = members.iterator().next();
    await().atMost(Duration.ofSeconds(30)).until(() -> member.ownedPartitions().size() == 8);
    int events = 40;
    long before = member.fetchAttempts();
    for (int i = 0; i < events; i++) {
      String id = "k" + i;
      bus.publish("notify.keepsup", Event.builder().id(id).source("urn:test").type("t").key(id)
          .build()).join();
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
          .until(() -> received.contains(id));
    }
    // One fetch per publish, plus some quick second looks when a row was still behind another
    // running transaction; a member sent to look again after each finished delivery makes it
    // two per publish and more.
    assertThat(member.fetchAttempts() - before).as("fetches for %d publishes", events)
        .isLessThanOrEqualTo(events * 37 / 20);
  }

  private static GroupMember only(EventBus bus) {
    Set<GroupMember> members = bus.unwrap(PostgresTransport.class).members(TOPIC);
    assertThat(members).hasSize(1);
    return members.iterator().next();
  }

  private static void notify(String channel, String payload) {
    DB.execute("SELECT pg_notify('" + channel + "', '" + payload + "')");
  }

  /** The member does not look for rows for the next half second. */
  private static void staysAt(GroupMember member, long fetches, String what) {
    await().alias(what).during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
        .until(() -> member.fetchAttempts() == fetches);
  }
}
