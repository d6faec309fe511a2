package io.relaybus.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CoreKeysTest {

  @Test
  void everyKeyIsASettingOfTheBusAndItsDefaultAValidValue() {
    Map<String, String> defaults = new LinkedHashMap<>();
    CoreKeys.all().forEach(k -> defaults.put(k.name(), k.defaultValue()));
    try (EventBus bus = EventBus.create(defaults)) {
      assertThat(bus.transportName()).isEqualTo("memory");
    }
  }

  @Test
  void aKeyTheCoreDoesNotListIsRefused() {
    assertThatThrownBy(() -> EventBus.create(Map.of("relaybus.subscriber.grup", "g")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("did you mean relaybus.subscriber.group");
  }

  @Test
  void everyKeyIsDescribed() {
    assertThat(CoreKeys.all()).isNotEmpty()
        .allSatisfy(k -> assertThat(k.description()).isNotBlank());
    assertThat(CoreKeys.names()).doesNotHaveDuplicates();
  }

  @Test
  void durationsAreSpelledInTheirLargestWholeUnit() {
    assertThat(CoreKeys.duration(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(CoreKeys.duration(Duration.ofSeconds(30))).isEqualTo("30s");
    assertThat(CoreKeys.duration(Duration.ofMinutes(1))).isEqualTo("1m");
    assertThat(CoreKeys.duration(Duration.ofHours(25))).isEqualTo("25h");
    assertThat(CoreKeys.duration(Duration.ofDays(1))).isEqualTo("1d");
    assertThat(CoreKeys.duration(Duration.ZERO)).isEqualTo("0s");
  }
}
