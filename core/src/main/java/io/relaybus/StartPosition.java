package io.relaybus;

/** Where a consumer group that has never consumed a topic starts reading. */
public enum StartPosition {
  /** From the oldest event the transport still retains: the group sees history. */
  EARLIEST,
  /** From events published after the group is created: history is skipped. */
  LATEST
}
