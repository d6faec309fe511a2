/**
 * The sending side. {@link io.relaybus.webhook.internal.dispatch.OutboxDispatcher} runs the
 * claiming thread: each round it renews the leases of what this sender holds ({@code
 * InFlightLeases}), re-reads routes, writes waiting outcomes ({@code OutcomeRecorder}) and asks
 * each route's {@code Lane} to claim what its concurrency, circuit breaker ({@code
 * CircuitBreaker}) and rate limit ({@code RateLimiter}) allow. On an HTTP thread {@code
 * AttemptSender} builds the request ({@link io.relaybus.webhook.internal.dispatch.HttpDeliveryRequests}:
 * payload and signature) and runs it, and {@code AttemptOutcomes} decides what the result means:
 * success, a group member's release, 410, {@code Retry-After} ({@code RetryAfter}), the retry
 * schedule ({@link io.relaybus.webhook.internal.dispatch.RetrySchedule}) or a dead letter. Not
 * API: the package is not exported.
 */
package io.relaybus.webhook.internal.dispatch;
