package io.relaybus.postgres;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.relaybus.InvalidEventException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An event's headers as the JSON object stored in the {@code headers} column.
 *
 * <p>Headers are a flat object of strings, and every event carries them, so both directions
 * avoid a JSON library's per-call setup where the form allows: for the small objects headers
 * are, Jackson's setup (data binding or its streaming API) costs more than the object itself,
 * on the publish writer's and the member's threads alike. Writing needs only the string
 * escapes of RFC 8259; reading takes PostgreSQL's own text form of a {@code jsonb} object whose
 * strings have no escapes directly, and anything else (escapes, numbers, rows written by plain
 * SQL in another form) through Jackson.
 */
final class HeadersJson {
  private static final JsonFactory JSON = new JsonFactory();
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private HeadersJson() {}

  /** The headers as a JSON object, in their order. */
  static String write(Map<String, String> headers) {
    if (headers.isEmpty()) {
      return "{}";
    }
    // Exact when nothing needs escaping (the usual case), so the builder never grows.
    int length = 1 + 6 * headers.size();
    for (Map.Entry<String, String> h : headers.entrySet()) {
      length += h.getKey().length() + h.getValue().length();
    }
    StringBuilder out = new StringBuilder(length);
    out.append('{');
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (out.length() > 1) {
        out.append(',');
      }
      quote(out, h.getKey());
      out.append(':');
      quote(out, h.getValue());
    }
    return out.append('}').toString();
  }

  /** A JSON string: quote, backslash and U+0000-U+001F escaped, everything else as it is. */
  private static void quote(StringBuilder out, String s) {
    out.append('"');
    int plain = 0; // the prefix with nothing to escape (most often all): appended at once
    while (plain < s.length() && !escaped(s.charAt(plain))) {
      plain++;
    }
    if (plain == s.length()) {
      out.append(s);
    } else {
      out.append(s, 0, plain);
    }
    for (int i = plain; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) { // events refuse control characters; kept correct regardless
        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }

  private static boolean escaped(char c) {
    return c == '"' || c == '\\' || c < 0x20;
  }

  /**
   * Reads a headers object: each value a string (numbers and booleans, which plain SQL may
   * write, as their JSON text).
   *
   * @throws InvalidEventException when it is not such an object
   */
  static Map<String, String> read(String json) {
    Map<String, String> headers = readPostgresForm(json);
    return headers != null ? headers : readAnyForm(json);
  }

  /**
   * PostgreSQL's text form of a {@code jsonb} object of strings, {@code {"k": "v", "k2": "v2"}},
   * when no string in it has an escape (so each ends at the next quote); null for anything else.
   */
  static Map<String, String> readPostgresForm(String s) {
    int n = s.length();
    if (n < 2 || s.charAt(0) != '{' || s.charAt(n - 1) != '}' || s.indexOf('\\') >= 0) {
      return null;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    int i = 1;
    while (i < n - 1) {
      if (s.charAt(i) != '"') {
        return null;
      }
      int keyEnd = s.indexOf('"', i + 1);
      if (keyEnd < 0 || !s.startsWith(": \"", keyEnd + 1)) {
        return null;
      }
      int valueStart = keyEnd + 4;
      int valueEnd = s.indexOf('"', valueStart);
      if (valueEnd < 0 || headers.put(s.substring(i + 1, keyEnd),
          s.substring(valueStart, valueEnd)) != null) {
        return null; // (a repeated name: jsonb never writes one; Jackson decides)
      }
      i = valueEnd + 1;
      if (i < n - 1) {
        if (!s.startsWith(", ", i)) {
          return null;
        }
        i += 2;
      }
    }
    return i == n - 1 ? headers : null;
  }

  private static Map<String, String> readAnyForm(String json) {
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidEventException("Row headers are not a JSON object");
      }
      Map<String, String> headers = new LinkedHashMap<>();
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken value = p.nextToken();
        if (value == null || !value.isScalarValue() || value == JsonToken.VALUE_NULL) {
          throw new InvalidEventException("Row header '" + name + "' is not a string");
        }
        headers.put(name, p.getValueAsString());
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw new InvalidEventException("Row headers are not a JSON object of strings");
      }
      return headers;
    } catch (JsonProcessingException e) {
      throw new InvalidEventException("Row headers are not a JSON object of strings: "
          + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a String source does not fail
    }
  }
}
