package io.relaybus.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.EventBus;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.WebhookTransport;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The webhook endpoints page on the webhook transport (in-memory outbox, a loopback receiver):
 * state, breaker and recent attempts, and disable / enable, the console's one call outside the
 * operations API.
 */
class WebhookConsoleTest {
  private HttpServer receiver;
  private String url;
  private EventBus bus;
  private Console console;

  @BeforeEach
  void start() throws IOException {
    // a receiver that accepts every delivery
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
        exchange.sendResponseHeaders(204, -1);
      }
    });
    receiver.start();
    url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    bus = EventBus.create(Map.of(
        "relaybus.transport", "webhook",
        "relaybus.webhook.outbox", "memory",
        "relaybus.webhook.poll-interval", "50ms",
        "relaybus.webhook.route-refresh", "100ms",
        "relaybus.webhook.ssrf.allow-categories", "loopback"));
    bus.unwrap(WebhookTransport.class).endpoints().add(WebhookEndpoint.builder("crm")
        .url(url).topics("orders").build());
    console = Console.builder(bus)
        .user("olga", Role.OPERATOR, ConsoleContract.OPERATOR_PASSWORD)
        .user("rita", Role.READ_ONLY, ConsoleContract.VIEWER_PASSWORD)
        .build();
  }

  @AfterEach
  void stop() {
    bus.close();
    receiver.stop(0);
  }

  private EndpointStatus crm() {
    return bus.operations().endpoints().get(0);
  }

  @Test
  @DisplayName("the endpoints page shows state, breaker and attempts; an operator disables "
      + "and enables an endpoint")
  void endpointsPageAndSwitch() {
    bus.publish("orders", Scene.order("order.placed", "{\"n\":1}")).join();
    await().atMost(Scene.PATIENCE).until(() -> !crm().recentAttempts().isEmpty());
    Browser operator = new Browser(console);
    operator.signIn("olga", ConsoleContract.OPERATOR_PASSWORD);
    String html = operator.get("/endpoints").bodyText();
    assertThat(html).contains("<h2>crm</h2>").contains(url)
        .contains("<th>state</th><td>enabled</td>").contains("<th>breaker</th><td>closed</td>")
        .contains("<td class=\"num\">204</td>").contains(">Disable</button>");
    assertThat(operator.post("/endpoints/disable", Map.of("endpoint", "crm")).status())
        .isEqualTo(303);
    assertThat(crm().enabled()).isFalse();
    assertThat(operator.get("/endpoints").bodyText())
        .contains("<th>state</th><td>disabled</td>").contains(">Enable</button>");
    assertThat(operator.post("/endpoints/enable", Map.of("endpoint", "crm")).status())
        .isEqualTo(303);
    assertThat(crm().enabled()).isTrue();
    assertThat(operator.get("/").bodyText()).contains(">orders<");
  }

  @Test
  @DisplayName("a read-only user sees no switch and cannot disable an endpoint")
  void readOnlyCannotSwitch() {
    Browser viewer = new Browser(console);
    viewer.signIn("rita", ConsoleContract.VIEWER_PASSWORD);
    assertThat(viewer.get("/endpoints").bodyText()).contains("<h2>crm</h2>")
        .doesNotContain("Disable");
    assertThat(viewer.post("/endpoints/disable", Map.of("endpoint", "crm")).status())
        .isEqualTo(403);
    assertThat(crm().enabled()).isTrue();
  }
}
