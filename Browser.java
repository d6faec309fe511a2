package io.relaybus.console;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives a {@link Console} handler as a browser would, without a network: keeps the session
 * cookie, sends the console's own {@code Origin} on posts, and posts forms with the CSRF token
 * of the last page it read.
 */
final class Browser {
  static final String HOST = "console.test";
  private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]*)\"");

  private final Console console;
  String cookie;
  String lastPage = "";

  Browser(Console console) {
    this.console = console;
  }

  ConsoleResponse get(String pathAndQuery) {
    return send("GET", pathAndQuery, Map.of(), null);
  }

  ConsoleResponse post(String path, Map<String, String> form) {
    Map<String, String> withToken = new HashMap<>(form);
    withToken.putIfAbsent("csrf", csrf());
    return send("POST", path, Map.of("Origin", "http://" + HOST), withToken);
  }

  ConsoleResponse signIn(String user, String password) {
    ConsoleResponse r = send("POST", "/login", Map.of("Origin", "http://" + HOST),
        Map.of("user", user, "password", password));
    String set = r.header("Set-Cookie");
    if (set != null) {
      cookie = set.substring(0, set.indexOf(';'));
    }
    return r;
  }

  String csrf() {
    Matcher m = CSRF.matcher(lastPage);
    return m.find() ? m.group(1) : "";
  }

  ConsoleResponse send(String method, String pathAndQuery, Map<String, String> headers,
      Map<String, String> form) {
    int q = pathAndQuery.indexOf('?');
    Map<String, List<String>> h = new HashMap<>();
    h.put("Host", List.of(HOST));
    headers.forEach((k, v) -> h.put(k, List.of(v)));
    if (cookie != null) {
      h.put("Cookie", List.of(cookie));
    }
    byte[] body = new byte[0];
    if (form != null) {
      h.put("Content-Type", List.of("application/x-www-form-urlencoded"));
      List<String> pairs = new ArrayList<>();
      form.forEach((k, v) -> pairs.add(enc(k) + "=" + enc(v)));
      body = String.join("&", pairs).getBytes(StandardCharsets.UTF_8);
    }
    ConsoleResponse r = console.handle(new ConsoleRequest(method,
        q < 0 ? pathAndQuery : pathAndQuery.substring(0, q),
        q < 0 ? "" : pathAndQuery.substring(q + 1), h, body));
    if (r.header("Content-Type") != null && r.header("Content-Type").startsWith("text/html")) {
      lastPage = r.bodyText();
    }
    return r;
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
