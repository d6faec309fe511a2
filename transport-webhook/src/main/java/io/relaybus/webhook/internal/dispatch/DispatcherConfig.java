package io.relaybus.webhook.internal.dispatch;

import java.time.Duration;

/**
 * The dispatcher's settings.
 *
 * @param schedule the retry schedule of endpoints
 * @param retryAfterCap the longest {@code Retry-After} honoured
 * @param pollInterval how often the outbox is searched for due deliveries without a wake-up
 * @param routeRefresh how often routes and members are re-read from the outbox
 * @param lease how long a claim holds at least (a claim also outlives the route's timeout)
 * @param connectTimeout the connect timeout of every request
 * @param groupTimeout the call timeout of deliveries to consumer groups (handlers may be slow)
 * @param breakerThreshold consecutive failures that open an endpoint's breaker; 0 disables it
 * @param breakerOpenFor how long an open breaker waits before a probe
 * @param batch the most deliveries claimed per route per round
 * @param attemptRetention how long recorded attempts are kept
 */
public record DispatcherConfig(RetrySchedule schedule, Duration retryAfterCap,
    Duration pollInterval, Duration routeRefresh, Duration lease, Duration connectTimeout,
    Duration groupTimeout, int breakerThreshold, Duration breakerOpenFor, int batch,
    Duration attemptRetention) {}
