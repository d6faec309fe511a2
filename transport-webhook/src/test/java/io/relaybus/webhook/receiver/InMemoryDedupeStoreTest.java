package io.relaybus.webhook.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.webhook.receiver.DedupeStore.Claim;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemoryDedupeStoreTest {

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    volatile Instant now = Instant.parse("2026-11-26T06:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  final ManualClock clock = new ManualClock();

  @Test
  void handledIdsAreRememberedForTheRetentionThenForgotten() {
    InMemoryDedupeStore store = new InMemoryDedupeStore(Duration.ofMinutes(10), 100, clock);
    assertThat(store.claim("a")).isEqualTo(Claim.ACQUIRED);
    store.complete("a");
    clock.now = clock.now.plus(Duration.ofMinutes(10)).minusSeconds(1);
    assertThat(store.claim("a")).isEqualTo(Claim.ALREADY_HANDLED);
    clock.now = clock.now.plusSeconds(1);
    assertThat(store.claim("a")).isEqualTo(Claim.ACQUIRED);
    assertThat(store.size()).isZero();
  }

  @Test
  void aClaimInProgressBlocksOthersUntilCompletedOrReleased() {
    InMemoryDedupeStore store = new InMemoryDedupeStore(Duration.ofMinutes(10), 100, clock);
    assertThat(store.claim("a")).isEqualTo(Claim.ACQUIRED);
    assertThat(store.claim("a")).isEqualTo(Claim.IN_PROGRESS);
    store.release("a");
    assertThat(store.claim("a")).isEqualTo(Claim.ACQUIRED);
    store.complete("a");
    assertThat(store.claim("a")).isEqualTo(Claim.ALREADY_HANDLED);
  }

  @Test
  void theStoreIsBoundedAndCountsIdsForgottenEarly() {
    InMemoryDedupeStore store = new InMemoryDedupeStore(Duration.ofHours(1), 3, clock);
    for (String id : List.of("a", "b", "c", "d", "e")) {
      store.claim(id);
      store.complete(id);
    }
    assertThat(store.size()).isEqualTo(3);
    assertThat(store.evictedEarly()).isEqualTo(2);
    assertThat(store.claim("a")).isEqualTo(Claim.ACQUIRED);
    assertThat(store.claim("e")).isEqualTo(Claim.ALREADY_HANDLED);
  }

  @Test
  void concurrentClaimsOfOneIdAcquireItOnce() throws Exception {
    InMemoryDedupeStore store = new InMemoryDedupeStore(Duration.ofMinutes(10), 100, clock);
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<Claim>> claims = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        claims.add(pool.submit(() -> {
          go.await();
          return store.claim("same");
        }));
      }
      go.countDown();
      int acquired = 0;
      for (Future<Claim> c : claims) {
        if (c.get(30, TimeUnit.SECONDS) == Claim.ACQUIRED) {
          acquired++;
        }
      }
      assertThat(acquired).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void invalidSettingsAreRefused() {
    assertThatThrownBy(() -> new InMemoryDedupeStore(Duration.ZERO, 1, clock))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retention");
    assertThatThrownBy(() -> new InMemoryDedupeStore(Duration.ofMinutes(1), 0, clock))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEntries");
  }
}
