/**
 * The subscribing side of the webhook transport: a bus that subscribes to (topic, group) becomes
 * a member of that group's route and receives deliveries on its embedded HTTP receiver, which
 * hands them to the bus's {@link io.relaybus.spi.MessageSink} and answers only when the bus has
 * decided (ack → 204, dead letter → stored, then 204, member closing → 503 "released"). Retries
 * happen in the bus only. Not API.
 */
package io.relaybus.webhook.internal.member;
