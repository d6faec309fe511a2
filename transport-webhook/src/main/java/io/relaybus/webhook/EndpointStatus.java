package io.relaybus.webhook;

/**
 * An endpoint as the sender sees it now.
 *
 * @param endpoint the endpoint's settings
 * @param state whether deliveries are sent
 * @param stateReason why the state last changed (for example {@code 410 Gone at …}), or
 *     {@code null}
 * @param circuit the circuit breaker in this sender process: {@code CLOSED}, {@code OPEN} or
 *     {@code HALF_OPEN}
 * @param pending deliveries waiting, claimed ones included
 */
public record EndpointStatus(WebhookEndpoint endpoint, EndpointState state, String stateReason,
    String circuit, long pending) {}
