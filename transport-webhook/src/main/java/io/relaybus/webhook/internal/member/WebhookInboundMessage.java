package io.relaybus.webhook.internal.member;

import io.relaybus.DeadLetterReason;
import io.relaybus.DecodingException;
import io.relaybus.Event;
import io.relaybus.spi.Errors;
import io.relaybus.spi.InboundMessage;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One delivery a member hands to the bus; the HTTP request that carried it waits for its
 * {@link Outcome}. A dead letter is stored here, in the outbox, before the request is answered,
 * so the sender counts the delivery done only once the dead letter exists. A request whose
 * payload is not a readable event reaches the bus all the same: its {@link #event()} throws the
 * {@link DecodingException}, the bus dead-letters it ({@code UNDECODABLE}) without calling the
 * handler, and the dead letter holds the salvaged stand-in event instead.
 */
final class WebhookInboundMessage implements InboundMessage {

  /** How the request is answered: 204, released (503), or 500 with the failure. */
  record Outcome(boolean released, int nextAttempt, RuntimeException failure) {
    static final Outcome DONE = new Outcome(false, 0, null);
  }

  private final Member member;
  /** The event, or for an unreadable request the stand-in its dead letter keeps. */
  private final Event event;
  /** Why the request is not an event, or {@code null}; then {@link #event()} throws it. */
  private final DecodingException unreadable;
  private final int attempt;
  private volatile int nextAttempt;
  private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

  WebhookInboundMessage(Member member, Event event, int attempt) {
    this(member, event, null, attempt);
  }

  private WebhookInboundMessage(Member member, Event event, DecodingException unreadable,
      int attempt) {
    this.member = member;
    this.event = event;
    this.unreadable = unreadable;
    this.attempt = attempt;
    this.nextAttempt = attempt;
  }

  /**
   * A request that is not a readable event.
   *
   * @param standIn what its dead letter keeps (see {@code WebhookPayloads.salvage})
   * @param why the failure {@link #event()} throws
   */
  static WebhookInboundMessage unreadable(Member member, Event standIn, DecodingException why,
      int attempt) {
    return new WebhookInboundMessage(member, standIn, why, attempt);
  }

  CompletableFuture<Outcome> outcome() {
    return outcome;
  }

  @Override
  public Event event() {
    if (unreadable != null) {
      throw unreadable;
    }
    return event;
  }

  /** Read from the field, so an unreadable request's stand-in (which has none) gives null. */
  @Override
  public String key() {
    return event.key().orElse(null);
  }

  @Override
  public int attempt() {
    return attempt;
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of("member", member.id());
  }

  @Override
  public void ack() {
    outcome.complete(Outcome.DONE);
  }

  @Override
  public void retrying(int failedAttempt, Throwable error, Duration delay) {
    nextAttempt = failedAttempt + 1;
  }

  @Override
  public void deadLetter(DeadLetterReason reason, int attempts, Throwable lastError) {
    try {
      member.deadLetter(event, reason, attempts, Errors.describe(lastError));
      outcome.complete(Outcome.DONE);
    } catch (RuntimeException e) {
      outcome.complete(new Outcome(false, 0, new IllegalStateException("Could not store the "
          + "dead letter of event " + event.id() + " (group '" + member.group() + "'); the "
          + "sender will retry", e)));
    }
  }

  @Override
  public void release() {
    outcome.complete(new Outcome(true, nextAttempt, null));
  }
}
