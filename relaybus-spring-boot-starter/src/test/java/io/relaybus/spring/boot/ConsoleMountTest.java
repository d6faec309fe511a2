package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.EventBus;
import io.relaybus.console.Console;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The console mounted by the starter in a real servlet container (Tomcat) on the memory
 * transport: reached through its mount path, signed in as a configured user or with a token,
 * and its CSRF check in force.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "relaybus.transport=memory",
    "relaybus.console.path=/relaybus",
    "relaybus.console.user.olga=operator:olga-password",
    "relaybus.console.token.ci=read-only:ci-token-12345"})
class ConsoleMountTest {
  private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]*)\"");

  @SpringBootConfiguration
  @EnableAutoConfiguration(exclude = DataSourceAutoConfiguration.class)
  static class App {}

  @LocalServerPort
  int port;

  @Autowired
  EventBus bus;

  private final HttpClient http = HttpClient.newHttpClient();

  private String origin() {
    return "http://localhost:" + port;
  }

  private HttpResponse<String> get(String path, String header, String value) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin() + path)).GET();
    if (header != null) {
      b.header(header, value);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String cookie, String form) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin() + path))
        .header("Origin", origin())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("a user signs in through the mount path and gets the overview; its links and "
      + "cookie are below the mount path")
  void signInAndOverview() throws Exception {
    HttpResponse<String> anonymous = get("/relaybus/", null, null);
    assertThat(anonymous.statusCode()).isEqualTo(303);
    assertThat(anonymous.headers().firstValue("Location")).hasValue("/relaybus/login");

    HttpResponse<String> wrong = post("/relaybus/login", null,
        "user=olga&password=" + enc("not-her-password"));
    assertThat(wrong.statusCode()).isEqualTo(401);

    HttpResponse<String> signIn = post("/relaybus/login", null,
        "user=olga&password=" + enc("olga-password"));
    assertThat(signIn.statusCode()).isEqualTo(303);
    String setCookie = signIn.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie).contains("Path=/relaybus").contains("HttpOnly");
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));

    HttpResponse<String> overview = get("/relaybus/", "Cookie", cookie);
    assertThat(overview.statusCode()).isEqualTo(200);
    assertThat(overview.body()).contains("Overview").contains("href=\"/relaybus/dead-letters");
    assertThat(overview.headers().firstValue("Content-Security-Policy").orElseThrow())
        .startsWith("default-src 'self'");
    assertThat(get("/relaybus/assets/console.css", "Cookie", cookie).body()).contains("body");
  }

  @Test
  @DisplayName("a configured token gets the overview as a bearer token")
  void bearerToken() throws Exception {
    HttpResponse<String> overview = get("/relaybus/", "Authorization", "Bearer ci-token-12345");
    assertThat(overview.statusCode()).isEqualTo(200);
    assertThat(overview.body()).contains("Overview");
    assertThat(get("/relaybus/", "Authorization", "Bearer wrong-token-123").statusCode())
        .isNotEqualTo(200);
  }

  @Test
  @DisplayName("a POST without the session's CSRF token is refused with 403; with it, accepted")
  void postWithoutCsrfTokenIsRefused() throws Exception {
    HttpResponse<String> signIn = post("/relaybus/login", null,
        "user=olga&password=" + enc("olga-password"));
    String setCookie = signIn.headers().firstValue("Set-Cookie").orElseThrow();
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    HttpResponse<String> page = get("/relaybus/dead-letters?topic=orders", "Cookie", cookie);
    assertThat(page.statusCode()).isEqualTo(200);
    Matcher m = CSRF.matcher(page.body());
    assertThat(m.find()).isTrue();
    String csrf = m.group(1);

    assertThat(post("/relaybus/dead-letters/purge", cookie, "topic=orders").statusCode())
        .isEqualTo(403);
    assertThat(post("/relaybus/dead-letters/purge", cookie, "topic=orders&csrf=forged")
        .statusCode()).isEqualTo(403);
    assertThat(post("/relaybus/dead-letters/purge", cookie, "topic=orders&csrf=" + enc(csrf))
        .statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("without relaybus.console.path, or outside a servlet application, nothing is "
      + "mounted and the console's keys do not reach the bus")
  void offUnlessAsked() {
    AutoConfigurations auto = AutoConfigurations.of(RelaybusAutoConfiguration.class,
        RelaybusConsoleAutoConfiguration.class);
    new WebApplicationContextRunner().withConfiguration(auto)
        .withPropertyValues("relaybus.console.user.olga=operator:olga-password")
        .run(c -> {
          assertThat(c).hasNotFailed().hasSingleBean(EventBus.class)
              .doesNotHaveBean(Console.class).doesNotHaveBean("relaybusConsoleServlet");
        });
    new ApplicationContextRunner().withConfiguration(auto)
        .withPropertyValues("relaybus.console.path=/relaybus",
            "relaybus.console.user.olga=operator:olga-password")
        .run(c -> assertThat(c).hasNotFailed().doesNotHaveBean(Console.class));
    new WebApplicationContextRunner().withConfiguration(auto)
        .withPropertyValues("relaybus.console.path=/relaybus",
            "relaybus.console.user.olga=operator:olga-password")
        .run(c -> assertThat(c).hasNotFailed().hasSingleBean(Console.class)
            .hasBean("relaybusConsoleServlet"));
    new WebApplicationContextRunner().withConfiguration(auto)
        .withPropertyValues("relaybus.console.path=relaybus/",
            "relaybus.console.user.olga=operator:olga-password")
        .run(c -> assertThat(c).hasFailed().getFailure().hasStackTraceContaining(
            "relaybus.console.path='relaybus/'"));
  }
}
