package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PartitionAdvisorTest {

  @Test
  void littlesLawDividedByTargetUtilisation() {
    // 1000 events/s x 20 ms = 20 in service; at 80 % utilisation: 25 partitions.
    PartitionAdvice a = PartitionAdvisor.advise(1000, Duration.ofMillis(20), 0.8);
    assertThat(a.partitions()).isEqualTo(25);
    assertThat(a.offeredLoad()).isCloseTo(20.0, within(1e-9));
    assertThat(a.utilisation()).isCloseTo(0.8, within(1e-9));
    assertThat(a.explanation()).contains("25 partition(s)").contains("Little's law");
  }

  @Test
  void roundsUpPartialPartitions() {
    // 30 x 0.1 s = 3 in service; at 0.7: 4.29 -> 5
    assertThat(PartitionAdvisor.advise(30, Duration.ofMillis(100), 0.7).partitions())
        .isEqualTo(5);
  }

  @Test
  void floatingPointNoiseDoesNotAddAPartition() {
    // 100 x 0.01 / 0.5 = 2.0000000000000004 in doubles; the answer is 2
    assertThat(PartitionAdvisor.advise(100, Duration.ofMillis(10), 0.5).partitions())
        .isEqualTo(2);
  }

  @Test
  void concurrencyPerPartitionAndGrowth() {
    // 2000 x 50 ms = 100 in service, x growth 2 = 200, / (1.0 x 8 per partition) = 25
    assertThat(PartitionAdvisor.advise(2000, Duration.ofMillis(50), 1.0, 8, 2.0).partitions())
        .isEqualTo(25);
  }

  @Test
  void idleOrInstantTopicsStillGetOnePartition() {
    assertThat(PartitionAdvisor.advise(0, Duration.ofSeconds(1), 0.5).partitions()).isEqualTo(1);
    assertThat(PartitionAdvisor.advise(5000, Duration.ZERO, 0.5).partitions()).isEqualTo(1);
    assertThat(PartitionAdvisor.advise(0, Duration.ZERO, 1).utilisation()).isZero();
  }

  @Test
  void fullUtilisationIsAllowed() {
    assertThat(PartitionAdvisor.advise(10, Duration.ofMillis(1000), 1.0).partitions())
        .isEqualTo(10);
  }

  @Test
  void badInputsNameTheArgument() {
    assertThatThrownBy(() -> PartitionAdvisor.advise(-1, Duration.ofMillis(1), 0.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eventsPerSecond");
    assertThatThrownBy(() -> PartitionAdvisor.advise(Double.NaN, Duration.ofMillis(1), 0.5))
        .hasMessageContaining("eventsPerSecond");
    assertThatThrownBy(() -> PartitionAdvisor.advise(Double.POSITIVE_INFINITY,
        Duration.ofMillis(1), 0.5)).hasMessageContaining("eventsPerSecond");
    assertThatThrownBy(() -> PartitionAdvisor.advise(1, Duration.ofMillis(-1), 0.5))
        .hasMessageContaining("meanHandlingTime");
    assertThatThrownBy(() -> PartitionAdvisor.advise(1, null, 0.5))
        .hasMessageContaining("meanHandlingTime");
    assertThatThrownBy(() -> PartitionAdvisor.advise(1, Duration.ofMillis(1), 0))
        .hasMessageContaining("targetUtilisation");
    assertThatThrownBy(() -> PartitionAdvisor.advise(1, Duration.ofMillis(1), 1.01))
        .hasMessageContaining("targetUtilisation");
    assertThatThrownBy(() -> PartitionAdvisor.advise(1, Duration.ofMillis(1), 0.5, 0, 1))
        .hasMessageContaining("eventsInServicePerPartition");
    assertThatThrownBy(() -> PartitionAdvisor.advise(1, Duration.ofMillis(1), 0.5, 1, 0.5))
        .hasMessageContaining("growthFactor");
  }

  @Test
  void absurdLoadsAreRefusedInsteadOfAdvisingMillionsOfPartitions() {
    assertThatThrownBy(() -> PartitionAdvisor.advise(1_000_000, Duration.ofSeconds(1), 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2000000 partitions").hasMessageContaining("10000");
    assertThat(PartitionAdvisor.advise(10_000, Duration.ofSeconds(1), 1.0).partitions())
        .isEqualTo(PartitionAdvisor.MAX_PARTITIONS);
  }

  @Test
  void measuredRate() {
    assertThat(PartitionAdvisor.rate(600, Duration.ofMinutes(1))).isCloseTo(10.0, within(1e-9));
    assertThat(PartitionAdvisor.rate(0, Duration.ofSeconds(1))).isZero();
    assertThatThrownBy(() -> PartitionAdvisor.rate(1, Duration.ZERO))
        .hasMessageContaining("window");
    assertThatThrownBy(() -> PartitionAdvisor.rate(-1, Duration.ofSeconds(1)))
        .hasMessageContaining("events");
  }
}
