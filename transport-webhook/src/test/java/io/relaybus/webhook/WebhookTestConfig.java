package io.relaybus.webhook;

import java.util.Map;

/** Test timings shared by the compatibility runs. */
final class WebhookTestConfig {
  private WebhookTestConfig() {}

  /** Poll and re-read routes often; short member TTL. */
  static final Map<String, String> TCK = Map.of(
      "relaybus.transport", "webhook",
      "relaybus.webhook.poll-interval", "100ms",
      "relaybus.webhook.route-refresh", "200ms",
      "relaybus.webhook.subscriber.member-ttl", "5s");
}
