package io.relaybus.webhook;

import java.time.Duration;
import java.time.Instant;

/**
 * One recorded HTTP attempt of a delivery.
 *
 * @param deliveryId the delivery
 * @param attempt the attempt number, from 1
 * @param startedAt when the request started
 * @param duration how long it took
 * @param status the HTTP status, 0 when no response came (timeout, reset, refused)
 * @param error the failure, or {@code null} for a success
 */
public record DeliveryAttempt(long deliveryId, int attempt, Instant startedAt, Duration duration,
    int status, String error) {}
