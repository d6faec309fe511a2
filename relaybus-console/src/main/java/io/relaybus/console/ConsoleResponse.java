package io.relaybus.console;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The response to send for a {@link ConsoleRequest}.
 *
 * @param status the HTTP status
 * @param headers the headers to set (a header with several values, such as {@code Set-Cookie},
 *     is one entry with several values)
 * @param body the body
 */
public record ConsoleResponse(int status, Map<String, List<String>> headers, byte[] body) {

  /**
   * Validates and copies the components.
   *
   * @param status the status
   * @param headers the headers
   * @param body the body
   */
  public ConsoleResponse {
    headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
    body = Objects.requireNonNull(body, "body").clone();
  }

  /**
   * The first value of a header.
   *
   * @param name the header name, exactly as set
   * @return the value, or {@code null}
   */
  public String header(String name) {
    for (Map.Entry<String, List<String>> h : headers.entrySet()) {
      if (h.getKey().equalsIgnoreCase(name) && !h.getValue().isEmpty()) {
        return h.getValue().get(0);
      }
    }
    return null;
  }

  @Override
  public byte[] body() {
    return body.clone();
  }

  /**
   * The body as UTF-8 text.
   *
   * @return the text
   */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }

  @Override
  public String toString() {
    return "ConsoleResponse{status=" + status + ", " + body.length + " bytes}";
  }
}
