package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.tck.ChildJvm;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A member in another JVM ({@link CrashingMemberMain}) is killed with SIGKILL while its handlers
 * run: no close, no final cursor write, no lease release. The surviving member of the group, in
 * this JVM, takes over the dead member's partitions once their leases expire and handles
 * everything the dead one had not finished, the events it was handling included.
 */
class PostgresMemberCrashTest {

  private static final String LEASE_TIMEOUT = "3s";
  private static final int KEYS_PER_PARTITION = 2;
  private static final int EVENTS_PER_KEY = 20;
  /** Events the child acknowledges before its handlers start to block. */
  private static final int CHILD_ACKNOWLEDGES = 10;
  private static final int CHILD_CONCURRENCY = 4;
  private static final Duration STARTUP = Duration.ofSeconds(60);
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_member_crash");

  /** One invocation of the survivor's handler. */
  private record Seen(String eventId, String key, int index, int attempt, long nanos) {}

  @Test
  @Timeout(120)
  void memberKilledWhileHandlingHasItsEventsRedeliveredToTheSurvivorAfterTheLease() {
    String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    String topic = "crash-" + suffix;
    String group = "g-" + suffix;

    EventBus survivorBus = DB.buses(TestBuses.FAULT_TIMINGS)
        .bus(Map.of("relaybus.postgres.lease-timeout", LEASE_TIMEOUT));
    try (ChildJvm child = DB.childJvm(CrashingMemberMain.class)
        .args(topic, group, Integer.toString(CHILD_ACKNOWLEDGES),
            Integer.toString(CHILD_CONCURRENCY), LEASE_TIMEOUT)
        .start()) {
      child.awaitLineStartingWith("READY", STARTUP);
      await().atMost(PATIENCE).until(() -> leasedOwners(topic, group).size() == 1
          && owners(topic, group).size() == partitionCount(topic));
      String childOwner = leasedOwners(topic, group).iterator().next();
      int partitions = partitionCount(topic);

      ConcurrentLinkedQueue<Seen> survivorSaw = new ConcurrentLinkedQueue<>();
      survivorBus.subscribe(topic, SubscribeOptions.builder().group(group)
          .concurrency(CHILD_CONCURRENCY).build(), d -> {
            String text = d.event().dataAsText();
            int colon = text.lastIndexOf(':');
            survivorSaw.add(new Seen(d.event().id(), text.substring(0, colon),
                Integer.parseInt(text.substring(colon + 1)), d.attempt(), System.nanoTime()));
          });
      await().atMost(PATIENCE).untilAsserted(() -> {
        Map<Integer, String> owners = owners(topic, group);
        assertThat(owners).as("partition owners while the group rebalances").hasSize(partitions);
        assertThat(owners.values().stream().filter(childOwner::equals).count())
            .as("partitions the child holds").isEqualTo(partitions / 2);
        assertThat(leasedOwners(topic, group)).hasSize(2);
      });
      Set<Integer> childPartitions = owners(topic, group).entrySet().stream()
          .filter(e -> e.getValue().equals(childOwner)).map(Map.Entry::getKey)
          .collect(Collectors.toCollection(TreeSet::new));

      // Two keys on every partition, so both members get work.
      Map<String, Integer> partitionOfKey = new LinkedHashMap<>();
      Map<Integer, Integer> keysOnPartition = new HashMap<>();
      for (int k = 0; partitionOfKey.size() < partitions * KEYS_PER_PARTITION; k++) {
        String key = "key-" + k;
        int p = Partitioner.partition(key, partitions);
        if (keysOnPartition.merge(p, 1, Integer::sum) <= KEYS_PER_PARTITION) {
          partitionOfKey.put(key, p);
        }
      }
      List<Event> events = new ArrayList<>();
      Set<String> childsEvents = new HashSet<>();
      Set<String> survivorsEvents = new HashSet<>();
      for (int i = 0; i < EVENTS_PER_KEY; i++) {
        for (Map.Entry<String, Integer> key : partitionOfKey.entrySet()) {
          Event e = Event.builder().source("urn:relaybus:test").type("test.crash")
              .key(key.getKey()).text(key.getKey() + ":" + i).build();
          events.add(e);
          (childPartitions.contains(key.getValue()) ? childsEvents : survivorsEvents).add(e.id());
        }
      }
      survivorBus.publishAll(topic, events).join();

      // Both members work: the survivor finishes its share, the child blocks in its handlers.
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(ids(survivorSaw))
          .as("the survivor handled its own partitions").containsAll(survivorsEvents));
      await().atMost(PATIENCE).until(() -> childLines(child, "HANDLING ").size()
          == CHILD_CONCURRENCY);
      Map<String, String> handling = childLines(child, "HANDLING ");
      Set<String> acknowledgedByChild = childLines(child, "HANDLED ").keySet();
      assertThat(acknowledgedByChild).hasSize(CHILD_ACKNOWLEDGES);
      assertThat(childsEvents).containsAll(handling.keySet()).containsAll(acknowledgedByChild);
      assertThat(ids(survivorSaw)).as("nothing of the live child's partitions reached the "
          + "survivor while the child held their leases").doesNotContainAnyElementsOf(childsEvents);

      // Kill it while it handles, with its acknowledgements recorded: its cursor is written
      // every commit-interval (100ms). Killed sooner, the takeover counts the crash attempt on
      // the first event past the stale cursor — one the child had already acknowledged (it is
      // delivered again, as at-least-once allows) — instead of on the event it was handling.
      PostgresConnectionKillTest.sleep(Duration.ofSeconds(1));
      long killedAt = System.nanoTime();
      assertThat(child.kill()).as("exit code of SIGKILL").isEqualTo(137);

      await().atMost(PATIENCE).untilAsserted(() -> {
        Set<String> handledBySomeone = new HashSet<>(ids(survivorSaw));
        handledBySomeone.addAll(acknowledgedByChild);
        Set<String> missing = new TreeSet<>(childsEvents);
        missing.addAll(survivorsEvents);
        missing.removeAll(handledBySomeone);
        assertThat(missing).as("events nobody handled").isEmpty();
      });

      List<Seen> saw = List.copyOf(survivorSaw);
      Map<String, Integer> survivorAttempts = new HashMap<>();
      long firstTakeover = Long.MAX_VALUE;
      for (Seen s : saw) {
        if (handling.containsKey(s.eventId())) {
          survivorAttempts.merge(s.eventId(), s.attempt(), Math::max);
          firstTakeover = Math.min(firstTakeover, s.nanos() - killedAt);
        }
      }
      assertThat(survivorAttempts.keySet()).as("events the child was handling when killed, "
          + "redelivered to the survivor").containsExactlyInAnyOrderElementsOf(handling.keySet());
      assertThat(survivorAttempts).as("a crash while handling counts as an attempt: the "
          + "redelivery is the child's attempt + 1").allSatisfy((id, attempt) ->
              assertThat(attempt).isEqualTo(Integer.parseInt(handling.get(id).trim()) + 1));
      long takeoverMillis = TimeUnit.NANOSECONDS.toMillis(firstTakeover);
      assertThat(takeoverMillis).as("redelivery waits for the dead member's lease (%s, renewed "
          + "every third of it) and not much longer", LEASE_TIMEOUT)
          .isBetween(1_000L, 10_000L);

      await().atMost(PATIENCE).untilAsserted(() -> assertThat(
          survivorBus.unwrap(PostgresTransport.class).lag(topic, group))
          .as("lag once the survivor wrote the positions of every partition").isZero());

      Map<String, List<Integer>> survivorOrder = new TreeMap<>();
      Set<String> firstSeen = new HashSet<>();
      for (Seen s : saw) {
        if (firstSeen.add(s.eventId())) {
          survivorOrder.computeIfAbsent(s.key(), k -> new ArrayList<>()).add(s.index());
        }
      }
      survivorOrder.forEach((key, order) -> assertThat(order)
          .as("survivor's first deliveries of %s, in publish order", key).isSorted());

      long duplicates = saw.size() - ids(survivorSaw).size()
          + acknowledgedByChild.stream().filter(ids(survivorSaw)::contains).count();
      System.out.println("[REPORT member crash] " + events.size() + " events on "
          + partitionOfKey.size() + " keys, child held partitions " + childPartitions
          + ", acknowledged " + acknowledgedByChild.size() + " and was handling "
          + handling.size() + " when killed; survivor handled " + saw.size() + " invocations, "
          + ids(survivorSaw).size() + " distinct, " + duplicates + " duplicates; child's "
          + "in-progress events redelivered with attempts " + survivorAttempts.values()
          + " (child saw them at attempts " + handling.values() + "), first redelivery "
          + takeoverMillis + " ms after SIGKILL (lease " + LEASE_TIMEOUT + ")");
    }
  }

  // ------------------------------------------------------------------ helpers

  private static Set<String> ids(ConcurrentLinkedQueue<Seen> seen) {
    Set<String> ids = new HashSet<>();
    for (Seen s : seen) {
      ids.add(s.eventId());
    }
    return ids;
  }

  /** The child's lines with this prefix: event id to what follows it. */
  private static Map<String, String> childLines(ChildJvm child, String prefix) {
    Map<String, String> result = new LinkedHashMap<>();
    for (String line : child.lines()) {
      if (line.startsWith(prefix)) {
        String[] parts = line.substring(prefix.length()).split(" ", 2);
        result.put(parts[0], parts.length > 1 ? parts[1] : "");
      }
    }
    return result;
  }

  private static int partitionCount(String topic) {
    return (int) DB.queryLong("SELECT coalesce((SELECT partitions FROM "
        + "relaybus.topics WHERE topic = '" + topic + "'), 0)");
  }

  /** Partition to owner, for partitions with an owner. */
  private static Map<Integer, String> owners(String topic, String group) {
    return query("SELECT partition, owner FROM relaybus.cursors WHERE topic = ? AND grp = ? "
        + "AND owner IS NOT NULL", topic, group);
  }

  /** The owners whose leases have not expired. */
  private static Set<String> leasedOwners(String topic, String group) {
    return new HashSet<>(query("SELECT partition, owner FROM relaybus.cursors WHERE topic = ? "
        + "AND grp = ? AND lease_until > now()", topic, group).values());
  }

  private static Map<Integer, String> query(String sql, String topic, String group) {
    Map<Integer, String> rows = new TreeMap<>();
    try (Connection c = DB.connect("relaybus-test-observer");
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.put(rs.getInt(1), rs.getString(2));
        }
      }
    } catch (SQLException e) {
      throw new AssertionError("cannot read the cursors of " + topic + "/" + group, e);
    }
    return rows;
  }
}
