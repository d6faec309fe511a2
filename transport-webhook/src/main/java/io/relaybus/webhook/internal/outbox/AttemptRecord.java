package io.relaybus.webhook.internal.outbox;

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
 * @param eventId the id of the delivered event, or {@code null} for attempts recorded before
 *     the outbox kept it
 * @param webhookId the request's {@code webhook-id}, or {@code null} likewise
 */
public record AttemptRecord(long deliveryId, int attempt, Instant startedAt, Duration duration,
    int status, String error, String eventId, String webhookId) {

  /**
   * An attempt without the event's identity.
   *
   * @param deliveryId the delivery
   * @param attempt its number, from 1
   * @param startedAt when the request started
   * @param duration how long it took
   * @param status the HTTP status, or 0 when no response came
   * @param error the failure, or {@code null} on success
   */
  public AttemptRecord(long deliveryId, int attempt, Instant startedAt, Duration duration,
      int status, String error) {
    this(deliveryId, attempt, startedAt, duration, status, error, null, null);
  }
}
