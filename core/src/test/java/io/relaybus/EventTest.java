package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class EventTest {

  @ParameterizedTest
  @ValueSource(strings = {"nul\u0000byte", "line\nbreak", "del\u007f", "c1\u0085control"})
  void controlCharactersInStringAttributesAreRefusedNamingTheAttribute(String bad) {
    assertThatThrownBy(() -> Event.builder().source("/s").type("t").subject(bad).build())
        .isInstanceOf(InvalidEventException.class).hasMessageContaining("'subject'")
        .hasMessageContaining("control character");
    assertThatThrownBy(() -> Event.builder().source("/s").type("t").header("note", bad).build())
        .isInstanceOf(InvalidEventException.class).hasMessageContaining("header note");
    assertThatThrownBy(() -> Event.builder().source("/s").type("t").key(bad).build())
        .isInstanceOf(InvalidEventException.class).hasMessageContaining("'key'");
  }


  record Order(String id, int quantity, Instant placedAt) {}

  private static Event.Builder minimal() {
    return Event.builder().source("/orders").type("order.created");
  }

  private static Event full() {
    return Event.builder()
        .id("order-42")
        .source("urn:shop:orders")
        .type("order.created")
        .subject("customer-7")
        .time(Instant.parse("2024-05-01T10:15:30.123456Z"))
        .dataContentType("application/json")
        .dataSchema("https://schemas.example/order/v1")
        .key("customer-7")
        .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        .header("tenant", "acme")
        .data("{\"id\":\"42\"}".getBytes(StandardCharsets.UTF_8))
        .build();
  }

  // --- defaults ---

  @Test
  void idDefaultsToTimeOrderedVersion7Uuid() {
    Event event = minimal().build();

    UUID id = UUID.fromString(event.id());
    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2);
  }

  @Test
  void defaultIdsStrictlyIncreaseInBuildOrder() {
    List<String> ids = IntStream.range(0, 10_000)
        .mapToObj(i -> minimal().build().id())
        .toList();

    assertThat(ids).doesNotHaveDuplicates().isSortedAccordingTo(Comparator.naturalOrder());
  }

  @Test
  void timeDefaultsToNowTruncatedToMicroseconds() {
    Instant before = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Event event = minimal().build();
    Instant after = Instant.now();

    assertThat(event.time()).isBetween(before, after);
    assertThat(event.time().getNano() % 1_000).isZero();
  }

  @Test
  void givenTimeIsStoredAtMicrosecondPrecision() {
    Event event = minimal().time(Instant.parse("2024-05-01T10:15:30.123456789Z")).build();

    assertThat(event.time()).isEqualTo(Instant.parse("2024-05-01T10:15:30.123456Z"));
  }

  @Test
  void nullTimeMeansNow() {
    Instant before = Instant.now().truncatedTo(ChronoUnit.MICROS);

    Event event = minimal().time(null).build();

    assertThat(event.time()).isAfterOrEqualTo(before);
  }

  @Test
  void dataDefaultsToEmptyBytesNeverNull() {
    Event event = minimal().build();

    assertThat(event.data()).isNotNull().isEmpty();
    assertThat(event.dataLength()).isZero();
    assertThat(event.dataBuffer().remaining()).isZero();
    assertThat(event.dataAsText()).isEmpty();
  }

  @Test
  void optionalAttributesDefaultToAbsent() {
    Event event = minimal().build();

    assertThat(event.subject()).isEmpty();
    assertThat(event.key()).isEmpty();
    assertThat(event.dataContentType()).isEmpty();
    assertThat(event.dataSchema()).isEmpty();
    assertThat(event.headers()).isEmpty();
  }

  // --- required and malformed attributes ---

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"   ", "\t"})
  void sourceIsRequiredAndTheErrorNamesIt(String source) {
    assertThatThrownBy(() -> Event.builder().source(source).type("order.created").build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("'source'")
        .hasMessageContaining("required");
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"   "})
  void typeIsRequiredAndTheErrorNamesIt(String type) {
    assertThatThrownBy(() -> Event.builder().source("/orders").type(type).build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("'type'")
        .hasMessageContaining("required");
  }

  @Test
  void explicitIdMustNotBeBlank() {
    assertThatThrownBy(() -> minimal().id(" ").build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("'id'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"not a uri", "/orders with spaces", "http://exa mple.com", "a|b"})
  void sourceMustBeAUriReference(String source) {
    assertThatThrownBy(() -> Event.builder().source(source).type("order.created").build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("'source'")
        .hasMessageContaining("URI");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/orders", "urn:shop:orders", "https://shop.example/orders",
      "orders"})
  void sourceAcceptsUriReferences(String source) {
    assertThat(Event.builder().source(source).type("t").build().source()).isEqualTo(source);
  }

  @Test
  void dataSchemaMustBeAUri() {
    assertThatThrownBy(() -> minimal().dataSchema("not a uri").build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("'dataschema'");
  }

  @Test
  void emptyKeyIsRefusedBecauseNullMeansNoKey() {
    assertThatThrownBy(() -> minimal().key("").build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("'key'");
  }

  @Test
  void overlongAttributeIsRefusedNamingItAndItsLength() {
    assertThatThrownBy(() -> minimal().subject("s".repeat(4097)).build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("'subject'")
        .hasMessageContaining("4097");
  }

  // --- headers ---

  @Test
  void headersKeepInsertionOrder() {
    Event event = minimal().header("traceparent", "00-abc-def-01").header("tenant", "acme")
        .header("b3", "x").build();

    assertThat(event.headers()).containsExactly(
        Map.entry("traceparent", "00-abc-def-01"), Map.entry("tenant", "acme"),
        Map.entry("b3", "x"));
  }

  @Test
  void aBuilderReusedAfterBuildDoesNotChangeTheEventsItBuilt() {
    Event.Builder builder = minimal().header("tenant", "acme");
    Event first = builder.build();
    Event second = builder.header("tenant", "other").header("region", "eu").build();
    Event third = builder.headers(Map.of("only", "this")).build();
    builder.header("late", "x");

    assertThat(first.headers()).containsExactly(Map.entry("tenant", "acme"));
    assertThat(second.headers()).containsExactly(Map.entry("tenant", "other"),
        Map.entry("region", "eu"));
    assertThat(third.headers()).containsExactly(Map.entry("only", "this"));
    assertThatThrownBy(() -> first.headers().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void headerNameOf64LowerCaseCharactersIsAccepted() {
    String name = "a".repeat(64);

    assertThat(minimal().header(name, "v").build().headers()).containsKey(name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"TraceParent", "TENANT", "trace-parent", "trace_parent", "trace.id",
      "", "tränce", "with space"})
  void headerNamesOutsideLowerCaseLettersAndDigitsAreRefused(String name) {
    assertThatThrownBy(() -> minimal().header(name, "v").build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("header name");
  }

  @Test
  void headerNameLongerThan64CharactersIsRefused() {
    assertThatThrownBy(() -> minimal().header("a".repeat(65), "v").build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("header name")
        .hasMessageContaining("1-64");
  }

  @ParameterizedTest
  @ValueSource(strings = {"id", "source", "specversion", "type", "subject", "time",
      "datacontenttype", "dataschema", "data", "partitionkey"})
  void headerNamesOfCloudEventsContextAttributesAreRefused(String name) {
    assertThatThrownBy(() -> minimal().header(name, "v").build())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("'" + name + "'")
        .hasMessageContaining("context attribute");
  }

  @Test
  void nullHeaderNameOrValueIsRefusedNamingTheParameter() {
    assertThatThrownBy(() -> minimal().header(null, "v"))
        .isInstanceOf(NullPointerException.class).hasMessage("name");
    assertThatThrownBy(() -> minimal().header("tenant", null))
        .isInstanceOf(NullPointerException.class).hasMessage("value");
  }

  @Test
  void withHeadersAddsAndReplacesHeadersAndKeepsEverythingElse() {
    Event event = minimal().id("e-1").subject("s").key("k").dataSchema("/schemas/x")
        .dataContentType("text/plain").header("tenant", "t1").header("region", "eu")
        .data("payload".getBytes(StandardCharsets.UTF_8)).build();
    long sizeBefore = event.size();

    Event copy = event.withHeaders(Map.of("region", "us-east", "traceparent", "00-abc-def-01"));

    assertThat(copy.headers()).containsExactly(Map.entry("tenant", "t1"),
        Map.entry("region", "us-east"), Map.entry("traceparent", "00-abc-def-01"));
    assertThat(copy).isEqualTo(event.toBuilder().header("region", "us-east")
        .header("traceparent", "00-abc-def-01").build());
    assertThat(copy.size()).isEqualTo(sizeBefore - "eu".length() + "us-east".length()
        + "traceparent".length() + "00-abc-def-01".length());
    assertThat(event.headers()).containsEntry("region", "eu").doesNotContainKey("traceparent");
    assertThat(event.size()).isEqualTo(sizeBefore);
    assertThat(event.withHeaders(Map.of())).isSameAs(event);
  }

  @Test
  void withHeadersSizeIsRightWhenTheOriginalsSizeWasNeverComputed() {
    Event event = minimal().header("tenant", "ünï").data(new byte[10]).build();

    Event copy = event.withHeaders(Map.of("tenant", "€", "note", "x"));

    assertThat(copy.size()).isEqualTo(
        event.toBuilder().header("tenant", "€").header("note", "x").build().size());
  }

  @ParameterizedTest
  @ValueSource(strings = {"traceparent", "tenant", "a", "x1"})
  void allowedHeaderNames(String name) {
    assertThat(Event.isAllowedHeaderName(name)).isTrue();
    assertThat(minimal().header(name, "v").build().headers()).containsKey(name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Trace-Parent", "uber-trace-id", "x_1", "id", "type", "data"})
  void refusedHeaderNames(String name) {
    assertThat(Event.isAllowedHeaderName(name)).isFalse();
    assertThatThrownBy(() -> minimal().header(name, "v").build())
        .isInstanceOf(InvalidEventException.class);
  }

  @Test
  void withHeadersAppliesTheHeaderRules() {
    Event event = minimal().build();
    assertThatThrownBy(() -> event.withHeaders(Map.of("Bad-Name", "v")))
        .isInstanceOf(InvalidEventException.class).hasMessageContaining("'Bad-Name'");
    assertThatThrownBy(() -> event.withHeaders(Map.of("type", "v")))
        .isInstanceOf(InvalidEventException.class).hasMessageContaining("context attribute");
    assertThatThrownBy(() -> event.withHeaders(Map.of("note", "a\u0000b")))
        .isInstanceOf(InvalidEventException.class).hasMessageContaining("header note");
    Map<String, String> withNull = new LinkedHashMap<>();
    withNull.put("note", null);
    assertThatThrownBy(() -> event.withHeaders(withNull))
        .isInstanceOf(NullPointerException.class).hasMessage("value of header note");
  }

  @Test
  void headersReplacesEarlierHeaders() {
    Event event = minimal().header("old", "1").headers(Map.of("tenant", "acme")).build();

    assertThat(event.headers()).containsExactly(Map.entry("tenant", "acme"));
  }

  // --- immutability ---

  @Test
  void dataReturnsAFreshCopyEachTime() {
    Event event = minimal().data(new byte[] {1, 2, 3}).build();

    byte[] copy = event.data();
    copy[0] = 99;

    assertThat(event.data()).containsExactly(1, 2, 3);
    assertThat(event.data()).isNotSameAs(event.data());
  }

  @Test
  void mutatingTheInputArrayAfterDataDoesNotChangeTheEvent() {
    byte[] input = {1, 2, 3};
    Event.Builder builder = minimal().data(input);
    input[0] = 42;
    Event event = builder.build();
    input[1] = 43;

    assertThat(event.data()).containsExactly(1, 2, 3);
  }

  @Test
  void dataBufferIsReadOnly() {
    Event event = minimal().data(new byte[] {1, 2, 3}).build();

    assertThat(event.dataBuffer().isReadOnly()).isTrue();
    assertThat(event.dataBuffer().remaining()).isEqualTo(3);
  }

  @Test
  void headersMapIsUnmodifiable() {
    Event withHeaders = minimal().header("tenant", "acme").build();
    Event withoutHeaders = minimal().build();

    assertThatThrownBy(() -> withHeaders.headers().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> withHeaders.headers().remove("tenant"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> withoutHeaders.headers().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void mutatingTheHeaderMapOrTheBuilderAfterBuildDoesNotChangeTheEvent() {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("tenant", "acme");
    Event.Builder builder = minimal().headers(headers);
    Event event = builder.build();

    headers.put("extra", "1");
    builder.header("later", "2").data(new byte[] {9}).subject("changed");

    assertThat(event.headers()).containsExactly(Map.entry("tenant", "acme"));
    assertThat(event.data()).isEmpty();
    assertThat(event.subject()).isEmpty();
  }

  // --- equality and description ---

  @Test
  void eventsWithEqualAttributesAreEqualWithEqualHashCodes() {
    Event a = full();
    Event b = full();

    assertThat(a).isEqualTo(b).isNotSameAs(b);
    assertThat(a.hashCode()).isEqualTo(b.hashCode());
  }

  @Test
  void eventsDifferingInAnyAttributeAreNotEqual() {
    Event base = full();

    assertThat(base.toBuilder().id("other").build()).isNotEqualTo(base);
    assertThat(base.toBuilder().source("/other").build()).isNotEqualTo(base);
    assertThat(base.toBuilder().type("order.cancelled").build()).isNotEqualTo(base);
    assertThat(base.toBuilder().subject(null).build()).isNotEqualTo(base);
    assertThat(base.toBuilder().time(base.time().plusSeconds(1)).build()).isNotEqualTo(base);
    assertThat(base.toBuilder().key("other").build()).isNotEqualTo(base);
    assertThat(base.toBuilder().header("tenant", "other").build()).isNotEqualTo(base);
    assertThat(base.toBuilder().data(new byte[] {1}).build()).isNotEqualTo(base);
    assertThat(base.toBuilder().dataContentType("text/plain").build()).isNotEqualTo(base);
    assertThat(base).isNotEqualTo(null).isNotEqualTo("order-42");
  }

  @Test
  void toStringDescribesTheEventWithoutItsData() {
    Event event = minimal().id("evt-1").key("customer-7")
        .text("card=4111111111111111 secret-payload").build();

    String s = event.toString();

    assertThat(s).contains("evt-1", "/orders", "order.created", "customer-7")
        .contains(event.dataLength() + " bytes")
        .doesNotContain("4111111111111111")
        .doesNotContain("secret-payload");
  }

  @Test
  void toBuilderRoundTripsEveryAttribute() {
    Event original = full();

    Event copy = original.toBuilder().build();

    assertThat(copy).isEqualTo(original);
    assertThat(copy.id()).isEqualTo("order-42");
    assertThat(copy.source()).isEqualTo("urn:shop:orders");
    assertThat(copy.type()).isEqualTo("order.created");
    assertThat(copy.subject()).contains("customer-7");
    assertThat(copy.time()).isEqualTo(original.time());
    assertThat(copy.dataContentType()).contains("application/json");
    assertThat(copy.dataSchema()).contains("https://schemas.example/order/v1");
    assertThat(copy.key()).contains("customer-7");
    assertThat(copy.headers()).isEqualTo(original.headers());
    assertThat(copy.data()).isEqualTo(original.data());
  }

  @Test
  void toBuilderDerivesAModifiedCopyWithoutTouchingTheOriginal() {
    Event original = full();

    Event changed = original.toBuilder().subject("customer-8").build();

    assertThat(changed.subject()).contains("customer-8");
    assertThat(changed.id()).isEqualTo(original.id());
    assertThat(original.subject()).contains("customer-7");
  }

  // --- typed data ---

  @Test
  void jsonEncodesTheValueAndSetsApplicationJson() {
    Order order = new Order("42", 3, Instant.parse("2024-05-01T10:15:30.123456789Z"));

    Event event = minimal().json(order).build();

    assertThat(event.dataContentType()).contains("application/json");
    assertThat(event.dataAsText()).contains("\"placedAt\":\"2024-05-01T10:15:30.123456789Z\"");
    assertThat(event.data(Codecs.json(Order.class))).isEqualTo(order);
  }

  @Test
  void textEncodesUtf8AndSetsTextPlain() {
    Event event = minimal().text("grüße 🎉").build();

    assertThat(event.dataContentType()).contains("text/plain; charset=utf-8");
    assertThat(event.data()).isEqualTo("grüße 🎉".getBytes(StandardCharsets.UTF_8));
    assertThat(event.dataAsText()).isEqualTo("grüße 🎉");
  }

  @Test
  void dataWithCodecSetsTheCodecsContentType() {
    Codec<String> upper = new UpperCaseCodec();

    Event bytes = minimal().data(new byte[] {7}, Codecs.bytes()).build();
    Event custom = minimal().data("hello", upper).build();

    assertThat(bytes.dataContentType()).contains("application/octet-stream");
    assertThat(custom.dataContentType()).contains("application/x-upper");
    assertThat(custom.dataAsText()).isEqualTo("HELLO");
  }

  @Test
  void rawDataLeavesTheContentTypeAsSet() {
    Event event = minimal().dataContentType("application/avro").data(new byte[] {1}).build();

    assertThat(event.dataContentType()).contains("application/avro");
  }

  @Test
  void codecFailureWhileEncodingBecomesEncodingException() {
    Codec<String> failing = new UpperCaseCodec() {
      @Override
      public byte[] encode(String value) {
        throw new IllegalStateException("boom");
      }
    };

    assertThatThrownBy(() -> minimal().data("x", failing))
        .isInstanceOf(EncodingException.class)
        .hasMessageContaining("boom")
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void codecFailureWhileDecodingBecomesDecodingExceptionNamingTheEvent() {
    Event event = minimal().id("evt-9").text("x").build();
    Codec<String> failing = new UpperCaseCodec() {
      @Override
      public String decode(byte[] data) {
        throw new IllegalStateException("boom");
      }
    };

    assertThatThrownBy(() -> event.data(failing))
        .isInstanceOf(DecodingException.class)
        .hasMessageContaining("evt-9")
        .hasMessageContaining("boom");
  }

  @Test
  void decodingJsonIntoTheWrongShapeThrowsDecodingException() {
    Event event = minimal().text("not json").build();

    assertThatThrownBy(() -> event.data(Codecs.json(Order.class)))
        .isInstanceOf(DecodingException.class);
  }

  private static class UpperCaseCodec implements Codec<String> {
    @Override
    public byte[] encode(String value) {
      return value.toUpperCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(byte[] data) {
      return new String(data, StandardCharsets.UTF_8);
    }

    @Override
    public String contentType() {
      return "application/x-upper";
    }
  }
}
