/**
 * Standard Webhooks signatures: {@link io.relaybus.webhook.signature.WebhookSecret} ({@code
 * whsec_<base64>}), {@link io.relaybus.webhook.signature.WebhookSigner} (symmetric {@code v1}
 * HMAC-SHA256 over {@code id.timestamp.body}) and {@link
 * io.relaybus.webhook.signature.WebhookVerifier} (constant-time comparison, several signatures
 * and several secrets for key rotation, timestamp tolerance).
 *
 * <p>The header names are in {@link io.relaybus.webhook.signature.WebhookHeaders}.
 */
package io.relaybus.webhook.signature;
