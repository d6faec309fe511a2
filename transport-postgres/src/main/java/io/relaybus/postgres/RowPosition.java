package io.relaybus.postgres;

/**
 * Where an event stands in its partition: partitions are read in {@code (txid, seq)} order, the
 * transaction that wrote the event and its sequence number. The positions a member tracks are
 * mostly its messages themselves ({@link PostgresInboundMessage} is one), so tracking an event
 * costs no object beyond the tracker's entry.
 */
class RowPosition {
  final long txid;
  final long seq;

  RowPosition(long txid, long seq) {
    this.txid = txid;
    this.seq = seq;
  }
}
