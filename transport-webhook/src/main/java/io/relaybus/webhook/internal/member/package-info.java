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
 * attempt. Retries happen in the bus only. A request that verifies but whose payload is not a
 * readable event is handed over too (the member is an {@link
 * io.relaybus.webhook.receiver.UndecodableWebhookHandler}, which the receiver asks
 * instead of answering {@code 400}): its message's {@code event()} throws the {@link
 * io.relaybus.DecodingException}, the bus dead-letters it as {@code UNDECODABLE} after one
 * attempt without calling the handler (or drops it with dead letters off), and the member
 * stores the dead letter with the stand-in event {@code WebhookPayloads.salvage} reads from the
 * request (its own id where the body or headers carry one, else the {@code webhook-id}) and
 * answers 204, so the sender's delivery is finished. Not API: the package is not exported.
 */
package io.relaybus.webhook.internal.member;
