package io.relaybus.console;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One HTTP request as the console needs it, whatever server received it.
 *
 * @param method the HTTP method
 * @param path the path below the console's mount point, starting with {@code /} (a server that
 *     mounts the console at {@code /ops} passes {@code /dead-letters} for {@code
 *     /ops/dead-letters})
 * @param query the raw query string without {@code ?}, empty when there is none
 * @param headers the request headers; names are matched case-insensitively
 * @param body the raw body (a form post's {@code application/x-www-form-urlencoded} bytes)
 */
public record ConsoleRequest(String method, String path, String query,
    Map<String, List<String>> headers, byte[] body) {

  /**
   * Validates the components and copies the headers with lower-case names.
   *
   * @param method the method
   * @param path the path
   * @param query the query
   * @param headers the headers
   * @param body the body
   */
  public ConsoleRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    query = query == null ? "" : query;
    Objects.requireNonNull(headers, "headers");
    Map<String, List<String>> lower = new TreeMap<>();
    headers.forEach((name, values) -> {
      if (name != null) {
        lower.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new java.util.ArrayList<>())
            .addAll(values);
      }
    });
    headers = Map.copyOf(lower);
    body = Objects.requireNonNull(body, "body").clone();
  }

  /**
   * A request without a body.
   *
   * @param method the method
   * @param path the path below the mount point
   * @param query the query string, or empty
   * @param headers the headers
   * @return the request
   */
  public static ConsoleRequest of(String method, String path, String query,
      Map<String, List<String>> headers) {
    return new ConsoleRequest(method, path, query, headers, new byte[0]);
  }

  /**
   * The first value of a header.
   *
   * @param name the header name, any case
   * @return the value, or {@code null} when absent
   */
  public String header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  @Override
  public byte[] body() {
    return body.clone();
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
    return method + " " + path + (query.isEmpty() ? "" : "?" + query);
  }
}
