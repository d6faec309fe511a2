package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Capabilities carry the sizes a transport accepts beside its capability set. */
class CapabilitiesTest {

  @Test
  void noSizeLimitIsDeclaredUnlessGiven() {
    Capabilities c = Capabilities.of(Capability.REPLAY);

    assertThat(c.maxEventSize()).isEmpty();
    assertThat(c.maxBatchSize()).isEmpty();
    assertThat(c).hasToString("Capabilities[REPLAY]");
  }

  @Test
  void sizeLimitsAreKeptWithTheCapabilitiesAndTakePartInEquality() {
    Capabilities c = Capabilities.of(Capability.REPLAY, Capability.PERSISTENT)
        .withMaxEventSize(1024).withMaxBatchSize(4096);

    assertThat(c.maxEventSize()).isEqualTo(OptionalLong.of(1024));
    assertThat(c.maxBatchSize()).isEqualTo(OptionalLong.of(4096));
    assertThat(c.all()).containsExactlyInAnyOrder(Capability.REPLAY, Capability.PERSISTENT);
    assertThat(c).hasToString("Capabilities[PERSISTENT, REPLAY], maxEventSize=1024, "
        + "maxBatchSize=4096");
    assertThat(c).isEqualTo(Capabilities.of(Capability.PERSISTENT, Capability.REPLAY)
        .withMaxBatchSize(4096).withMaxEventSize(1024));
    assertThat(c).isNotEqualTo(Capabilities.of(Capability.REPLAY, Capability.PERSISTENT)
        .withMaxEventSize(1024));
    assertThat(Capabilities.of().withMaxEventSize(1).all()).isEmpty();
  }

  @Test
  void aLimitBelowOneByteIsRefused() {
    assertThatThrownBy(() -> Capabilities.of().withMaxEventSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxEventSize must be at least 1 byte, got 0");
    assertThatThrownBy(() -> Capabilities.of().withMaxBatchSize(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBatchSize must be at least 1 byte, got -1");
  }
}
