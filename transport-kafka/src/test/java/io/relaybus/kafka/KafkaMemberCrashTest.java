package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.tck.ChildJvm;
import io.relaybus.tck.Recorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member in another JVM is SIGKILLed while handling: no close, no final commit, sockets
 * dropped by the kernel. After the session timeout its partitions move to the surviving member,
 * which receives everything the dead member had not committed. Nothing is lost; events the dead
 * member handled but had not committed come again (at-least-once) and are counted.
 */
class KafkaMemberCrashTest {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaMemberCrashTest.class);

  @Test
  void sigkilledMembersPartitionsMoveToTheSurvivorAndNothingIsLost() {
    KafkaBroker broker = KafkaBroker.shared();
    String topic = "crash-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    String group = "crash-group";
    Recorder survivor = new Recorder();
    try (EventBus bus = EventBus.create(broker.busConfig(Map.of(
        "relaybus.kafka.consumer.session.timeout.ms", "6000",
        "relaybus.kafka.consumer.heartbeat.interval.ms", "1000")))) {
      bus.subscribe(topic, SubscribeOptions.builder().group(group).concurrency(2).build(), d -> {
        survivor.record("survivor", d);
        Thread.sleep(5); // slow enough that events are still in flight when the other member dies
      });
      try (ChildJvm child = ChildJvm.builder(CrashingMemberMain.class).name("kafka-member")
          .args(broker.bootstrapServers(), topic, group).jvmOption("-Xmx256m").start()) {
        child.awaitLineStartingWith("READY", Duration.ofSeconds(60));

        Set<String> published = new HashSet<>();
        List<Event> batch = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
          Event e = Event.builder().source("urn:test").type("crash").key("k" + (i % 24))
              .text(Integer.toString(i)).build();
          batch.add(e);
          published.add(e.id());
        }
        bus.publishAll(topic, batch).join();

        // Kill it mid-stream: it has handled some events and holds unfinished ones.
        await().atMost(Duration.ofSeconds(60)).until(() -> handledBy(child).size() >= 40);
        child.kill();
        Set<String> handledByChild = handledBy(child);

        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
          Set<String> all = new HashSet<>(survivor.ids());
          all.addAll(handledByChild);
          assertThat(all).containsAll(published);
        });
        Set<String> notByChild = new HashSet<>(published);
        notByChild.removeAll(handledByChild);
        assertThat(survivor.ids()).as("events the dead member never finished")
            .containsAll(notByChild);
        Set<String> twice = new HashSet<>(handledByChild);
        twice.retainAll(survivor.ids());
        LOG.info("member crash: {} published, {} handled by the killed member, {} by the "
            + "survivor, {} handled by both (uncommitted at the kill), {} duplicates inside the "
            + "survivor", published.size(), handledByChild.size(), survivor.distinct(),
            twice.size(), survivor.duplicates().size());
        assertThat(survivor.duplicates()).as("survivor handled an event twice").isEmpty();
      }
    }
  }

  private static Set<String> handledBy(ChildJvm child) {
    Set<String> ids = new HashSet<>();
    for (String line : child.lines()) {
      if (line.startsWith("HANDLED ")) {
        ids.add(line.substring("HANDLED ".length()));
      }
    }
    return ids;
  }
}
