package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RetryPolicyTest {

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  @Test
  void defaultsAreFiveAttemptsHalfSecondDoublingToOneMinuteWithTwentyPercentJitter() {
    RetryPolicy p = RetryPolicy.ofDefaults();

    assertThat(p.maxAttempts()).isEqualTo(5);
    assertThat(p.initialDelay()).isEqualTo(ms(500));
    assertThat(p.maxDelay()).isEqualTo(Duration.ofMinutes(1));
    assertThat(p.multiplier()).isEqualTo(2.0);
    assertThat(p.jitter()).isEqualTo(0.2);
    assertThat(RetryPolicy.builder().build().maxAttempts()).isEqualTo(5);
  }

  // --- attempts ---

  @Test
  void maxAttemptsCountsTheFirstAttempt() {
    RetryPolicy p = RetryPolicy.builder().maxAttempts(3).build();

    assertThat(p.hasAttemptsLeft(1)).isTrue();
    assertThat(p.hasAttemptsLeft(2)).isTrue();
    assertThat(p.hasAttemptsLeft(3)).isFalse();
  }

  @Test
  void noRetriesTriesExactlyOnce() {
    RetryPolicy p = RetryPolicy.noRetries();

    assertThat(p.maxAttempts()).isEqualTo(1);
    assertThat(p.hasAttemptsLeft(1)).isFalse();
  }

  // --- delays ---

  @Test
  void baseDelayGrowsExponentiallyFromTheInitialDelay() {
    RetryPolicy p = RetryPolicy.builder().backoff(ms(100), Duration.ofMinutes(1), 2.0).build();

    assertThat(p.baseDelayAfter(1)).isEqualTo(ms(100));
    assertThat(p.baseDelayAfter(2)).isEqualTo(ms(200));
    assertThat(p.baseDelayAfter(3)).isEqualTo(ms(400));
    assertThat(p.baseDelayAfter(4)).isEqualTo(ms(800));
  }

  @Test
  void baseDelayHonoursAFractionalMultiplier() {
    RetryPolicy p = RetryPolicy.builder().backoff(ms(100), Duration.ofMinutes(1), 1.5).build();

    assertThat(p.baseDelayAfter(2)).isEqualTo(ms(150));
    assertThat(p.baseDelayAfter(3)).isEqualTo(ms(225));
  }

  @Test
  void baseDelayIsCappedAtTheMaximumDelay() {
    RetryPolicy p = RetryPolicy.builder().backoff(ms(100), Duration.ofSeconds(1), 3.0).build();

    assertThat(p.baseDelayAfter(3)).isEqualTo(ms(900));
    assertThat(p.baseDelayAfter(4)).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.baseDelayAfter(5)).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.baseDelayAfter(10_000)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void zeroInitialDelayStaysZeroForEveryAttempt() {
    RetryPolicy p = RetryPolicy.builder().backoff(Duration.ZERO, Duration.ofMinutes(1), 2.0)
        .build();

    assertThat(p.baseDelayAfter(1)).isZero();
    assertThat(p.baseDelayAfter(50)).isZero();
    assertThat(p.baseDelayAfter(5_000)).isZero();
    assertThat(p.delayAfter(7)).isZero();
  }

  @Test
  void baseDelayRefusesAttemptNumbersBelowOne() {
    assertThatThrownBy(() -> RetryPolicy.ofDefaults().baseDelayAfter(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failedAttempt");
  }

  @Test
  void delayStaysWithinTheJitterBoundsAndActuallyVaries() {
    RetryPolicy p = RetryPolicy.builder().backoff(Duration.ofSeconds(1), Duration.ofMinutes(1),
        2.0).jitter(0.25).build();
    Duration low = ms(1_500);
    Duration high = ms(2_500);
    Duration min = high;
    Duration max = low;

    for (int i = 0; i < 10_000; i++) {
      Duration d = p.delayAfter(2);
      assertThat(d).isBetween(low, high);
      min = d.compareTo(min) < 0 ? d : min;
      max = d.compareTo(max) > 0 ? d : max;
    }

    assertThat(min).isLessThan(ms(1_600));
    assertThat(max).isGreaterThan(ms(2_400));
  }

  @Test
  void fullJitterSpreadsFromZeroToTwiceTheBaseDelay() {
    RetryPolicy p = RetryPolicy.builder().backoff(ms(100), ms(100), 1.0).jitter(1.0).build();

    for (int i = 0; i < 10_000; i++) {
      assertThat(p.delayAfter(1)).isBetween(Duration.ZERO, ms(200));
    }
  }

  @Test
  void withoutJitterTheDelayIsExactlyTheBaseDelay() {
    RetryPolicy p = RetryPolicy.builder().backoff(ms(100), Duration.ofMinutes(1), 2.0)
        .jitter(0.0).build();

    for (int attempt = 1; attempt <= 12; attempt++) {
      assertThat(p.delayAfter(attempt)).isEqualTo(p.baseDelayAfter(attempt));
    }
  }

  @Test
  void fixedDelayIsConstantWithoutJitter() {
    RetryPolicy p = RetryPolicy.builder().fixedDelay(ms(250)).build();

    assertThat(p.jitter()).isZero();
    assertThat(p.delayAfter(1)).isEqualTo(ms(250));
    assertThat(p.delayAfter(9)).isEqualTo(ms(250));
  }

  // --- which failures are retried ---

  @Test
  void everyExceptionIsRetryableByDefault() {
    RetryPolicy p = RetryPolicy.ofDefaults();

    assertThat(p.isRetryable(new IllegalStateException())).isTrue();
    assertThat(p.isRetryable(new IOException())).isTrue();
    assertThat(p.isRetryable(new AssertionError())).isTrue();
  }

  @Test
  void abortOnMatchesTheTypeAndItsSubtypesOnly() {
    RetryPolicy p = RetryPolicy.builder().abortOn(IllegalArgumentException.class).build();

    assertThat(p.isRetryable(new IllegalArgumentException())).isFalse();
    assertThat(p.isRetryable(new NumberFormatException())).isFalse();
    assertThat(p.isRetryable(new IllegalStateException())).isTrue();
    assertThat(p.isRetryable(new RuntimeException())).isTrue();
  }

  @Test
  void abortOnAccumulatesTypes() {
    RetryPolicy p = RetryPolicy.builder().abortOn(IllegalArgumentException.class)
        .abortOn(UncheckedIOException.class).build();

    assertThat(p.isRetryable(new IllegalArgumentException())).isFalse();
    assertThat(p.isRetryable(new UncheckedIOException(new IOException()))).isFalse();
    assertThat(p.isRetryable(new IllegalStateException())).isTrue();
  }

  @Test
  void abortIfPredicateMarksMatchingFailuresNotRetryable() {
    RetryPolicy p = RetryPolicy.builder()
        .abortIf(t -> t.getMessage() != null && t.getMessage().contains("permanent"))
        .build();

    assertThat(p.isRetryable(new IllegalStateException("permanent: no such account")))
        .isFalse();
    assertThat(p.isRetryable(new IllegalStateException("timeout"))).isTrue();
    assertThat(p.isRetryable(new IllegalStateException())).isTrue();
  }

  @Test
  void laterAbortIfReplacesTheEarlierPredicate() {
    RetryPolicy p = RetryPolicy.builder()
        .abortIf(t -> t instanceof IllegalStateException)
        .abortIf(t -> t instanceof IllegalArgumentException)
        .build();

    assertThat(p.isRetryable(new IllegalStateException())).isTrue();
    assertThat(p.isRetryable(new IllegalArgumentException())).isFalse();
  }

  @Test
  void decodingExceptionIsNeverRetryable() {
    DecodingException e = new DecodingException("bad payload", null);

    assertThat(RetryPolicy.ofDefaults().isRetryable(e)).isFalse();
    assertThat(RetryPolicy.builder().abortIf(t -> false).build().isRetryable(e)).isFalse();
    assertThat(RetryPolicy.builder().maxAttempts(100).build().isRetryable(e)).isFalse();
  }

  @Test
  void isRetryableRefusesNull() {
    assertThatThrownBy(() -> RetryPolicy.ofDefaults().isRetryable(null))
        .isInstanceOf(NullPointerException.class).hasMessage("failure");
  }

  // --- builder validation ---

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
  void maxAttemptsBelowOneIsRefused(int attempts) {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(attempts))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxAttempts must be >= 1, got " + attempts);
  }

  @Test
  void negativeInitialDelayIsRefused() {
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(ms(-1), ms(10), 2.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("initialDelay must not be negative");
  }

  @Test
  void maxDelayBelowInitialDelayIsRefused() {
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(ms(500), ms(100), 2.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxDelay (PT0.1S) must be >= initialDelay (PT0.5S)");
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.999, 0.0, -2.0, Double.NaN, Double.POSITIVE_INFINITY})
  void multiplierBelowOneOrNotFiniteIsRefused(double multiplier) {
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(ms(1), ms(10), multiplier))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("multiplier must be a finite number >= 1.0");
  }

  @ParameterizedTest
  @ValueSource(doubles = {-0.01, 1.01, 2.0, Double.NaN})
  void jitterOutsideZeroToOneIsRefused(double jitter) {
    assertThatThrownBy(() -> RetryPolicy.builder().jitter(jitter))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jitter must be between 0.0 and 1.0");
  }

  @Test
  void nullArgumentsAreRefusedNamingTheParameter() {
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(null, ms(1), 2.0))
        .isInstanceOf(NullPointerException.class).hasMessage("initialDelay");
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(ms(1), null, 2.0))
        .isInstanceOf(NullPointerException.class).hasMessage("maxDelay");
    assertThatThrownBy(() -> RetryPolicy.builder().abortOn(null))
        .isInstanceOf(NullPointerException.class).hasMessage("type");
    assertThatThrownBy(() -> RetryPolicy.builder().abortIf(null))
        .isInstanceOf(NullPointerException.class).hasMessage("predicate");
  }

  @Test
  void toBuilderCopiesEverySettingAndLeavesTheOriginalUnchanged() {
    RetryPolicy original = RetryPolicy.builder().maxAttempts(3).backoff(ms(10), ms(80), 3.0)
        .jitter(0.1).abortOn(IllegalArgumentException.class).build();

    RetryPolicy derived = original.toBuilder().maxAttempts(9).build();

    assertThat(original.maxAttempts()).isEqualTo(3);
    assertThat(derived.maxAttempts()).isEqualTo(9);
    assertThat(derived.initialDelay()).isEqualTo(ms(10));
    assertThat(derived.maxDelay()).isEqualTo(ms(80));
    assertThat(derived.multiplier()).isEqualTo(3.0);
    assertThat(derived.jitter()).isEqualTo(0.1);
    assertThat(derived.isRetryable(new IllegalArgumentException())).isFalse();
  }
}
