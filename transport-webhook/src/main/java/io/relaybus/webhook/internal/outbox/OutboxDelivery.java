package io.relaybus.webhook.internal.outbox;

import io.relaybus.Event;

/**
 * One event waiting to be sent to one route, as claimed by a dispatcher.
 *
 * @param id the delivery's id in the outbox
 * @param route the route name
 * @param topic the topic the event was published to
 * @param event the event
 * @param attempts the HTTP attempts already made
 * @param handlerAttempt for a group: the attempt number of the next handler invocation
 */
public record OutboxDelivery(long id, String route, String topic, Event event, int attempts,
    int handlerAttempt) {}
