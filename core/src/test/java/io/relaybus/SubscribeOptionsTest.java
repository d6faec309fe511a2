package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SubscribeOptionsTest {

  @Test
  void builderLeavesEverySettingUnsetSoTheBusConfigurationApplies() {
    SubscribeOptions o = SubscribeOptions.builder().build();

    assertThat(o.group()).isNull();
    assertThat(o.startPosition()).isNull();
    assertThat(o.concurrency()).isNull();
    assertThat(o.maxInFlight()).isNull();
    assertThat(o.retryPolicy()).isNull();
    assertThat(o.deadLetters()).isNull();
    assertThat(o.closeTimeout()).isNull();
  }

  @Test
  void libraryDefaultsFillEverySetting() {
    SubscribeOptions d = SubscribeOptions.libraryDefaults();

    assertThat(d.group()).isEqualTo("default").isEqualTo(SubscribeOptions.DEFAULT_GROUP);
    assertThat(d.startPosition()).isEqualTo(StartPosition.EARLIEST);
    assertThat(d.concurrency()).isEqualTo(1);
    assertThat(d.maxInFlight()).isEqualTo(64);
    assertThat(d.retryPolicy()).isSameAs(RetryPolicy.ofDefaults());
    assertThat(d.deadLetters()).isTrue();
    assertThat(d.closeTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void groupShortcutOnlySetsTheGroup() {
    SubscribeOptions o = SubscribeOptions.group("billing");

    assertThat(o.group()).isEqualTo("billing");
    assertThat(o.concurrency()).isNull();
    assertThat(o.retryPolicy()).isNull();
  }

  // --- validation ---

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 1025, Integer.MAX_VALUE})
  void concurrencyOutsideOneTo1024IsRefused(int concurrency) {
    assertThatThrownBy(() -> SubscribeOptions.builder().concurrency(concurrency))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("concurrency must be between 1 and 1024, got " + concurrency);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 1024})
  void concurrencyAtTheBoundsIsAccepted(int concurrency) {
    assertThat(SubscribeOptions.builder().concurrency(concurrency).build().concurrency())
        .isEqualTo(concurrency);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -5, 1_000_001})
  void maxInFlightOutsideOneToOneMillionIsRefused(int maxInFlight) {
    assertThatThrownBy(() -> SubscribeOptions.builder().maxInFlight(maxInFlight))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInFlight must be between 1 and 1000000, got " + maxInFlight);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 1_000_000})
  void maxInFlightAtTheBoundsIsAccepted(int maxInFlight) {
    assertThat(SubscribeOptions.builder().maxInFlight(maxInFlight).build().maxInFlight())
        .isEqualTo(maxInFlight);
  }

  @Test
  void maxInFlightBelowConcurrencyIsRefused() {
    SubscribeOptions.Builder b = SubscribeOptions.builder().concurrency(8).maxInFlight(4);

    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInFlight (4) must be >= concurrency (8)");
  }

  @Test
  void maxInFlightEqualToConcurrencyIsAccepted() {
    SubscribeOptions o = SubscribeOptions.builder().concurrency(8).maxInFlight(8).build();

    assertThat(o.maxInFlight()).isEqualTo(8);
  }

  @Test
  void negativeCloseTimeoutIsRefusedAndZeroAccepted() {
    assertThatThrownBy(() -> SubscribeOptions.builder().closeTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("closeTimeout must not be negative");
    assertThat(SubscribeOptions.builder().closeTimeout(Duration.ZERO).build().closeTimeout())
        .isZero();
  }

  @Test
  void nullArgumentsAreRefusedNamingTheParameter() {
    assertThatThrownBy(() -> SubscribeOptions.builder().group(null))
        .isInstanceOf(NullPointerException.class).hasMessage("group");
    assertThatThrownBy(() -> SubscribeOptions.builder().startPosition(null))
        .isInstanceOf(NullPointerException.class).hasMessage("startPosition");
    assertThatThrownBy(() -> SubscribeOptions.builder().retryPolicy(null))
        .isInstanceOf(NullPointerException.class).hasMessage("retryPolicy");
    assertThatThrownBy(() -> SubscribeOptions.builder().closeTimeout(null))
        .isInstanceOf(NullPointerException.class).hasMessage("closeTimeout");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "bill ing", "billing/eu", "x'; DROP TABLE t;--", "büro",
      "a\nb", "group#1"})
  void invalidGroupNamesAreRefused(String group) {
    assertThatThrownBy(() -> SubscribeOptions.builder().group(group))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageContaining("group name");
    assertThatThrownBy(() -> SubscribeOptions.group(group))
        .isInstanceOf(InvalidNameException.class);
  }

  @Test
  void groupNameOf201CharactersIsRefusedAnd200Accepted() {
    assertThatThrownBy(() -> SubscribeOptions.group("g".repeat(201)))
        .isInstanceOf(InvalidNameException.class);
    assertThat(SubscribeOptions.group("g".repeat(200)).group()).hasSize(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {"billing", "billing-v2", "team.billing_1", "A", "0"})
  void validGroupNamesAreAccepted(String group) {
    assertThat(SubscribeOptions.group(group).group()).isEqualTo(group);
  }

  // --- withDefaultsFrom ---

  @Test
  void withDefaultsFromFillsOnlyUnsetSettings() {
    RetryPolicy own = RetryPolicy.noRetries();
    SubscribeOptions options = SubscribeOptions.builder()
        .group("billing")
        .concurrency(4)
        .retryPolicy(own)
        .deadLetters(false)
        .build();

    SubscribeOptions merged = options.withDefaultsFrom(SubscribeOptions.libraryDefaults());

    assertThat(merged.group()).isEqualTo("billing");
    assertThat(merged.concurrency()).isEqualTo(4);
    assertThat(merged.retryPolicy()).isSameAs(own);
    assertThat(merged.deadLetters()).isFalse();
    assertThat(merged.startPosition()).isEqualTo(StartPosition.EARLIEST);
    assertThat(merged.maxInFlight()).isEqualTo(64);
    assertThat(merged.closeTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void withDefaultsFromKeepsEverySettingThatIsSet() {
    SubscribeOptions options = SubscribeOptions.builder()
        .group("billing")
        .startPosition(StartPosition.LATEST)
        .concurrency(2)
        .maxInFlight(10)
        .retryPolicy(RetryPolicy.noRetries())
        .deadLetters(false)
        .closeTimeout(Duration.ofSeconds(1))
        .build();

    SubscribeOptions merged = options.withDefaultsFrom(SubscribeOptions.libraryDefaults());

    assertThat(merged.group()).isEqualTo("billing");
    assertThat(merged.startPosition()).isEqualTo(StartPosition.LATEST);
    assertThat(merged.concurrency()).isEqualTo(2);
    assertThat(merged.maxInFlight()).isEqualTo(10);
    assertThat(merged.retryPolicy().maxAttempts()).isEqualTo(1);
    assertThat(merged.deadLetters()).isFalse();
    assertThat(merged.closeTimeout()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void withDefaultsFromOfEmptyOptionsGivesTheDefaults() {
    SubscribeOptions d = SubscribeOptions.libraryDefaults();

    SubscribeOptions merged = SubscribeOptions.builder().build().withDefaultsFrom(d);

    assertThat(merged).usingRecursiveComparison().isEqualTo(d);
  }

  @Test
  void inheritedMaxInFlightIsRaisedToTheOwnConcurrency() {
    SubscribeOptions merged = SubscribeOptions.builder().concurrency(100).build()
        .withDefaultsFrom(SubscribeOptions.libraryDefaults());

    assertThat(merged.concurrency()).isEqualTo(100);
    assertThat(merged.maxInFlight()).isEqualTo(100);
  }

  @Test
  void ownMaxInFlightBelowInheritedConcurrencyIsRefused() {
    SubscribeOptions defaults = SubscribeOptions.builder().concurrency(8).maxInFlight(8).build();
    SubscribeOptions options = SubscribeOptions.builder().maxInFlight(2).build();

    assertThatThrownBy(() -> options.withDefaultsFrom(defaults))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInFlight (2) must be >= concurrency (8)");
  }

  @Test
  void withDefaultsFromRefusesNull() {
    assertThatThrownBy(() -> SubscribeOptions.builder().build().withDefaultsFrom(null))
        .isInstanceOf(NullPointerException.class).hasMessage("defaults");
  }
}
