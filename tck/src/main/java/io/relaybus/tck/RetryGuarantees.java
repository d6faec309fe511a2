package io.relaybus.tck;

import static io.relaybus.tck.TransportCompatibilityKit.textEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Capability;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Retries, in one layer (semantics rule 10): a handler that throws rejects, the event comes back
 * with the next attempt number, and the subscription's {@link RetryPolicy} alone decides how
 * often.
 */
abstract class RetryGuarantees extends GuaranteeFamily {

  RetryGuarantees(TransportCompatibilityKit kit) {
    super(kit);
  }

  @Test
  @DisplayName("a handler that throws rejects: the event is delivered again with attempt 2")
  void nackLeadsToRedelivery() {
    EventBus bus = bus();
    String topic = uniqueName("t");
    Recorder recorder = new Recorder();
    bus.subscribe(topic, options(uniqueName("g")).build(), d -> {
      recorder.record("m", d);
      if (d.attempt() == 1) {
        throw new IllegalStateException("first attempt fails");
      }
    });
    bus.publish(topic, textEvent("x", null)).join();
    await().atMost(patience()).until(() -> recorder.invocations() == 2);
    awaitQuietly(() -> assertThat(recorder.invocations()).isEqualTo(2));
    assertThat(recorder.all()).extracting(Recorder.Seen::attempt).containsExactly(1, 2);
  }

  @ParameterizedTest(name = "maxAttempts={0}")
  @ValueSource(ints = {1, 3, 5})
  @DisplayName("counts are exact: maxAttempts counts the first attempt, so an always-failing "
      + "handler runs exactly maxAttempts times")
  void attemptCountsAreExact(int maxAttempts) {
    EventBus bus = bus();
    String topic = uniqueName("t" + maxAttempts);
    String group = uniqueName("g");
    Recorder recorder = new Recorder();
    bus.subscribe(topic, options(group).retryPolicy(RetryPolicy.builder()
        .maxAttempts(maxAttempts).fixedDelay(Duration.ofMillis(10)).build()).build(), d -> {
          recorder.record("m", d);
          throw new IllegalStateException("always fails, attempt " + d.attempt());
        });
    bus.publish(topic, textEvent("doomed", null)).join();
    await().atMost(patience()).until(() -> recorder.invocations() == maxAttempts);
    awaitQuietly(() -> assertThat(recorder.invocations()).isEqualTo(maxAttempts));
    List<Integer> expected = new ArrayList<>();
    for (int i = 1; i <= maxAttempts; i++) {
      expected.add(i);
    }
    assertThat(recorder.all()).extracting(Recorder.Seen::attempt)
        .containsExactlyElementsOf(expected);
    if (bus.capabilities().has(Capability.DEAD_LETTERS)) {
      await().atMost(patience()).untilAsserted(() -> {
        List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
        assertThat(dls).hasSize(1);
        assertThat(dls.get(0).attempts()).isEqualTo(maxAttempts);
        assertThat(dls.get(0).reason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
      });
    }
  }
}
