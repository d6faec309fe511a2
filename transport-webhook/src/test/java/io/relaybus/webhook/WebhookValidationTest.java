package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A configuration mistake is answered at once, with "did you mean" for endpoint keys too, and
 * before the JDBC outbox connects: its database address, a loopback listener that counts and
 * closes connections, is never connected to.
 */
class WebhookValidationTest {
  /** Far below any connect timeout. */
  private static final Duration AT_ONCE = Duration.ofMillis(500);

  private ServerSocket database;
  private final AtomicInteger connections = new AtomicInteger();

  @BeforeEach
  void listen() throws IOException {
    database = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!database.isClosed()) {
        try (Socket s = database.accept()) {
          connections.incrementAndGet();
        } catch (IOException e) {
          return; // closed
        }
      }
    }, "test-database-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterEach
  void close() throws IOException {
    database.close();
  }

  private Map<String, String> jdbc(String... keyValues) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("relaybus.transport", "webhook");
    c.put("relaybus.webhook.outbox", "jdbc");
    c.put("relaybus.webhook.jdbc.url", "jdbc:postgresql://127.0.0.1:" + database.getLocalPort()
        + "/outbox?connectTimeout=1");
    for (int i = 0; i < keyValues.length; i += 2) {
      c.put(keyValues[i], keyValues[i + 1]);
    }
    return c;
  }

  /** The refusal, after checking it came at once and without a connection. */
  private ConfigurationException refused(Map<String, String> config) {
    long start = System.nanoTime();
    try (EventBus bus = EventBus.create(config)) {
      throw new AssertionError("expected a ConfigurationException, got " + bus);
    } catch (ConfigurationException e) {
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time to refuse")
          .isLessThan(AT_ONCE);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
          .untilAsserted(() -> assertThat(connections).as("connections to the database")
              .hasValue(0));
      return e;
    }
  }

  private String refusal(Map<String, String> config) {
    return refused(config).getMessage().lines().findFirst().orElseThrow();
  }

  @Test
  @DisplayName("a misspelt outbox key is refused before the outbox connects")
  void misspeltJdbcKey() {
    assertThat(refusal(jdbc("relaybus.webhook.jdbc.pasword", "secret"))).isEqualTo(
        "Invalid Relaybus configuration: relaybus.webhook.jdbc.pasword is not a setting of the "
            + "webhook transport (did you mean relaybus.webhook.jdbc.password?); its settings "
            + "are: " + String.join(", ", new TreeSet<>(new WebhookTransportProvider()
            .configKeys())));
  }

  @Test
  @DisplayName("a misspelt endpoint key names the endpoint key it was meant to be")
  void misspeltEndpointKey() {
    ConfigurationException e = refused(jdbc(
        "relaybus.webhook.endpoints.billing.ulr", "https://billing.example/hook",
        "relaybus.webhook.endpoints.billing.topics", "orders"));

    assertThat(e.getMessage()).startsWith("Invalid Relaybus configuration (2 problems):\n");
    assertThat(e.problems()).containsExactly(
        "relaybus.webhook.endpoints.billing.ulr is not a setting of the webhook transport (did "
            + "you mean relaybus.webhook.endpoints.billing.url?); its settings are: "
            + String.join(", ", new TreeSet<>(new WebhookTransportProvider().configKeys())),
        "relaybus.webhook.endpoints.billing.url is required: the http(s) URL of endpoint "
            + "'billing'");
  }

  @Test
  @DisplayName("a bad endpoint value is refused before the outbox connects")
  void badEndpointValue() {
    assertThat(refusal(jdbc(
        "relaybus.webhook.endpoints.billing.url", "https://billing.example/hook",
        "relaybus.webhook.endpoints.billing.topics", "orders",
        "relaybus.webhook.endpoints.billing.concurrency", "0"))).isEqualTo(
        "Invalid Relaybus configuration: relaybus.webhook.endpoints.billing.concurrency='0' is "
            + "invalid: expected an integer from 1 to 1024");
  }

  @Test
  @DisplayName("endpoint keys without relaybus.transport are refused, not a memory bus")
  void endpointWithoutTransport() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("relaybus.webhook.endpoints.billing.url", "https://billing.example/hook");
    c.put("relaybus.webhook.endpoints.billing.topics", "orders");

    assertThat(refusal(c)).isEqualTo("Invalid Relaybus configuration: relaybus.transport is "
        + "not set but relaybus.webhook.endpoints.billing.topics is: set "
        + "relaybus.transport=webhook to use the webhook transport, or relaybus.transport=memory "
        + "to keep events in memory only");
  }

  @Test
  @DisplayName("the listener sees an outbox that is valid: the check can fail")
  void validOutboxConnects() {
    try (EventBus bus = EventBus.create(jdbc())) {
      // the outbox connects lazily or at once; either way it connects
    } catch (RuntimeException e) {
      // a listener that closes every connection is no database: the start may fail after it
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(connections.get()).isPositive());
  }
}
