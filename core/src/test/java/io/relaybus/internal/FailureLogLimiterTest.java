package io.relaybus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.internal.FailureLogLimiter.Decision;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/** The first failures of each interval in full, the rest counted; on a clock the test moves. */
class FailureLogLimiterTest {

  private static final Duration MINUTE = Duration.ofMinutes(1);

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private FailureLogLimiter limiter(int burst) {
    return new FailureLogLimiter(burst, MINUTE, now::get);
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  private static List<Decision> acquire(FailureLogLimiter limiter, int times) {
    List<Decision> decisions = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      decisions.add(limiter.acquire(new IllegalStateException("failure " + i)));
    }
    return decisions;
  }

  @Test
  void theFirstFailuresOfAnIntervalAreLoggedTheRestCountedWithTheLastKept() {
    FailureLogLimiter limiter = limiter(3);

    List<Decision> decisions = acquire(limiter, 6);

    assertThat(decisions).containsExactly(Decision.LOG, Decision.LOG, Decision.LOG,
        Decision.SUPPRESS_FIRST, Decision.SUPPRESS, Decision.SUPPRESS);
    FailureLogLimiter.Suppressed suppressed = limiter.takeSuppressed();
    assertThat(suppressed.count()).isEqualTo(3);
    assertThat(suppressed.last()).hasMessage("failure 5");
    assertThat(limiter.takeSuppressed()).as("handed over once").isNull();
  }

  @Test
  void nothingSuppressedGivesNoSummary() {
    FailureLogLimiter limiter = limiter(3);

    acquire(limiter, 3);

    assertThat(limiter.takeSuppressed()).isNull();
  }

  @Test
  void aNewIntervalLogsInFullAgainAndItsFirstSuppressedFailureIsMarked() {
    FailureLogLimiter limiter = limiter(2);
    acquire(limiter, 5);
    assertThat(limiter.takeSuppressed().count()).isEqualTo(3);

    advance(MINUTE);

    assertThat(acquire(limiter, 4)).containsExactly(Decision.LOG, Decision.LOG,
        Decision.SUPPRESS_FIRST, Decision.SUPPRESS);
    assertThat(limiter.takeSuppressed().count()).isEqualTo(2);
  }

  @Test
  void intervalsAreFixedWindowsFromConstruction() {
    FailureLogLimiter limiter = limiter(1);
    advance(Duration.ofSeconds(59));
    assertThat(limiter.nanosUntilWindowEnd()).isEqualTo(Duration.ofSeconds(1).toNanos());
    assertThat(acquire(limiter, 2)).containsExactly(Decision.LOG, Decision.SUPPRESS_FIRST);

    advance(Duration.ofSeconds(1));

    assertThat(limiter.nanosUntilWindowEnd()).isEqualTo(MINUTE.toNanos());
    assertThat(acquire(limiter, 2)).containsExactly(Decision.LOG, Decision.SUPPRESS_FIRST);
  }

  @Test
  void failuresCountedWhileASummaryIsTakenAreInTheNextSummary() {
    FailureLogLimiter limiter = limiter(1);
    acquire(limiter, 3);
    assertThat(limiter.takeSuppressed().count()).isEqualTo(2);

    acquire(limiter, 4);

    assertThat(limiter.takeSuppressed().count()).isEqualTo(4);
  }

  @Test
  void manyThreadsFailingAtOnceLogExactlyTheBurstAndCountEveryOtherFailure() throws Exception {
    FailureLogLimiter limiter = limiter(10);
    int threads = 8;
    int perThread = 5_000;
    Map<Decision, LongAdder> decisions = new ConcurrentHashMap<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> running = new ArrayList<>();
    IllegalStateException failure = new IllegalStateException("down");
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < perThread; i++) {
          decisions.computeIfAbsent(limiter.acquire(failure), d -> new LongAdder()).increment();
        }
      });
      thread.start();
      running.add(thread);
    }

    start.countDown();
    for (Thread thread : running) {
      thread.join(10_000);
    }

    assertThat(decisions.get(Decision.LOG).sum()).isEqualTo(10);
    assertThat(decisions.get(Decision.SUPPRESS_FIRST).sum()).isEqualTo(1);
    assertThat(limiter.takeSuppressed().count()).isEqualTo(threads * perThread - 10);
  }

  @Test
  void aBurstOutsideOneTo65534OrANonPositiveIntervalIsRefused() {
    assertThatThrownBy(() -> new FailureLogLimiter(0, MINUTE, now::get))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("burst must be 1 to 65534: 0");
    assertThatThrownBy(() -> new FailureLogLimiter(65_535, MINUTE, now::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("burst must be 1 to 65534: 65535");
    assertThatThrownBy(() -> new FailureLogLimiter(1, Duration.ZERO, now::get))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("interval must be positive: PT0S");
  }
}
