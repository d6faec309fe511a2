package io.relaybus.webhook.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Retry-After parsing, the retry schedule, the circuit breaker and the rate limiter. */
class DispatchPolicyTest {
  private static final Instant NOW = Instant.parse("2026-11-26T06:00:00Z");
  private static final Duration CAP = Duration.ofHours(1);

  @Test
  void secondsDatesAndGarbage() {
    assertThat(RetryAfter.parse("120", NOW, CAP)).contains(Duration.ofSeconds(120));
    assertThat(RetryAfter.parse("Thu, 26 Nov 2026 06:00:30 GMT", NOW, CAP))
        .contains(Duration.ofSeconds(30));
    assertThat(RetryAfter.parse("Thu, 26 Nov 2026 05:00:00 GMT", NOW, CAP))
        .contains(Duration.ZERO);
    assertThat(RetryAfter.parse("999999999999999999999", NOW, CAP)).contains(CAP);
    assertThat(RetryAfter.parse("86400", NOW, CAP)).contains(CAP);
    assertThat(RetryAfter.parse("soon", NOW, CAP)).isEmpty();
    assertThat(RetryAfter.parse(null, NOW, CAP)).isEmpty();
  }

  @Test
  void scheduleLengthIsAttemptsAndJitterStaysInBounds() {
    RetrySchedule s = new RetrySchedule(RetrySchedule.STANDARD, 0.2);
    assertThat(s.maxAttempts()).isEqualTo(8);
    for (int i = 0; i < 1000; i++) {
      assertThat(s.delayAfter(1)).isBetween(Duration.ofSeconds(4), Duration.ofSeconds(6));
    }
    assertThat(new RetrySchedule(List.of(Duration.ZERO, Duration.ofMinutes(5)), 0).delayAfter(1))
        .isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void breakerOpensHalfOpensAndCloses() throws Exception {
    CircuitBreaker b = new CircuitBreaker(2, Duration.ofMillis(50));
    assertThat(b.permits(5)).isEqualTo(5);
    assertThat(b.failure()).isFalse();
    assertThat(b.failure()).isTrue();
    assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(b.permits(5)).isZero();
    Thread.sleep(60); // let the open period pass (the unit under test reads the clock)
    assertThat(b.permits(5)).isEqualTo(1);
    assertThat(b.permits(5)).as("only one probe").isZero();
    assertThat(b.failure()).as("failed probe reopens").isTrue();
    Thread.sleep(60);
    assertThat(b.permits(5)).isEqualTo(1);
    b.success();
    assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(b.permits(5)).isEqualTo(5);
  }

  @Test
  void rateLimiterGivesBurstThenRefills() {
    RateLimiter r = new RateLimiter(10);
    assertThat(r.acquire(100)).isBetween(10, 11);
    assertThat(r.acquire(100)).isLessThanOrEqualTo(1);
    r.giveBack(3);
    assertThat(r.acquire(100)).isGreaterThanOrEqualTo(3);
    assertThat(new RateLimiter(0).acquire(1000)).isEqualTo(1000);
  }
}
