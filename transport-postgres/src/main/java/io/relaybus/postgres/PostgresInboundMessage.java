package io.relaybus.postgres;

import io.relaybus.DeadLetterReason;
import io.relaybus.DecodingException;
import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import io.relaybus.spi.InboundMessage;
import io.relaybus.spi.PositionTracker;
import java.time.Duration;
import java.util.Map;

/**
 * An event of a partition a member holds, handed to the delivery engine. It is its own
 * position in the partition's {@link PartitionState} tracker.
 *
 * <p>A row that breaks the envelope rules (possible for rows written with plain SQL) is handed
 * over too, holding a best-effort event salvaged from it: its {@link #event()} throws a
 * {@link DecodingException}, so the engine dead-letters it as {@code UNDECODABLE} without
 * calling the handler, and {@link #deadLetter} stores the salvaged event.
 */
final class PostgresInboundMessage extends RowPosition implements InboundMessage {
  private final GroupMember member;
  final PartitionState state;
  private final Event event;
  /** Why the row is not an event, or null for a valid one. */
  private final InvalidEventException invalid;
  private final int attempt;
  /** Set once the partition tracks it, before it is handed over. */
  PositionTracker.Entry<RowPosition> entry;

  PostgresInboundMessage(GroupMember member, PartitionState state, long txid, long seq,
      Event event, InvalidEventException invalid, int attempt) {
    super(txid, seq);
    this.member = member;
    this.state = state;
    this.event = event;
    this.invalid = invalid;
    this.attempt = attempt;
  }

  /**
   * The event.
   *
   * @throws DecodingException when the row is not a valid event
   */
  @Override
  public Event event() {
    if (invalid != null) {
      throw new DecodingException("Row seq=" + seq + " of partition " + state.partition
          + " is not a valid event", invalid);
    }
    return event;
  }

  /** Invalid rows are not held back behind their key's other events: there is no valid key. */
  @Override
  public String key() {
    return invalid != null ? null : event.key().orElse(null);
  }

  @Override
  public int attempt() {
    return attempt;
  }

  /** Built when asked: most deliveries never read it. */
  @Override
  public Map<String, String> metadata() {
    return Map.of("partition", Integer.toString(state.partition),
        "seq", Long.toString(seq), "txid", Long.toString(txid));
  }

  @Override
  public void ack() {
    member.finished(this);
  }

  @Override
  public void retrying(int failedAttempt, Throwable error, Duration delay) {
    member.retrying(this, event.id(), failedAttempt);
  }

  /** Stores the event (for an invalid row, the event salvaged from it) as a dead letter. */
  @Override
  public void deadLetter(DeadLetterReason reason, int attempts, Throwable lastError) {
    member.deadLettered(this, event, reason, attempts, lastError);
  }

  @Override
  public void release() {
    // Not finished: the cursor stays before it, so the next owner of the partition reads it
    // again. Nothing else to do.
  }
}
