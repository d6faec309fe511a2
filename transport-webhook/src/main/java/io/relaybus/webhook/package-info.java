/**
 * The webhook transport: signed, retried HTTP delivery through an outbox
 * ({@link io.relaybus.webhook.WebhookTransportProvider}, {@code relaybus.transport=webhook}),
 * endpoints managed in configuration or through {@link io.relaybus.webhook.WebhookEndpoints}.
 */
package io.relaybus.webhook;
