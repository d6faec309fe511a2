package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.BusClosedException;
import io.relaybus.EventBus;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The endpoint API refuses a closed bus like the core API does. */
class WebhookClosedBusTest {

  @Test
  @DisplayName("every endpoints() operation on a closed bus throws BusClosedException naming the "
      + "operation and the endpoint")
  void closedBusRefusesEndpointOperations() {
    EventBus bus = EventBus.create(Map.of("relaybus.transport", "webhook",
        "relaybus.webhook.ssrf.allow-categories", "loopback"));
    WebhookEndpoints endpoints = bus.unwrap(WebhookTransport.class).endpoints();
    WebhookEndpoint hook = WebhookEndpoint.builder("hook")
        .url("http://127.0.0.1:9/hook").topics("orders").build();
    endpoints.add(hook);
    bus.close();

    Map<String, ThrowingCallable> calls = Map.of(
        "add webhook endpoint 'hook'", () -> endpoints.add(hook),
        "remove webhook endpoint 'hook'", () -> endpoints.remove("hook"),
        "list the webhook endpoints", endpoints::list,
        "read webhook endpoint 'hook'", () -> endpoints.get("hook"),
        "enable webhook endpoint 'hook'", () -> endpoints.enable("hook"),
        "disable webhook endpoint 'hook'", () -> endpoints.disable("hook"),
        "list the delivery attempts of webhook endpoint 'hook'",
        () -> endpoints.attempts("hook", 10));
    for (Map.Entry<String, ThrowingCallable> call : calls.entrySet()) {
      assertThatThrownBy(call.getValue()).as(call.getKey())
          .isInstanceOf(BusClosedException.class)
          .hasMessage("Cannot " + call.getKey() + ": the webhook event bus is closed");
    }
  }
}
