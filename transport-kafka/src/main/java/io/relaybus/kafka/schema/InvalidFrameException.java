package io.relaybus.kafka.schema;

import io.relaybus.DecodingException;

/**
 * Thrown when bytes are not a valid Confluent wire-format frame: an unknown magic byte, fewer than
 * the five header bytes, or a truncated or overlong Protobuf message-index varint. The message
 * says which byte is wrong and what was expected. It is a {@link DecodingException}: the bus
 * never retries such a record, it dead-letters it with this message as the last error.
 */
public class InvalidFrameException extends DecodingException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong with the frame: the offending byte offset, expected and actual
   */
  public InvalidFrameException(String message) {
    super(message, null);
  }
}
