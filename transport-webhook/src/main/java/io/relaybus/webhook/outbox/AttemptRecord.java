package io.relaybus.webhook.outbox;

import java.time.Duration;
import java.time.Instant;

/**
 * One HTTP attempt, as recorded in the outbox.
 *
 * @param deliveryId the delivery
 * @param attempt its number, from 1
 * @param startedAt when the request started
 * @param duration how long it took
 * @param status the HTTP status, or 0 when no response came
 * @param error the failure (status line or exception), or {@code null} on success
 */
public record AttemptRecord(long deliveryId, int attempt, Instant startedAt, Duration duration,
    int status, String error) {}
