package io.relaybus.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Settings.Reader#size}: bytes, or a number with a binary unit. */
class SettingsSizeTest {

  private static final long KIB = 1024;
  private static final long MIB = 1024 * KIB;

  private static Settings.Reader reader(String value) {
    return Settings.of(Map.of("relaybus.x.max-event-size", value)).reader();
  }

  @ParameterizedTest
  @CsvSource({"1048576, 1048576", "1_048_576, 1048576", "1024B, 1024", "512KiB, 524288",
      "512kib, 524288", "4MiB, 4194304", "4 MiB, 4194304", "' 64 mib ', 67108864",
      "1GiB, 1073741824"})
  void sizesInBytesOrBinaryUnitsAreAccepted(String raw, long expected) {
    Settings.Reader r = reader(raw);

    assertThat(r.size("relaybus.x.max-event-size", 7, 1, 1L << 30)).isEqualTo(expected);
    assertThat(r.problems()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1KB", "4MB", "1.5MiB", "-1", "MiB", "lots", "", "65MiB",
      "99999999999999999999", "9999999999GiB", "1023"})
  void malformedOrOutOfRangeSizesAreProblemsNamingKeyRangeAndForms(String raw) {
    Settings.Reader r = reader(raw);

    assertThat(r.size("relaybus.x.max-event-size", 4 * MIB, KIB, 64 * MIB)).isEqualTo(4 * MIB);
    assertThat(r.problems()).singleElement().asString().isEqualTo("relaybus.x.max-event-size='"
        + raw.trim() + "' is invalid: expected a size from 1 KiB to 64 MiB, in bytes or with "
        + "KiB, MiB or GiB, such as 1048576, 512KiB or 4MiB");
  }

  @ParameterizedTest
  @CsvSource({"1000, 1000 bytes", "1536, 1536 bytes", "2048, 2 KiB", "3145728, 3 MiB"})
  void rangesAreShownInTheLargestUnitThatDividesThem(long max, String shown) {
    Settings.Reader r = reader("99999999");

    r.size("relaybus.x.max-event-size", 1, 1, max);
    assertThat(r.problems()).singleElement().asString()
        .contains("expected a size from 1 byte to " + shown + ",");
  }

  @Test
  void absentKeyGivesTheDefaultWithoutProblem() {
    Settings.Reader r = Settings.of(Map.of()).reader();

    assertThat(r.size("relaybus.x.max-event-size", 4 * MIB, KIB, 64 * MIB)).isEqualTo(4 * MIB);
    assertThat(r.problems()).isEmpty();
  }
}
