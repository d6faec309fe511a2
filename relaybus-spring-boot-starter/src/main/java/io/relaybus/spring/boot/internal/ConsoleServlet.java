package io.relaybus.spring.boot.internal;

import io.relaybus.console.Console;
import io.relaybus.console.ConsoleRequest;
import io.relaybus.console.ConsoleResponse;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The operator console as a servlet: each request, its path below the servlet's mapping, goes
 * to {@link Console#handle} unchanged (headers, cookies, method, body), and the console's
 * answer is sent as it is, so the console's own sign-in, CSRF and origin checks decide.
 */
public final class ConsoleServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  /** Larger bodies are no form of the console's; as the JDK runner, refuse them. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  private final transient Console console;

  /**
   * A servlet for a console.
   *
   * @param console the console
   */
  public ConsoleServlet(Console console) {
    this.console = console;
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String path = request.getPathInfo() == null ? "/" : request.getPathInfo();
    byte[] body;
    try (InputStream in = request.getInputStream()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (body.length > MAX_BODY_BYTES) {
      response.setStatus(413);
      return;
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : Collections.list(request.getHeaderNames())) {
      headers.put(name, new ArrayList<>(Collections.list(request.getHeaders(name))));
    }
    ConsoleResponse r = console.handle(new ConsoleRequest(request.getMethod(), path,
        request.getQueryString(), headers, body));
    response.setStatus(r.status());
    for (Map.Entry<String, List<String>> h : r.headers().entrySet()) {
      for (String value : h.getValue()) {
        response.addHeader(h.getKey(), value);
      }
    }
    byte[] out = r.body();
    if (out.length > 0 && !"HEAD".equalsIgnoreCase(request.getMethod())) {
      response.setContentLength(out.length);
      try (OutputStream os = response.getOutputStream()) {
        os.write(out);
      }
    }
  }
}
