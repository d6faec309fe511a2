package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.bench.RedeliveryCount.Handle;
import io.relaybus.bench.RedeliveryCount.Kill;
import io.relaybus.bench.RedeliveryCount.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedeliveryCountTest {

  /**
   * Ten events on two keys (even and odd); m1 is killed at 1000 ms, m3 (its replacement) at
   * 2000 ms, m2 is never killed. Event 9 is never handled; event 6 is first handled after 8.
   */
  private static final List<Handle> HANDLES = List.of(
      h("m1", 0, 100), h("m1", 1, 200), h("m1", 2, 300), h("m1", 3, 400),
      h("m2", 4, 500), h("m2", 5, 600),
      h("m3", 2, 1100), h("m3", 3, 1150), h("m3", 8, 1250), h("m3", 7, 1300),
      h("m4", 7, 2100), h("m4", 3, 2200), h("m4", 6, 2300),
      h("m2", 5, 2500));
  private static final List<Kill> KILLS = List.of(new Kill("m1", 1_000_000),
      new Kill("m3", 2_000_000));

  @Test
  void countsLostDuplicatesReHandlesPerKillTheirAgeAndOrder() {
    Result r = RedeliveryCount.count(10, 2, HANDLES, KILLS);

    assertThat(r.lost()).as("event 9").isEqualTo(1);
    assertThat(r.handledMoreThanOnce()).as("events 2, 3, 5, 7").isEqualTo(4);
    assertThat(r.rehandles()).as("3 is handled three times").isEqualTo(5);
    // m1's kill: 2 and 3 again (600 and 700 ms old); m3's: 3 and 7 (850 and 700 ms old).
    assertThat(r.perKill()).containsExactly(2L, 2L);
    assertThat(r.agesMillis()).containsExactly(600L, 700L, 700L, 850L);
    assertThat(r.withoutKill()).as("5 again by m2, which was not killed").isEqualTo(1);
    assertThat(r.orderViolations()).as("6 after 8; repeats of 2, 3 and 7 are allowed")
        .isEqualTo(1);
    assertThat(r.perKillSummary()).isEqualTo("2 / 2 / 2");
    assertThat(r.agesSummary()).isEqualTo("700 / 850 / 850");
  }

  @Test
  void aKillThatMadeNothingComeAgainCountsAsZero() {
    Result r = RedeliveryCount.count(10, 2, HANDLES, List.of(KILLS.get(0), KILLS.get(1),
        new Kill("m4", 3_000_000)));

    assertThat(r.perKill()).containsExactly(2L, 2L, 0L);
    assertThat(r.perKillSummary()).isEqualTo("0 / 2 / 2");
  }

  @Test
  void recordsAreReadFromTheFilesAndALineCutByTheKillIsSkipped(@TempDir Path dir)
      throws Exception {
    Path member = dir.resolve("m1.handled");
    Files.writeString(member, "0 1 100000\n7 2 200000\n8 1 3000");
    Path kills = dir.resolve("kills");
    Files.writeString(kills, "m1 1000000\nm3 20");

    assertThat(RedeliveryCount.readHandles("m1", member)).containsExactly(
        new Handle("m1", 0, 1, 100_000), new Handle("m1", 7, 2, 200_000));
    assertThat(RedeliveryCount.readKills(kills)).containsExactly(new Kill("m1", 1_000_000));
  }

  @Test
  void aboutTheFailRateOfEventsFailTheirFirstAttempt() {
    long failing = LongStream.range(0, 100_000)
        .filter(seq -> RedeliveryMember.failsOnce(seq, 0.01)).count();

    assertThat(failing).isBetween(900L, 1100L);
    assertThat(RedeliveryMember.failsOnce(42, 0.0)).isFalse();
    assertThat(RedeliveryMember.failsOnce(42, 1.0)).isTrue();
  }

  private static Handle h(String member, long seq, long atMillis) {
    return new Handle(member, seq, 1, atMillis * 1000);
  }
}
