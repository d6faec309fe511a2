package io.relaybus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The built-in codecs: JSON through Jackson for records and POJOs, raw bytes, and UTF-8 text.
 */
public final class Codecs {

  /** Content type written by the JSON codecs. */
  public static final String JSON = "application/json";
  /** Content type written by the text codec. */
  public static final String TEXT = "text/plain; charset=utf-8";
  /** Content type written by the bytes codec. */
  public static final String OCTET_STREAM = "application/octet-stream";

  private static final ObjectMapper DEFAULT_MAPPER = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** One default JSON codec per class, built once (publish and deliver reuse it). */
  private static final ClassValue<Codec<?>> DEFAULT_JSON = new ClassValue<>() {
    @Override
    protected Codec<?> computeValue(Class<?> type) {
      return new JsonCodec<>(DEFAULT_MAPPER, DEFAULT_MAPPER.constructType(type));
    }
  };

  private static final Codec<byte[]> BYTES = new Codec<>() {
    @Override
    public byte[] encode(byte[] value) {
      return Objects.requireNonNull(value, "value").clone();
    }

    @Override
    public byte[] decode(byte[] data) {
      return data.clone();
    }

    @Override
    public String contentType() {
      return OCTET_STREAM;
    }

    @Override
    public String toString() {
      return "Codecs.bytes()";
    }
  };

  private static final Codec<String> TEXT_CODEC = new Codec<>() {
    @Override
    public byte[] encode(String value) {
      return Objects.requireNonNull(value, "value").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(byte[] data) {
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(data))
            .toString();
      } catch (CharacterCodingException e) {
        throw new DecodingException("Event data is not valid UTF-8 text", e);
      }
    }

    @Override
    public String contentType() {
      return TEXT;
    }

    @Override
    public String toString() {
      return "Codecs.text()";
    }
  };

  private Codecs() {}

  /**
   * Raw bytes, copied in both directions; content type {@code application/octet-stream}.
   *
   * @return the codec
   */
  public static Codec<byte[]> bytes() {
    return BYTES;
  }

  /**
   * UTF-8 text; decoding rejects malformed UTF-8. Content type
   * {@code text/plain; charset=utf-8}.
   *
   * @return the codec
   */
  public static Codec<String> text() {
    return TEXT_CODEC;
  }

  /**
   * JSON through Relaybus's default Jackson mapper: records and POJOs, {@code java.time} types
   * as ISO-8601 strings, unknown properties ignored when reading (so a consumer may read with a
   * narrower type than the writer's).
   *
   * @param type the value type
   * @param <T> the value type
   * @return the codec
   */
  @SuppressWarnings("unchecked")
  public static <T> Codec<T> json(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return (Codec<T>) DEFAULT_JSON.get(type);
  }

  /**
   * JSON through the caller's Jackson mapper.
   *
   * @param mapper the mapper; must not be reconfigured after this call
   * @param type the value type
   * @param <T> the value type
   * @return the codec
   */
  public static <T> Codec<T> json(ObjectMapper mapper, Class<T> type) {
    Objects.requireNonNull(mapper, "mapper");
    Objects.requireNonNull(type, "type");
    return new JsonCodec<>(mapper, mapper.constructType(type));
  }

  /**
   * Returns the codec {@link Delivery#data(Class)} uses for a target type and content type:
   * {@code byte[]} gets raw bytes, {@code String} gets UTF-8 text unless the content type is
   * JSON (then a JSON string), and any other type gets JSON (also when no content type is
   * set).
   *
   * @param type the target type
   * @param contentType the event's content type, or {@code null}
   * @param <T> the target type
   * @return the codec
   * @throws DecodingException when the content type is neither JSON nor absent for a type that
   *     needs JSON
   */
  @SuppressWarnings("unchecked")
  public static <T> Codec<T> forType(Class<T> type, String contentType) {
    Objects.requireNonNull(type, "type");
    if (type == byte[].class) {
      return (Codec<T>) BYTES;
    }
    boolean json = contentType == null || isJson(contentType);
    if (type == String.class && (contentType == null || !json)) {
      return (Codec<T>) TEXT_CODEC;
    }
    if (!json) {
      throw new DecodingException("Cannot decode content type '" + contentType + "' into "
          + type.getName() + ": only JSON (application/json, *+json) decodes into objects; "
          + "read it as byte[] or String, or pass a Codec", null);
    }
    return json(type);
  }

  /**
   * Tells whether a content type is JSON: {@code application/json} or any {@code +json}
   * suffix, parameters ignored.
   *
   * @param contentType the content type
   * @return {@code true} for JSON media types
   */
  public static boolean isJson(String contentType) {
    String base = contentType;
    int semi = base.indexOf(';');
    if (semi >= 0) {
      base = base.substring(0, semi);
    }
    base = base.trim().toLowerCase(java.util.Locale.ROOT);
    return base.equals(JSON) || base.endsWith("+json");
  }

  private static final class JsonCodec<T> implements Codec<T> {
    private final ObjectMapper mapper;
    private final JavaType type;

    JsonCodec(ObjectMapper mapper, JavaType type) {
      this.mapper = mapper;
      this.type = type;
    }

    @Override
    public byte[] encode(T value) {
      try {
        return mapper.writeValueAsBytes(value);
      } catch (JsonProcessingException e) {
        throw new EncodingException("Cannot encode " + (value == null ? "null"
            : value.getClass().getName()) + " as JSON: " + e.getOriginalMessage(), e);
      }
    }

    @Override
    public T decode(byte[] data) {
      try {
        return mapper.readValue(data, type);
      } catch (IOException e) {
        throw new DecodingException("Cannot decode JSON into " + type.toCanonical() + ": "
            + e.getMessage(), e);
      }
    }

    @Override
    public String contentType() {
      return JSON;
    }

    @Override
    public String toString() {
      return "Codecs.json(" + type.toCanonical() + ")";
    }
  }
}
