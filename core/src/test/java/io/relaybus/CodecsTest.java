package io.relaybus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class CodecsTest {

  record Reading(String sensor, double value, Instant takenAt, List<String> tags) {}

  /** What an older consumer knows of a {@link Reading}. */
  record ReadingV1(String sensor) {}

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // --- JSON ---

  @Test
  void jsonRoundTripsRecordsIncludingInstantFields() {
    Reading reading = new Reading("t-1", 21.5, Instant.parse("2024-05-01T10:15:30.123456789Z"),
        List.of("kitchen", "floor-1"));
    Codec<Reading> codec = Codecs.json(Reading.class);

    byte[] json = codec.encode(reading);

    assertThat(codec.decode(json)).isEqualTo(reading);
  }

  @Test
  void jsonWritesInstantsAsIso8601Strings() {
    Codec<Reading> codec = Codecs.json(Reading.class);

    String json = new String(codec.encode(
        new Reading("t-1", 1, Instant.parse("2024-05-01T10:15:30Z"), List.of())),
        StandardCharsets.UTF_8);

    assertThat(json).contains("\"takenAt\":\"2024-05-01T10:15:30Z\"");
  }

  @Test
  void jsonIgnoresUnknownPropertiesSoANarrowerReaderWorks() {
    byte[] json = Codecs.json(Reading.class).encode(
        new Reading("t-1", 21.5, Instant.parse("2024-05-01T10:15:30Z"), List.of("a")));

    assertThat(Codecs.json(ReadingV1.class).decode(json)).isEqualTo(new ReadingV1("t-1"));
    assertThat(Codecs.json(ReadingV1.class).decode(utf8("{\"sensor\":\"s\",\"new\":{\"x\":1}}")))
        .isEqualTo(new ReadingV1("s"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"{not json", "", "[1,2,3]", "{\"sensor\":{\"nested\":true}}",
      "{\"sensor\":\"s\",\"takenAt\":\"yesterday\"}"})
  void invalidJsonThrowsDecodingException(String data) {
    assertThatThrownBy(() -> Codecs.json(Reading.class).decode(utf8(data)))
        .isInstanceOf(DecodingException.class)
        .hasMessageContaining(Reading.class.getName());
  }

  @Test
  void unserialisableValueThrowsEncodingException() {
    assertThatThrownBy(() -> Codecs.json(Object.class).encode(new Object()))
        .isInstanceOf(EncodingException.class)
        .hasMessageContaining("java.lang.Object");
  }

  @Test
  void jsonWithCallersMapperUsesThatMapper() {
    ObjectMapper strict = new ObjectMapper().registerModule(new JavaTimeModule());
    Codec<ReadingV1> codec = Codecs.json(strict, ReadingV1.class);

    assertThatThrownBy(() -> codec.decode(utf8("{\"sensor\":\"s\",\"unknown\":1}")))
        .isInstanceOf(DecodingException.class);
  }

  @Test
  void jsonRefusesNullArguments() {
    assertThatThrownBy(() -> Codecs.json(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("type");
    assertThatThrownBy(() -> Codecs.json(null, String.class))
        .isInstanceOf(NullPointerException.class).hasMessage("mapper");
  }

  // --- text and bytes ---

  @Test
  void textRoundTripsUtf8() {
    String text = "grüße, 日本語, 🎉";

    assertThat(Codecs.text().encode(text)).isEqualTo(utf8(text));
    assertThat(Codecs.text().decode(utf8(text))).isEqualTo(text);
  }

  @Test
  void textRejectsMalformedUtf8() {
    byte[][] malformed = {
        {(byte) 0xC3, (byte) 0x28},          // invalid continuation byte
        {(byte) 0x80},                       // lone continuation byte
        {(byte) 0xC0, (byte) 0xAF},          // overlong encoding of '/'
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // UTF-16 surrogate encoded in UTF-8
        {'o', 'k', (byte) 0xE2, (byte) 0x82}  // truncated sequence at the end
    };
    for (byte[] data : malformed) {
      assertThatThrownBy(() -> Codecs.text().decode(data))
          .isInstanceOf(DecodingException.class)
          .hasMessageContaining("UTF-8");
    }
  }

  @Test
  void bytesCodecCopiesInBothDirections() {
    byte[] input = {1, 2, 3};

    byte[] encoded = Codecs.bytes().encode(input);
    input[0] = 9;
    byte[] decoded = Codecs.bytes().decode(encoded);
    encoded[1] = 9;

    assertThat(decoded).containsExactly(1, 2, 3);
  }

  @Test
  void builtInCodecsDeclareTheirContentTypes() {
    assertThat(Codecs.json(ReadingV1.class).contentType()).isEqualTo("application/json");
    assertThat(Codecs.text().contentType()).isEqualTo("text/plain; charset=utf-8");
    assertThat(Codecs.bytes().contentType()).isEqualTo("application/octet-stream");
  }

  // --- forType ---

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"application/json", "text/plain", "application/octet-stream"})
  void byteArrayTargetGetsRawBytesWhateverTheContentType(String contentType) {
    Codec<byte[]> codec = Codecs.forType(byte[].class, contentType);

    assertThat(codec.decode(new byte[] {(byte) 0xFF, 0})).containsExactly(0xFF, 0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"text/plain", "text/plain; charset=utf-8", "application/octet-stream",
      "application/xml"})
  void stringTargetGetsUtf8TextForNonJsonContent(String contentType) {
    Codec<String> codec = Codecs.forType(String.class, contentType);

    assertThat(codec.decode(utf8("hello \"world\""))).isEqualTo("hello \"world\"");
  }

  /**
   * Regression: an event built with {@code data(bytes)} and no content type could not be read
   * as a {@code String} — it was parsed as JSON, and the handler got a DecodingException (and
   * the event a dead letter). The contract: String gets UTF-8 text unless the content type is
   * JSON.
   */
  @Test
  void stringTargetGetsUtf8TextWhenTheContentTypeIsAbsent() {
    Codec<String> codec = Codecs.forType(String.class, null);

    assertThat(codec.decode(utf8("hello"))).isEqualTo("hello");
  }

  @Test
  void stringTargetGetsAJsonStringForJsonContent() {
    Codec<String> codec = Codecs.forType(String.class, "application/json");

    assertThat(codec.decode(utf8("\"hello\""))).isEqualTo("hello");
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"application/json", "application/cloudevents+json",
      "application/json; charset=utf-8"})
  void objectTargetGetsJsonForJsonOrAbsentContentType(String contentType) {
    Codec<ReadingV1> codec = Codecs.forType(ReadingV1.class, contentType);

    assertThat(codec.decode(utf8("{\"sensor\":\"s\"}"))).isEqualTo(new ReadingV1("s"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"text/plain", "application/octet-stream", "application/xml"})
  void objectTargetWithNonJsonContentTypeThrowsDecodingException(String contentType) {
    assertThatThrownBy(() -> Codecs.forType(ReadingV1.class, contentType))
        .isInstanceOf(DecodingException.class)
        .hasMessageContaining(contentType)
        .hasMessageContaining(ReadingV1.class.getName());
  }

  @Test
  void forTypeRefusesNullType() {
    assertThatThrownBy(() -> Codecs.forType(null, "application/json"))
        .isInstanceOf(NullPointerException.class).hasMessage("type");
  }

  // --- isJson ---

  @ParameterizedTest
  @ValueSource(strings = {"application/json", "application/cloudevents+json",
      "application/json; charset=utf-8", "application/cloudevents+json; charset=UTF-8",
      "Application/JSON", " application/json ", "application/problem+json;v=1"})
  void jsonMediaTypesAreRecognised(String contentType) {
    assertThat(Codecs.isJson(contentType)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"text/plain", "application/octet-stream", "application/x-ndjson",
      "application/jsonl", "application/xml; note=+json", ""})
  void otherMediaTypesAreNotJson(String contentType) {
    assertThat(Codecs.isJson(contentType)).isFalse();
  }
}
