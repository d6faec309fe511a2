/**
 * Turns a Relaybus {@link io.relaybus.Event} and its topic into an HTTP request body and
 * headers, and back: the Standard Webhooks JSON shape by default, CloudEvents HTTP binary mode
 * on request. See {@link io.relaybus.webhook.payload.WebhookPayloads} for the exact formats.
 */
package io.relaybus.webhook.payload;
