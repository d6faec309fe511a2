package io.relaybus.kafka.schema;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Confluent wire format for Kafka record values and keys: one magic byte {@code 0}, the schema
 * id as a 4-byte big-endian signed integer, then the serialized payload. Protobuf payloads insert
 * a message-index array between the id and the payload ({@link #decodeProtobuf(byte[])}).
 *
 * <p>All methods are static, allocation-light and thread-safe. Decoding never copies the payload:
 * it returns a read-only view over the given array.
 */
public final class WireFormat {

  /** The only magic byte defined by the format. */
  public static final byte MAGIC_BYTE = 0;

  /** Bytes before the payload: the magic byte and the 4-byte schema id. */
  public static final int HEADER_LENGTH = 5;

  /** A varint of a 32-bit value never needs more than this many bytes. */
  private static final int MAX_VARINT_BYTES = 5;

  private WireFormat() {}

  /**
   * A decoded frame: the schema id and a read-only view of the payload.
   *
   * @param schemaId the registry id of the writer's schema
   * @param payload the bytes after the header, as a read-only view over the frame (position 0 of
   *     the view is the first payload byte)
   */
  public record Frame(int schemaId, ByteBuffer payload) {
    /**
     * Validates the components.
     *
     * @param schemaId the schema id
     * @param payload the payload view, not null
     */
    public Frame {
      Objects.requireNonNull(payload, "payload");
    }

    /**
     * Copies the payload out of the frame.
     *
     * @return a new array holding the payload bytes
     */
    public byte[] payloadBytes() {
      byte[] copy = new byte[payload.remaining()];
      payload.duplicate().get(copy);
      return copy;
    }
  }

  /**
   * A decoded Protobuf frame: the schema id, the message indexes and a read-only payload view.
   *
   * @param schemaId the registry id of the writer's schema
   * @param messageIndexes the path to the message type inside the {@code .proto} file ({@code [0]}
   *     is the first top-level message; {@code [1, 2]} the third nested message of the second)
   * @param payload the Protobuf-encoded message, as a read-only view over the frame
   */
  public record ProtobufFrame(int schemaId, List<Integer> messageIndexes, ByteBuffer payload) {
    /**
     * Validates and copies the components.
     *
     * @param schemaId the schema id
     * @param messageIndexes the message indexes, not null, not empty
     * @param payload the payload view, not null
     */
    public ProtobufFrame {
      messageIndexes = List.copyOf(messageIndexes);
      Objects.requireNonNull(payload, "payload");
    }
  }

  /**
   * Encodes a frame: magic byte, big-endian schema id, payload.
   *
   * @param schemaId the registry id of the schema the payload was written with
   * @param payload the serialized value, not null (may be empty)
   * @return a new array of {@code 5 + payload.length} bytes
   */
  public static byte[] encode(int schemaId, byte[] payload) {
    Objects.requireNonNull(payload, "payload");
    byte[] frame = new byte[HEADER_LENGTH + payload.length];
    writeHeader(frame, schemaId);
    System.arraycopy(payload, 0, frame, HEADER_LENGTH, payload.length);
    return frame;
  }

  /**
   * Encodes a Protobuf frame: magic byte, schema id, message-index array, payload. The index array
   * {@code [0]} (the first message type, by far the most common) is written as the single byte
   * {@code 0}; any other array as its zig-zag varint count followed by zig-zag varint indexes.
   *
   * @param schemaId the registry id of the schema
   * @param messageIndexes the message indexes, not empty, each at least 0
   * @param payload the Protobuf-encoded message, not null
   * @return the frame
   * @throws IllegalArgumentException if the indexes are empty or negative
   */
  public static byte[] encodeProtobuf(int schemaId, List<Integer> messageIndexes, byte[] payload) {
    Objects.requireNonNull(messageIndexes, "messageIndexes");
    Objects.requireNonNull(payload, "payload");
    if (messageIndexes.isEmpty()) {
      throw new IllegalArgumentException("messageIndexes must not be empty; use [0] for the first"
          + " message type");
    }
    ByteBuffer indexes = ByteBuffer.allocate(MAX_VARINT_BYTES * (messageIndexes.size() + 1));
    if (messageIndexes.size() == 1 && messageIndexes.get(0) == 0) {
      indexes.put((byte) 0);
    } else {
      writeVarint(indexes, zigZag(messageIndexes.size()));
      for (int index : messageIndexes) {
        if (index < 0) {
          throw new IllegalArgumentException("message index " + index + " in " + messageIndexes
              + " is negative; indexes are positions of message types, 0 or more");
        }
        writeVarint(indexes, zigZag(index));
      }
    }
    indexes.flip();
    byte[] frame = new byte[HEADER_LENGTH + indexes.remaining() + payload.length];
    writeHeader(frame, schemaId);
    int offset = HEADER_LENGTH + indexes.remaining();
    indexes.get(frame, HEADER_LENGTH, indexes.remaining());
    System.arraycopy(payload, 0, frame, offset, payload.length);
    return frame;
  }

  /**
   * Decodes a JSON Schema or Avro frame (no message indexes).
   *
   * @param frame the record bytes, not null
   * @return the schema id and a read-only view of the payload
   * @throws InvalidFrameException if the frame is shorter than 5 bytes or byte 0 is not the magic
   *     byte {@code 0}
   */
  public static Frame decode(byte[] frame) {
    checkHeader(frame);
    return new Frame(schemaId(frame), view(frame, HEADER_LENGTH));
  }

  /**
   * Decodes a Protobuf frame, reading the message-index array after the schema id: either the
   * single byte {@code 0} (shortcut for {@code [0]}) or a zig-zag varint count followed by that
   * many zig-zag varint indexes.
   *
   * @param frame the record bytes, not null
   * @return the schema id, the message indexes and a read-only view of the payload
   * @throws InvalidFrameException if the header is invalid (see {@link #decode(byte[])}), a varint
   *     runs past the end of the frame or over 5 bytes, or the count or an index is negative
   */
  public static ProtobufFrame decodeProtobuf(byte[] frame) {
    checkHeader(frame);
    int[] position = {HEADER_LENGTH};
    int count = unZigZag(readVarint(frame, position, "message-index count"));
    List<Integer> indexes;
    if (count == 0) {
      indexes = List.of(0);
    } else if (count < 0) {
      throw new InvalidFrameException("Invalid Protobuf frame: message-index count at byte "
          + HEADER_LENGTH + " is " + count + "; expected 0 (shortcut for [0]) or a positive count");
    } else {
      // Every index takes at least one byte, so a count larger than what is left is corrupt.
      if (count > frame.length - position[0]) {
        throw new InvalidFrameException("Invalid Protobuf frame: message-index count " + count
            + " at byte " + HEADER_LENGTH + " needs at least " + count + " more bytes but only "
            + (frame.length - position[0]) + " remain (frame length " + frame.length + ")");
      }
      indexes = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        int at = position[0];
        int index = unZigZag(readVarint(frame, position, "message index " + i));
        if (index < 0) {
          throw new InvalidFrameException("Invalid Protobuf frame: message index " + i
              + " at byte " + at + " is " + index + "; expected 0 or more");
        }
        indexes.add(index);
      }
    }
    return new ProtobufFrame(schemaId(frame), indexes, view(frame, position[0]));
  }

  /**
   * Reads only the schema id of a frame, without looking at the payload.
   *
   * @param frame the record bytes, not null
   * @return the schema id
   * @throws InvalidFrameException if the header is invalid (see {@link #decode(byte[])})
   */
  public static int schemaId(byte[] frame) {
    checkHeader(frame);
    return ((frame[1] & 0xFF) << 24) | ((frame[2] & 0xFF) << 16) | ((frame[3] & 0xFF) << 8)
        | (frame[4] & 0xFF);
  }

  private static void writeHeader(byte[] frame, int schemaId) {
    frame[0] = MAGIC_BYTE;
    frame[1] = (byte) (schemaId >>> 24);
    frame[2] = (byte) (schemaId >>> 16);
    frame[3] = (byte) (schemaId >>> 8);
    frame[4] = (byte) schemaId;
  }

  private static void checkHeader(byte[] frame) {
    Objects.requireNonNull(frame, "frame");
    if (frame.length == 0) {
      throw new InvalidFrameException("Invalid wire-format frame: empty (0 bytes); expected at"
          + " least " + HEADER_LENGTH + " bytes: magic byte 0 and a 4-byte schema id");
    }
    if (frame[0] != MAGIC_BYTE) {
      throw new InvalidFrameException(String.format("Invalid wire-format frame: unknown magic"
          + " byte 0x%02X at byte 0; expected 0x00 (Confluent wire format)", frame[0] & 0xFF));
    }
    if (frame.length < HEADER_LENGTH) {
      throw new InvalidFrameException("Invalid wire-format frame: truncated, " + frame.length
          + " bytes; expected at least " + HEADER_LENGTH
          + " bytes (magic byte 0 and a 4-byte schema id)");
    }
  }

  private static ByteBuffer view(byte[] frame, int offset) {
    return ByteBuffer.wrap(frame, offset, frame.length - offset).slice().asReadOnlyBuffer();
  }

  private static int readVarint(byte[] frame, int[] position, String what) {
    int start = position[0];
    int result = 0;
    for (int i = 0; i < MAX_VARINT_BYTES; i++) {
      int at = start + i;
      if (at >= frame.length) {
        throw new InvalidFrameException("Invalid Protobuf frame: truncated varint for " + what
            + " starting at byte " + start + "; frame ends after " + frame.length + " bytes");
      }
      int b = frame[at] & 0xFF;
      if (i == MAX_VARINT_BYTES - 1 && (b & 0xF0) != 0) {
        throw new InvalidFrameException("Invalid Protobuf frame: overlong varint for " + what
            + " starting at byte " + start + "; more than 32 bits (byte " + at + " is "
            + String.format("0x%02X", b) + ")");
      }
      result |= (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        position[0] = at + 1;
        return result;
      }
    }
    throw new AssertionError("unreachable: the fifth varint byte either ends or is rejected");
  }

  private static void writeVarint(ByteBuffer out, int value) {
    int v = value;
    while ((v & ~0x7F) != 0) {
      out.put((byte) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }

  private static int zigZag(int n) {
    return (n << 1) ^ (n >> 31);
  }

  private static int unZigZag(int n) {
    return (n >>> 1) ^ -(n & 1);
  }
}
