/**
 * The sending side: {@link io.relaybus.webhook.internal.dispatch.OutboxDispatcher} claims due deliveries
 * per route and sends them with OkHttp, applying the retry schedule, {@code Retry-After}, the
 * circuit breaker and the rate limit of each endpoint. Not API.
 */
package io.relaybus.webhook.internal.dispatch;
