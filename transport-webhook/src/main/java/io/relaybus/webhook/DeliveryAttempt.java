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
 * @param eventId the id of the event delivered, so an attempt log can name it; {@code null} for
 *     attempts recorded by a version that did not keep it
 * @param webhookId the {@code webhook-id} header of the request (the same on every attempt of
 *     the delivery, what the receiver dedupes on); {@code null} likewise
 */
public record DeliveryAttempt(long deliveryId, int attempt, Instant startedAt, Duration duration,
    int status, String error, String eventId, String webhookId) {

  /**
   * An attempt without the event's identity (as recorded before it was kept).
   *
   * @param deliveryId the delivery
   * @param attempt the attempt number, from 1
   * @param startedAt when the request started
   * @param duration how long it took
   * @param status the HTTP status, 0 when no response came
   * @param error the failure, or {@code null} for a success
   */
  public DeliveryAttempt(long deliveryId, int attempt, Instant startedAt, Duration duration,
      int status, String error) {
    this(deliveryId, attempt, startedAt, duration, status, error, null, null);
  }
}
