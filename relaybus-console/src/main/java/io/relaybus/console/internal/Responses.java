package io.relaybus.console.internal;

import io.relaybus.console.ConsoleResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Responses with the console's security headers on every one of them. */
final class Responses {
  private Responses() {}

  private static Map<String, List<String>> secured(String contentType) {
    Map<String, List<String>> h = new LinkedHashMap<>();
    h.put("Content-Type", List.of(contentType));
    h.put("Content-Security-Policy", List.of(ConsoleHandler.CSP));
    h.put("X-Frame-Options", List.of("DENY"));
    h.put("X-Content-Type-Options", List.of("nosniff"));
    h.put("Referrer-Policy", List.of("same-origin"));
    h.put("Cache-Control", List.of("no-store"));
    return h;
  }

  static ConsoleResponse page(int status, String html) {
    return new ConsoleResponse(status, secured("text/html; charset=utf-8"),
        html.getBytes(StandardCharsets.UTF_8));
  }

  static ConsoleResponse of(int status, Map<String, List<String>> extra, String text) {
    Map<String, List<String>> h = secured("text/plain; charset=utf-8");
    h.putAll(extra);
    return new ConsoleResponse(status, h, text.getBytes(StandardCharsets.UTF_8));
  }

  static ConsoleResponse asset(byte[] body, String contentType) {
    Map<String, List<String>> h = secured(contentType);
    h.put("Cache-Control", List.of("max-age=3600"));
    return new ConsoleResponse(200, h, body);
  }

  static ConsoleResponse redirect(String location) {
    return redirect(location, List.of());
  }

  static ConsoleResponse redirect(String location, List<String> cookies) {
    Map<String, List<String>> h = secured("text/plain; charset=utf-8");
    h.put("Location", List.of(location));
    if (!cookies.isEmpty()) {
      h.put("Set-Cookie", cookies);
    }
    return new ConsoleResponse(303, h, new byte[0]);
  }

  static ConsoleResponse withCookies(ConsoleResponse r, List<String> cookies) {
    Map<String, List<String>> h = new LinkedHashMap<>(r.headers());
    List<String> all = new ArrayList<>(h.getOrDefault("Set-Cookie", List.of()));
    all.addAll(cookies);
    h.put("Set-Cookie", all);
    return new ConsoleResponse(r.status(), h, r.body());
  }
}
