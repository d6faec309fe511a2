/**
 * The subscribing side of the webhook transport: a bus that subscribes to (topic, group) becomes
 * a member of that group's route. {@link io.relaybus.webhook.internal.member.MemberReceiver}
 * serves one route per member on the bus's {@link
 * io.relaybus.webhook.receiver.EmbeddedWebhookServer}, each a {@link
 * io.relaybus.webhook.receiver.WebhookReceiver} verifying with the group's secret, and keeps the
 * members registered in the outbox with a heartbeat. The {@code Member} hands each delivery to
 * the bus's {@link io.relaybus.spi.MessageSink} as a {@code WebhookInboundMessage} and answers
 * only when the bus has decided: ack → 204, dead letter → stored, then 204, released or member
 * closing → 503 with the release headers, so the sender sends it again without counting an
 * attempt. Retries happen in the bus only. Not API: the package is not exported.
 */
package io.relaybus.webhook.internal.member;
