package io.relaybus.webhook.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.Event;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The attributes JSON of stored deliveries: lossless both ways, and readable as it was. */
class EventAttributesTest {

  @Test
  void everyAttributeSurvivesARoundTrip() {
    Event e = Event.builder().id("id-\"1\"").source("/s").type("t\u00e9").subject("sub \"q\" \\ x")
        .time(Instant.parse("2026-12-07T05:00:00.123456789Z")).dataContentType("text/plain")
        .dataSchema("https://example.com/s").key("k 1/\u00fc").header("zlast", "1")
        .header("afirst", "\u2603").header("traceparent", "00-abc-def-01")
        .data("payload".getBytes(StandardCharsets.UTF_8)).build();

    Event back = EventAttributes.decode(EventAttributes.encode(e), e.data());

    assertThat(back).isEqualTo(e);
    assertThat(List.copyOf(back.headers().keySet())).as("header order")
        .containsExactly("zlast", "afirst", "traceparent");
  }

  @Test
  void absentAttributesStayAbsent() {
    Event e = Event.builder().source("/s").type("t").text("x").build();

    Event back = EventAttributes.decode(EventAttributes.encode(e), e.data());

    assertThat(back).isEqualTo(e);
    assertThat(back.subject()).isEmpty();
    assertThat(back.key()).isEmpty();
    assertThat(back.headers()).isEmpty();
  }

  @Test
  void readsTheJsonOfEarlierVersionsAndSkipsFieldsItDoesNotKnow() {
    String stored = "{\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"subject\":null,"
        + "\"time\":\"2026-01-01T00:00:00Z\",\"later\":{\"x\":[1,2]},\"headers\":{\"h\":\"v\"}}";

    Event back = EventAttributes.decode(stored, new byte[0]);

    assertThat(back.id()).isEqualTo("1");
    assertThat(back.subject()).isEmpty();
    assertThat(back.headers()).containsEntry("h", "v");
  }

  @Test
  void invalidJsonFailsWithAnIllegalArgument() {
    assertThatThrownBy(() -> EventAttributes.decode("{\"id\":", new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Invalid event attributes");
    assertThatThrownBy(() -> EventAttributes.decode("[]", new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
