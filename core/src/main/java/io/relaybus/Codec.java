package io.relaybus;

/**
 * Converts between typed values and event data bytes. Implementations must be thread-safe.
 * Built-in codecs come from {@link Codecs}.
 *
 * @param <T> the value type
 */
public interface Codec<T> {

  /**
   * Encodes a value.
   *
   * @param value the value
   * @return the bytes, never {@code null}
   * @throws EncodingException when the value cannot be encoded
   */
  byte[] encode(T value);

  /**
   * Decodes bytes.
   *
   * @param data the bytes, never {@code null}
   * @return the value
   * @throws DecodingException when the bytes are not a valid encoding
   */
  T decode(byte[] data);

  /**
   * The media type this codec writes, set as the event's {@code datacontenttype}.
   *
   * @return the content type
   */
  String contentType();
}
