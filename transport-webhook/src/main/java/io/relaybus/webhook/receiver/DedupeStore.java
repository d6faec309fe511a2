package io.relaybus.webhook.receiver;

import java.time.Duration;

/**
 * Remembers which {@code webhook-id}s are being handled or have been handled, so a resend is
 * acknowledged without calling the handler again. The default is {@link InMemoryDedupeStore};
 * implement this interface for a shared or durable store (for example a table with a unique
 * key on the id and an expiry column) when several receiver processes share the traffic.
 *
 * <p>Implementations must be thread-safe and make {@link #claim(String)} atomic: two
 * concurrent claims of one id must not both return {@link Claim#ACQUIRED}. A durable store
 * should let an {@link Claim#ACQUIRED} claim expire after a lease in case the process dies
 * while handling.
 */
public interface DedupeStore {

  /** The outcome of {@link #claim(String)}. */
  enum Claim {
    /** The id is new (or forgotten): the caller handles it, then completes or releases it. */
    ACQUIRED,
    /** Another request with this id is being handled right now. */
    IN_PROGRESS,
    /** The id was handled successfully within the retention period. */
    ALREADY_HANDLED
  }

  /**
   * A store that remembers nothing: every verified request reaches the handler, resends and
   * concurrent copies of one {@code webhook-id} included. Only for handlers that are
   * idempotent or deduplicate on their own, such as a Relaybus consumer-group member, whose bus
   * owns retries and acknowledgements.
   *
   * @return the store
   */
  static DedupeStore none() {
    return NoDedupe.INSTANCE;
  }

  /**
   * Claims an id before handling it.
   *
   * @param webhookId the id
   * @return whether the caller may handle it
   */
  Claim claim(String webhookId);

  /**
   * Records that a claimed id was handled successfully; it is remembered for {@link
   * #retention()}.
   *
   * @param webhookId the id
   */
  void complete(String webhookId);

  /**
   * Gives up a claim after a failed attempt so a retry can handle the id.
   *
   * @param webhookId the id
   */
  void release(String webhookId);

  /**
   * How long handled ids are remembered. The receiver requires at least twice the timestamp
   * tolerance, so every replay that passes the timestamp check is still recognised.
   *
   * @return the retention
   */
  Duration retention();
}
