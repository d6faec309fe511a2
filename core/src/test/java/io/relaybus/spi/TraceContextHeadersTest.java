package io.relaybus.spi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Only W3C-shaped trace context read from a protocol header becomes an event header. */
class TraceContextHeadersTest {

  @Test
  void aW3cTraceparentIsAcceptedAndAnythingElseIsNot() {
    assertThat(TraceContextHeaders.isTraceparent(
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).isTrue();
    assertThat(TraceContextHeaders.isTraceparent(
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future")).isTrue();
    assertThat(TraceContextHeaders.isTraceparent(null)).isFalse();
    assertThat(TraceContextHeaders.isTraceparent("")).isFalse();
    assertThat(TraceContextHeaders.isTraceparent("00-abc-def-01")).isFalse();
    assertThat(TraceContextHeaders.isTraceparent(
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")).isFalse();
    assertThat(TraceContextHeaders.isTraceparent(
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n")).isFalse();
  }

  @Test
  void aTracestateIsPrintableAsciiThatFitsAnEventHeader() {
    assertThat(TraceContextHeaders.isTracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"))
        .isTrue();
    assertThat(TraceContextHeaders.isTracestate("")).isTrue();
    assertThat(TraceContextHeaders.isTracestate(null)).isFalse();
    assertThat(TraceContextHeaders.isTracestate("a=\u0001")).isFalse();
    assertThat(TraceContextHeaders.isTracestate("a".repeat(4097))).isFalse();
  }
}
