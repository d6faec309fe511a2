package io.relaybus;

/** Why an event was moved to the dead letters. */
public enum DeadLetterReason {
  /** The handler failed on every attempt the {@link RetryPolicy} allows. */
  RETRIES_EXHAUSTED,
  /** The handler threw an exception the {@link RetryPolicy} marks as not retryable. */
  NON_RETRYABLE,
  /** The event data could not be decoded ({@link DecodingException}); retrying cannot help. */
  UNDECODABLE
}
