package io.relaybus.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The shop end to end, per transport profile: a placed order is billed once; a refused one (its
 * transaction rolled back after the publish) is never billed; the bus's health is on Actuator.
 */
class ShopApplicationTest {

  private final HttpClient http = HttpClient.newHttpClient();

  @ParameterizedTest(name = "profile {0}")
  @ValueSource(strings = {"postgres", "memory"})
  void aPlacedOrderIsBilledOnceAndARefusedOneNever(String profile) throws Exception {
    try (ConfigurableApplicationContext app = ShopApplication.start("--server.port=0",
        "--spring.profiles.active=" + profile)) {
      int port = ((WebServerApplicationContext) app).getWebServer().getPort();
      Billing billing = app.getBean(Billing.class);
      String refused = profile + "-refused";
      String placed = profile + "-placed";

      assertThat(post(port, "{\"id\":\"" + refused + "\",\"total\":-1}").statusCode())
          .isEqualTo(422);
      assertThat(post(port, "{\"id\":\"" + placed + "\",\"total\":4200}").statusCode())
          .isEqualTo(202);

      await().atMost(Duration.ofSeconds(30)).until(() -> billing.billed().stream()
          .anyMatch(o -> o.id().equals(placed)));
      assertThat(billing.billed()).extracting(Order::id).containsOnlyOnce(placed)
          .doesNotContain(refused);

      HttpResponse<String> health = http.send(HttpRequest.newBuilder(
          URI.create("http://localhost:" + port + "/actuator/health/relaybus")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"transport\":\""
          + profile + "\"");
    }
  }

  private HttpResponse<String> post(int port, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/orders"))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
