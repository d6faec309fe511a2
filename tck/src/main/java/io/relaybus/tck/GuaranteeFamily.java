package io.relaybus.tck;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.relaybus.Capability;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.awaitility.core.ThrowingRunnable;

/**
 * What every guarantee family of the kit shares: the transport's buses and names through the
 * {@link TransportCompatibilityKit} it is nested in, the subscription options the tests start
 * from, and the waits.
 */
abstract class GuaranteeFamily {

  /** The kit whose hooks create the buses and cause the faults. */
  final TransportCompatibilityKit kit;

  GuaranteeFamily(TransportCompatibilityKit kit) {
    this.kit = Objects.requireNonNull(kit, "kit");
  }

  /** A bus with the transport's own settings, closed after the test. */
  final EventBus bus() {
    return kit.bus();
  }

  /** A topic or group name unique to this test run. */
  final String uniqueName(String hint) {
    return kit.uniqueName(hint);
  }

  /** The longest wait for an expected outcome. */
  final Duration patience() {
    return kit.patience();
  }

  /**
   * Group {@code group}, three attempts 20 ms apart, and a close timeout long enough that no
   * handler is interrupted.
   */
  static SubscribeOptions.Builder options(String group) {
    return SubscribeOptions.builder().group(group)
        .retryPolicy(RetryPolicy.builder().maxAttempts(3).fixedDelay(Duration.ofMillis(20))
            .build())
        .closeTimeout(Duration.ofSeconds(20));
  }

  /** Publishes the numbers {@code from} (inclusive) to {@code to} (exclusive) as one batch. */
  static void publishTexts(EventBus bus, String topic, int from, int to, String key) {
    List<Event> batch = new ArrayList<>();
    for (int i = from; i < to; i++) {
      batch.add(TransportCompatibilityKit.textEvent(Integer.toString(i), key));
    }
    bus.publishAll(topic, batch).join();
  }

  /** Skips the test unless the bus declares {@code capability}. */
  static void assumeCapability(EventBus bus, Capability capability) {
    assumeTrue(bus.capabilities().has(capability),
        () -> "transport does not declare " + capability);
  }

  /**
   * Lets {@code time} pass, measured on the JVM's monotonic clock: for tests about elapsed time
   * (a lag's age), never to wait for an outcome.
   */
  final void elapse(Duration time) {
    long until = System.nanoTime() + time.toNanos();
    await().pollInterval(Duration.ofMillis(20)).atMost(time.plusSeconds(30))
        .until(() -> System.nanoTime() - until >= 0);
  }

  /** Asserts that {@code assertion} holds throughout the kit's quiet period. */
  final void awaitQuietly(ThrowingRunnable assertion) {
    Duration period = kit.quietPeriod();
    await().during(period).atMost(period.plusSeconds(30)).untilAsserted(assertion);
  }
}
