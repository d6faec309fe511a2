/**
 * The receiving side of Relaybus webhooks: {@link io.relaybus.webhook.receiver.WebhookReceiver}
 * verifies, dedupes, decodes and hands each request to a {@link
 * io.relaybus.webhook.receiver.WebhookHandler}, inside any framework through {@code
 * handle(method, headers, body)}, or standalone in {@link
 * io.relaybus.webhook.receiver.EmbeddedWebhookServer} on the JDK's HTTP server.
 */
package io.relaybus.webhook.receiver;
