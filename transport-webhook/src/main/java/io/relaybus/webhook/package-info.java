/**
 * The webhook transport: signed, retried HTTP delivery through an outbox
 * ({@link io.relaybus.webhook.WebhookTransportProvider}, {@code relaybus.transport=webhook}),
 * endpoints managed in configuration or through {@link io.relaybus.webhook.WebhookEndpoints}.
 * The outbox, the dispatcher and the group-member receiver live in {@code
 * io.relaybus.webhook.internal.*}, which the module does not export.
 */
package io.relaybus.webhook;
