package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.InvalidEventException;
import io.relaybus.postgres.testing.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Headers written as JSON and read back: against Jackson for what is written, and through
 * PostgreSQL's jsonb (whose text form the reader takes directly) for what is read.
 */
class HeadersJsonTest {
  private static final ObjectMapper JACKSON = new ObjectMapper();
  /** Characters that need care in JSON and in the reader's scan, and some beyond ASCII. */
  private static final String TRICKY = "\"\\{}[],: /'\u00e9\u00df\u20ac\u2028\ud83d\ude00";

  private static Map<String, String> randomHeaders(Random random) {
    Map<String, String> headers = new LinkedHashMap<>();
    int count = random.nextInt(5);
    for (int i = 0; i < count; i++) {
      StringBuilder name = new StringBuilder();
      for (int k = 1 + random.nextInt(8); k > 0; k--) {
        name.append("abcdefghijklmnopqrstuvwxyz0123456789".charAt(random.nextInt(36)));
      }
      StringBuilder value = new StringBuilder();
      for (int k = random.nextInt(20); k > 0; k--) {
        if (random.nextInt(4) == 0) {
          int at = TRICKY.offsetByCodePoints(0,
              random.nextInt(TRICKY.codePointCount(0, TRICKY.length())));
          value.appendCodePoint(TRICKY.codePointAt(at));
        } else {
          value.append((char) (' ' + random.nextInt(95)));
        }
      }
      headers.put(name.toString(), value.toString());
    }
    return headers;
  }

  @Test
  @DisplayName("what is written is the JSON object Jackson reads back as the same headers")
  void writtenJsonIsReadByJacksonAsTheHeaders() throws Exception {
    Random random = new Random(7);
    for (int i = 0; i < 2_000; i++) {
      Map<String, String> headers = randomHeaders(random);
      String json = HeadersJson.write(headers);
      assertThat(JACKSON.readValue(json, new TypeReference<Map<String, String>>() {}))
          .as(json).containsExactlyEntriesOf(headers);
    }
    assertThat(HeadersJson.write(Map.of("c", "\u0001\u001f"))).isEqualTo(
        "{\"c\":\"\\u0001\\u001f\"}");
  }

  @Test
  @DisplayName("headers stored as jsonb and read as PostgreSQL's text are the headers written")
  void jsonbTextIsReadAsTheHeaders() throws Exception {
    // Not TestDatabase: only the server's jsonb is used, on its admin database; no tables.
    PostgresServer server = PostgresServer.shared();
    Random random = new Random(11);
    int direct = 0;
    try (Connection c = server.connect();
        PreparedStatement ps = c.prepareStatement("SELECT ?::jsonb::text")) {
      for (int i = 0; i < 500; i++) {
        Map<String, String> headers = randomHeaders(random);
        ps.setString(1, HeadersJson.write(headers));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          String text = rs.getString(1);
          if (text.indexOf('\\') < 0) { // read directly, not through Jackson
            assertThat(HeadersJson.readPostgresForm(text)).as(text).isEqualTo(headers);
            direct++;
          }
          assertThat(HeadersJson.read(text)).as(text).isEqualTo(headers)
              .isEqualTo(JACKSON.readValue(text, new TypeReference<Map<String, String>>() {}));
        }
      }
    }
    assertThat(direct).as("objects read directly").isGreaterThan(100);
  }

  @Test
  @DisplayName("other forms of JSON objects read as Jackson reads them: spacing, escapes, "
      + "numbers and booleans as their text")
  void otherFormsAreRead() {
    assertThat(HeadersJson.read("{}")).isEmpty();
    assertThat(HeadersJson.read("{\"a\": \"b\"}")).containsExactly(Map.entry("a", "b"));
    assertThat(HeadersJson.read(" { \"a\" :\"b\",\"c\":\"d\" } ")).containsExactly(
        Map.entry("a", "b"), Map.entry("c", "d"));
    assertThat(HeadersJson.read("{\"a\": \"x\\\"y\\u0041\"}")).containsExactly(
        Map.entry("a", "x\"yA"));
    assertThat(HeadersJson.read("{\"n\": 12.5, \"t\": true}")).containsExactly(
        Map.entry("n", "12.5"), Map.entry("t", "true"));
    assertThat(HeadersJson.read("{\"a\": \"}\", \"b\": \", \"}")).containsExactly(
        Map.entry("a", "}"), Map.entry("b", ", "));
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "\"a\"", "{\"a\": null}", "{\"a\": {\"b\": \"c\"}}",
      "{\"a\": [\"b\"]}", "{\"a\": \"b\"} x", "{\"a\": \"b\"", "", "{\"a\": \"b\" \"c\": \"d\"}"})
  @DisplayName("anything but an object of scalars is refused as an invalid event")
  void otherJsonIsRefused(String json) {
    assertThatThrownBy(() -> HeadersJson.read(json)).isInstanceOf(InvalidEventException.class);
  }
}
