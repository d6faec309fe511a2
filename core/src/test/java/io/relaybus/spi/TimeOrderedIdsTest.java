package io.relaybus.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class TimeOrderedIdsTest {

  @Test
  void idsAreVersion7UuidsWithTheRfcVariant() {
    UUID id = TimeOrderedIds.nextUuid();

    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2);
    assertThat(UUID.fromString(TimeOrderedIds.next()).version()).isEqualTo(7);
  }

  @Test
  void idsCarryTheCurrentUnixMillisecondsInTheirFirst48Bits() {
    long before = System.currentTimeMillis();
    UUID id = TimeOrderedIds.nextUuid();
    long after = System.currentTimeMillis();

    long millis = id.getMostSignificantBits() >>> 16;
    // Up to 4096 ids per millisecond; bursts in earlier tests may run the clock a little ahead.
    assertThat(millis).isBetween(before, after + 1_000);
  }

  @Test
  void idsStrictlyIncreaseEvenWithinOneMillisecond() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      ids.add(TimeOrderedIds.next());
    }

    for (int i = 1; i < ids.size(); i++) {
      assertThat(ids.get(i)).isGreaterThan(ids.get(i - 1));
    }
  }

  @Test
  void idsFromConcurrentThreadsAreUnique() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<List<UUID>>> futures = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        futures.add(CompletableFuture.supplyAsync(() -> {
          List<UUID> ids = new ArrayList<>();
          for (int i = 0; i < 20_000; i++) {
            ids.add(TimeOrderedIds.nextUuid());
          }
          return ids;
        }, pool));
      }
      Set<UUID> all = Collections.synchronizedSet(new HashSet<>());
      for (CompletableFuture<List<UUID>> f : futures) {
        List<UUID> ids = f.get();
        for (int i = 1; i < ids.size(); i++) {
          assertThat(ids.get(i).getMostSignificantBits())
              .isGreaterThan(ids.get(i - 1).getMostSignificantBits());
        }
        all.addAll(ids);
      }
      assertThat(all).hasSize(8 * 20_000);
    } finally {
      pool.shutdownNow();
    }
  }
}
