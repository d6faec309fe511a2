package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.DeadLetter;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.tck.Recorder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Attempt counts survive a change of owner: the attempts made on the first unfinished event of
 * a partition travel in the commit metadata, so the next member continues the count and the
 * retry policy still ends in a dead letter (a poison event cannot loop forever by outliving
 * its members).
 */
class KafkaAttemptCountTest {

  @Test
  void theNextMemberContinuesTheAttemptCountOfAReleasedEvent() {
    String topic = "attempts-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    String group = "attempts-group";
    Recorder recorder = new Recorder();
    SubscribeOptions options = SubscribeOptions.builder().group(group)
        .retryPolicy(RetryPolicy.builder().maxAttempts(5).fixedDelay(Duration.ofMillis(300))
            .build()).build();
    try (EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "1")))) {
      Subscription first = bus.subscribe(topic, options, d -> {
        recorder.record("first", d);
        throw new IllegalStateException("downstream down, attempt " + d.attempt());
      });
      Event poison = Event.builder().source("urn:test").type("t").text("poison").build();
      bus.publish(topic, poison).join();
      await().atMost(Duration.ofSeconds(60)).until(() -> recorder.invocations() == 2);
      first.close(); // the event waits for its third attempt: released with 2 attempts made

      bus.subscribe(topic, options, d -> {
        recorder.record("second", d);
        throw new IllegalStateException("downstream down, attempt " + d.attempt());
      });
      await().atMost(Duration.ofSeconds(60)).until(() ->
          bus.deadLetters().count(topic, group) == 1);
      List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
      assertThat(dls.get(0).attempts()).isEqualTo(5);
      assertThat(recorder.all()).extracting(s -> s.member() + "#" + s.attempt())
          .containsExactly("first#1", "first#2", "second#3", "second#4", "second#5");
    }
  }
}
