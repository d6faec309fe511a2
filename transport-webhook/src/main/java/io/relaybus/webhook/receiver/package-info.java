/**
 * The receiving side of Relaybus webhooks: {@link io.relaybus.webhook.receiver.WebhookReceiver}
 * verifies (with a {@link io.relaybus.webhook.signature.WebhookVerifier}), dedupes (a {@link
 * io.relaybus.webhook.receiver.DedupeStore}), decodes and hands each request to a {@link
 * io.relaybus.webhook.receiver.WebhookHandler}, inside any framework through {@code
 * handle(method, headers, body)}, or standalone in {@link
 * io.relaybus.webhook.receiver.EmbeddedWebhookServer} on the JDK's HTTP server. The webhook
 * transport's own group members receive through the same two classes; their handler alone
 * also takes a verified request whose payload does not decode (which other receivers refuse
 * with {@code 400}), so that their bus decides about it.
 */
package io.relaybus.webhook.receiver;
