package io.relaybus.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import io.relaybus.EventBus;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.WebhookTransport;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The webhook endpoints page on the webhook transport (in-memory outbox, a loopback receiver):
 * state, breaker and recent attempts, disable / enable, and sending a test event.
 */
class WebhookConsoleTest {
  private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

  /** A request the receiver got: the Standard Webhooks headers and the body. */
  private record Received(String id, String timestamp, String signature, byte[] body) {}

  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Logger audit = (Logger) LoggerFactory.getLogger("io.relaybus.console.audit");
  private final ListAppender<ILoggingEvent> audited = new ListAppender<>();
  private HttpServer receiver;
  private String url;
  private EventBus bus;
  private Console console;

  @BeforeEach
  void start() throws IOException {
    audited.start();
    audit.setLevel(Level.INFO);
    audit.setAdditive(false); // read here, not printed into the build's output
    audit.addAppender(audited);
    // a receiver that accepts every delivery
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        byte[] body = in.readAllBytes();
        Headers h = exchange.getRequestHeaders();
        received.add(new Received(h.getFirst(WebhookHeaders.ID),
            h.getFirst(WebhookHeaders.TIMESTAMP), h.getFirst(WebhookHeaders.SIGNATURE), body));
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
        .url(url).topics("orders").secret(SECRET).build());
    console = Console.builder(bus)
        .user("olga", Role.OPERATOR, ConsoleContract.OPERATOR_PASSWORD)
        .user("rita", Role.READ_ONLY, ConsoleContract.VIEWER_PASSWORD)
        .build();
  }

  @AfterEach
  void stop() {
    audit.detachAppender(audited);
    audit.setLevel(null);
    audit.setAdditive(true);
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
  @DisplayName("a read-only user sees no switch and no test button, and cannot disable an "
      + "endpoint nor send it a test event")
  void readOnlyCannotAct() {
    Browser viewer = new Browser(console);
    viewer.signIn("rita", ConsoleContract.VIEWER_PASSWORD);
    assertThat(viewer.get("/endpoints").bodyText()).contains("<h2>crm</h2>")
        .doesNotContain("Disable").doesNotContain("Send test event");
    assertThat(viewer.post("/endpoints/disable", Map.of("endpoint", "crm")).status())
        .isEqualTo(403);
    assertThat(crm().enabled()).isTrue();
    assertThat(viewer.post("/endpoints/test", Map.of("endpoint", "crm")).status())
        .isEqualTo(403);
    assertThat(received).isEmpty();
  }

  @Test
  @DisplayName("an operator sends a test event: it arrives now, signed with the endpoint's "
      + "secret; the page shows its status and latency and lists it among the recent attempts; "
      + "the action is audited")
  void sendTestEvent() {
    Browser operator = new Browser(console);
    operator.signIn("olga", ConsoleContract.OPERATOR_PASSWORD);
    assertThat(operator.get("/endpoints").bodyText()).contains(">Send test event</button>");
    ConsoleResponse r = operator.post("/endpoints/test", Map.of("endpoint", "crm"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(received).hasSize(1);
    Received got = received.get(0);
    WebhookVerifier.builder().secret(WebhookSecret.parse(SECRET)).build()
        .verify(got.id(), got.timestamp(), got.signature(), got.body());
    assertThat(new String(got.body(), StandardCharsets.UTF_8))
        .contains("\"type\":\"relaybus.test\"");
    EndpointStatus.Attempt attempt = crm().recentAttempts().get(0);
    assertThat(attempt.status()).isEqualTo(204);
    String html = r.bodyText();
    assertThat(html).contains("id=\"test-result\"").contains("<h2>Test event sent to crm</h2>")
        .contains("<th>status</th><td>204</td>").contains("<th>event</th><td>"
            + attempt.eventId() + "</td>").contains("<td>" + attempt.eventId() + "</td>");
    assertThat(audited.list).extracting(ILoggingEvent::getFormattedMessage).anySatisfy(line ->
        assertThat(line).contains("user=olga action=test-endpoint filter={endpoint=crm}")
            .contains("status=204"));
    assertThat(operator.post("/endpoints/test", Map.of("endpoint", "nope")).bodyText())
        .contains("nope");
  }
}
