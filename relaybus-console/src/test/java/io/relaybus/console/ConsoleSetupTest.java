package io.relaybus.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Configuring a console from properties, and the JDK HTTP server runner under a base path. */
class ConsoleSetupTest {
  private final EventBus bus = EventBus.builder().transport("memory").build();

  @AfterEach
  void close() {
    bus.close();
  }

  @Test
  @DisplayName("relaybus.console.* keys configure users, tokens and roles; every bad key is "
      + "named at once")
  void properties() {
    Console console = Console.builder(bus).properties(Map.of(
        "relaybus.console.user.olga", "operator:olga-password",
        "relaybus.console.token.ci", "read-only:ci-token-123456",
        "relaybus.transport", "memory")).build();
    Browser olga = new Browser(console);
    assertThat(olga.signIn("olga", "olga-password").status()).isEqualTo(303);
    assertThat(olga.get("/").bodyText()).contains("olga · operator");
    Browser ci = new Browser(console);
    assertThat(ci.signIn("", "ci-token-123456").status()).isEqualTo(303);
    assertThat(ci.get("/").bodyText()).contains("ci · read-only");
    assertThatThrownBy(() -> Console.builder(bus).properties(Map.of(
        "relaybus.console.user.a", "admin:password1",
        "relaybus.console.token.b", "operator:short",
        "relaybus.console.anonymous", "everyone")).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.console.user.a: Unknown console role 'admin'")
        .hasMessageContaining("relaybus.console.token.b: The secret of console token 'b' is "
            + "shorter than 8 characters")
        .hasMessageContaining("relaybus.console.anonymous: Unknown console role 'everyone'");
  }

  @Test
  @DisplayName("ConsoleServer serves the console under its base path with the security headers")
  void serverUnderABasePath() throws IOException {
    Console console = Console.builder(bus).basePath("/ops").anonymous(Role.READ_ONLY).build();
    try (ConsoleServer server = ConsoleServer.start(console,
        new InetSocketAddress("127.0.0.1", 0))) {
      assertThat(server.uri().getPath()).isEqualTo("/ops/");
      HttpURLConnection c = (HttpURLConnection) server.uri().toURL().openConnection();
      assertThat(c.getResponseCode()).isEqualTo(200);
      assertThat(c.getHeaderField("Content-Security-Policy")).startsWith("default-src 'self'");
      assertThat(c.getHeaderField("Set-Cookie")).contains("Path=/ops").contains("HttpOnly");
      String html;
      try (InputStream in = c.getInputStream()) {
        html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      assertThat(html).contains("href=\"/ops/assets/console.css\"")
          .contains("href=\"/ops/dead-letters\"");
      HttpURLConnection css = (HttpURLConnection) URI.create(server.uri() + "assets/console.css")
          .toURL().openConnection();
      assertThat(css.getResponseCode()).isEqualTo(200);
      assertThat(css.getContentType()).startsWith("text/css");
    }
  }
}
