package io.relaybus.spi;

/**
 * The bus's side of one group member: takes messages from the transport and runs them through
 * the handler, retries and the dead-letter decision. Thread-safe.
 */
public interface MessageSink {

  /**
   * How many more messages may be submitted now: {@code maxInFlight} minus the messages
   * submitted and not yet finished. A transport must not submit more than this; it may read a
   * bounded number of messages ahead and submit them as capacity frees up (see
   * {@link #onCapacity}), dropping them if it stops or loses their partition.
   *
   * @return zero or more
   */
  int capacity();

  /**
   * Hands a message over. Exactly one of {@link InboundMessage#ack()},
   * {@link InboundMessage#deadLetter}, or {@link InboundMessage#release()} will be called for
   * it, from any thread.
   *
   * @param message the message
   * @throws IllegalStateException when {@link #capacity()} is zero
   */
  void submit(InboundMessage message);

  /**
   * Hands several messages over at once, in order; the same as {@link #submit} for each, but a
   * sink may start them together (one handler-thread wake-up for the batch).
   *
   * @param messages the messages
   * @throws IllegalStateException when they are more than {@link #capacity()}
   */
  default void submitAll(java.util.List<? extends InboundMessage> messages) {
    for (InboundMessage m : messages) {
      submit(m);
    }
  }

  /**
   * Registers a callback run (on a bus thread, without locks held) every time a message
   * finishes and capacity frees up. Replaces an earlier callback.
   *
   * @param listener the callback; it must not block
   */
  void onCapacity(Runnable listener);
}
