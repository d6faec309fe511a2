/**
 * Turns a Relaybus {@link io.relaybus.Event} and its topic into an HTTP request body and
 * headers, and back: the Standard Webhooks JSON shape by default ({@code StandardWebhooksJson}),
 * CloudEvents HTTP binary mode on request ({@code CloudEventsBinary}); CloudEvents structured
 * mode from other senders is read too ({@code CloudEventsStructured}). {@link
 * io.relaybus.webhook.payload.WebhookPayloads} is the entry point and documents the exact
 * formats; its {@code salvage} keeps a request that does not decode as a stand-in event, for a
 * dead letter.
 */
package io.relaybus.webhook.payload;
