package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link Event#size()}: the measure every transport's maximum event size applies to. */
class EventSizeTest {

  private static long utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  @Test
  void sizeIsTheDataPlusTheUtf8BytesOfEveryStringAttributeAndHeader() {
    Event e = Event.builder().id("id-1").source("/größe").type("t.ü")
        .subject("sub 世界").dataContentType("application/octet-stream")
        .dataSchema("https://example.com/s").key("k🎉")
        .header("traceparent", "00-abc").header("tenant", "ačme")
        .data(new byte[1000]).build();

    assertThat(e.size()).isEqualTo(1000 + utf8("id-1") + utf8("/größe") + utf8("t.ü")
        + utf8("sub 世界") + utf8("application/octet-stream") + utf8("https://example.com/s")
        + utf8("k🎉") + utf8("traceparent") + utf8("00-abc") + utf8("tenant") + utf8("ačme"));
    assertThat(e.size()).as("cached, the same on each call").isEqualTo(e.size());
  }

  @Test
  void absentOptionalAttributesCountNothingAndTheTimeIsNotCounted() {
    Event e = Event.builder().id("a").source("/s").type("t").build();

    assertThat(e.size()).isEqualTo(4);
    assertThat(e.toBuilder().time(java.time.Instant.EPOCH).build().size()).isEqualTo(4);
  }
}
