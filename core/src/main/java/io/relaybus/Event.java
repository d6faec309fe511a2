package io.relaybus;

import io.relaybus.spi.TimeOrderedIds;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable event: the envelope every transport carries unchanged.
 *
 * <p>Attribute names follow CloudEvents 1.0 (without depending on its SDK): {@link #id()},
 * {@link #source()}, {@link #type()}, {@link #subject()}, {@link #time()},
 * {@link #dataContentType()} and {@link #dataSchema()}; {@link #key()} is the ordering and
 * partition key (the CloudEvents {@code partitionkey} extension); {@link #headers()} are string
 * extension attributes such as W3C {@code traceparent}; the data is opaque bytes with typed
 * views through a {@link Codec}.
 *
 * <p>{@code (source, id)} is the event's identity: consumers deduplicate on it.
 *
 * <pre>{@code
 * Event event = Event.builder()
 *     .source("/orders")
 *     .type("order.created")
 *     .key(order.customerId())
 *     .json(order)
 *     .build();
 * }</pre>
 */
public final class Event {

  /** CloudEvents context attributes; they cannot be used as header names. */
  private static final Set<String> RESERVED_HEADER_NAMES = Set.of(
      "id", "source", "specversion", "type", "subject", "time", "datacontenttype",
      "dataschema", "data", "data_base64", "partitionkey");

  private static final int MAX_ATTRIBUTE_LENGTH = 4096;

  private final String id;
  private final String source;
  private final String type;
  private final String subject;
  private final Instant time;
  private final String dataContentType;
  private final String dataSchema;
  private final String key;
  private final Map<String, String> headers;
  private final byte[] data;
  /** {@link #size()}, computed on first use; never 0 once computed (source and type count). */
  private volatile long size;

  private Event(Builder b) {
    this.id = b.id != null ? b.id : TimeOrderedIds.next();
    this.source = b.source;
    this.type = b.type;
    this.subject = b.subject;
    this.time = (b.time != null ? b.time : Instant.now()).truncatedTo(ChronoUnit.MICROS);
    this.dataContentType = b.dataContentType;
    this.dataSchema = b.dataSchema;
    this.key = b.key;
    this.headers = b.headers.isEmpty() ? Map.of() : Collections.unmodifiableMap(b.shareHeaders());
    this.data = b.data;
  }

  /** {@code base} with other headers and, when known, its size ({@code 0}: not computed). */
  private Event(Event base, Map<String, String> headers, long size) {
    this.id = base.id;
    this.source = base.source;
    this.type = base.type;
    this.subject = base.subject;
    this.time = base.time;
    this.dataContentType = base.dataContentType;
    this.dataSchema = base.dataSchema;
    this.key = base.key;
    this.headers = headers;
    this.data = base.data;
    this.size = size;
  }

  /**
   * Starts a new event.
   *
   * @return a builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a builder holding this event's attributes, to derive a modified copy.
   *
   * @return a builder initialised from this event
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.id = id;
    b.source = source;
    b.type = type;
    b.subject = subject;
    b.time = time;
    b.dataContentType = dataContentType;
    b.dataSchema = dataSchema;
    b.key = key;
    b.headers.putAll(headers);
    b.data = data;
    return b;
  }

  /**
   * A copy of this event with headers added, replacing those of the same name; the id, every
   * other attribute and the data stay this event's (the data is shared, not copied). The same
   * as adding the headers through {@link #toBuilder()}, without validating again what this
   * event already holds: what instrumentation uses to attach trace context to each event of a
   * publish.
   *
   * @param added the headers to add; see {@link Builder#header(String, String)} for the rules
   * @return the copy, or this event when {@code added} is empty
   * @throws InvalidEventException naming the first header that breaks a rule
   */
  public Event withHeaders(Map<String, String> added) {
    Objects.requireNonNull(added, "added");
    if (added.isEmpty()) {
      return this;
    }
    // Sized for both, so that adding does not rehash (capacity over size / 0.75).
    Map<String, String> merged = new LinkedHashMap<>(
        (headers.size() + added.size()) * 4 / 3 + 1);
    merged.putAll(headers);
    long s = size;
    for (Map.Entry<String, String> h : added.entrySet()) {
      String name = Objects.requireNonNull(h.getKey(), "header name");
      String value = h.getValue();
      if (value == null) {
        throw new NullPointerException("value of header " + name);
      }
      Builder.checkHeader(name, value);
      String replaced = merged.put(name, value);
      if (s != 0) {
        s += utf8Length(value) - (replaced == null ? -utf8Length(name) : utf8Length(replaced));
      }
    }
    return new Event(this, Collections.unmodifiableMap(merged), s);
  }

  /**
   * Whether a header of this name is allowed: 1-64 lower-case letters and digits (the
   * CloudEvents extension attribute rule), and not the name of a context attribute such as
   * {@code id} or {@code type}. For code that copies headers from elsewhere (a propagator's
   * fields, another system's message) and skips what an event would refuse.
   *
   * @param name a header name
   * @return whether {@link Builder#header(String, String)} accepts it
   */
  public static boolean isAllowedHeaderName(String name) {
    return name != null && hasHeaderNameForm(name) && !RESERVED_HEADER_NAMES.contains(name);
  }

  private static boolean hasHeaderNameForm(String name) {
    int n = name.length();
    if (n < 1 || n > 64) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The event id, unique per source. Defaults to a time-ordered (version 7) UUID.
   *
   * @return the id, never {@code null}
   */
  public String id() {
    return id;
  }

  /**
   * The context in which the event happened, a URI reference such as {@code /orders}.
   *
   * @return the source, never {@code null}
   */
  public String source() {
    return source;
  }

  /**
   * The kind of occurrence, such as {@code order.created}.
   *
   * @return the type, never {@code null}
   */
  public String type() {
    return type;
  }

  /**
   * The subject of the event within its source, if any.
   *
   * @return the subject
   */
  public Optional<String> subject() {
    return Optional.ofNullable(subject);
  }

  /**
   * When the occurrence happened, at microsecond precision (what every transport can store).
   * Defaults to the moment the event was built.
   *
   * @return the time, never {@code null}
   */
  public Instant time() {
    return time;
  }

  /**
   * The media type of the data, such as {@code application/json}, if set.
   *
   * @return the content type
   */
  public Optional<String> dataContentType() {
    return Optional.ofNullable(dataContentType);
  }

  /**
   * The URI of the schema the data adheres to, if set.
   *
   * @return the data schema
   */
  public Optional<String> dataSchema() {
    return Optional.ofNullable(dataSchema);
  }

  /**
   * The ordering and partition key, if set. Events with the same key are handed to handlers of
   * a group in publish order on transports that declare {@link Capability#ORDERED_BY_KEY}.
   *
   * @return the key
   */
  public Optional<String> key() {
    return Optional.ofNullable(key);
  }

  /**
   * Extension attributes (for example {@code traceparent}), in insertion order.
   *
   * @return an immutable map, empty when there are none
   */
  public Map<String, String> headers() {
    return headers;
  }

  /**
   * The data as a fresh copy of its bytes.
   *
   * @return a copy of the data; empty (never {@code null}) when the event has none
   */
  public byte[] data() {
    return data.clone();
  }

  /**
   * The data as a read-only buffer over the event's own bytes, without copying.
   *
   * @return a read-only buffer positioned at 0
   */
  public ByteBuffer dataBuffer() {
    return ByteBuffer.wrap(data).asReadOnlyBuffer();
  }

  /**
   * The number of data bytes.
   *
   * @return the data length
   */
  public int dataLength() {
    return data.length;
  }

  /**
   * The event's size, the measure a transport's maximum event size applies to (the same on
   * every transport): the data bytes plus the UTF-8 bytes of the id, source, type, subject,
   * data content type, data schema, key, and each header's name and value. The time is not
   * counted. What a transport writes is slightly larger (its own framing, the time); each
   * transport's documentation says how much it allows for that.
   *
   * @return the size in bytes
   */
  public long size() {
    long s = size;
    if (s == 0) {
      s = data.length + utf8Length(id) + utf8Length(source) + utf8Length(type)
          + utf8Length(subject) + utf8Length(dataContentType) + utf8Length(dataSchema)
          + utf8Length(key);
      for (Map.Entry<String, String> h : headers.entrySet()) {
        s += utf8Length(h.getKey()) + utf8Length(h.getValue());
      }
      size = s;
    }
    return s;
  }

  /** The UTF-8 encoded length of {@code s} (0 for {@code null}) without encoding it. */
  private static long utf8Length(String s) {
    if (s == null) {
      return 0;
    }
    int n = s.length();
    long bytes = n;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        // 2 bytes below U+0800, 3 for the rest of the BMP, a surrogate pair's 4 are 2 per char
        // (an unpaired one, encoded as the 1 byte '?', counts 2: an over-estimate, never under)
        bytes += c < 0x800 ? 1 : Character.isSurrogate(c) ? 1 : 2;
      }
    }
    return bytes;
  }

  /**
   * The data decoded as UTF-8 text.
   *
   * @return the text
   */
  public String dataAsText() {
    return new String(data, StandardCharsets.UTF_8);
  }

  /**
   * Decodes the data with a codec.
   *
   * @param codec the codec to apply
   * @param <T> the decoded type
   * @return the decoded value
   * @throws DecodingException when the bytes are not valid for the codec
   */
  public <T> T data(Codec<T> codec) {
    Objects.requireNonNull(codec, "codec");
    try {
      return codec.decode(data);
    } catch (DecodingException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new DecodingException("Cannot decode data of event " + id + " (" + dataContentType
          + ") with " + codec + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Event)) {
      return false;
    }
    Event e = (Event) o;
    return id.equals(e.id) && source.equals(e.source) && type.equals(e.type)
        && Objects.equals(subject, e.subject) && time.equals(e.time)
        && Objects.equals(dataContentType, e.dataContentType)
        && Objects.equals(dataSchema, e.dataSchema) && Objects.equals(key, e.key)
        && headers.equals(e.headers) && Arrays.equals(data, e.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, source);
  }

  /** Describes the event without its data, which may be large or sensitive. */
  @Override
  public String toString() {
    return "Event{id=" + id + ", source=" + source + ", type=" + type
        + (subject != null ? ", subject=" + subject : "")
        + (key != null ? ", key=" + key : "")
        + ", time=" + time
        + (dataContentType != null ? ", datacontenttype=" + dataContentType : "")
        + ", data=" + data.length + " bytes}";
  }

  /** Builds an {@link Event}. Not thread-safe; the built event is. */
  public static final class Builder {
    private String id;
    private String source;
    private String type;
    private String subject;
    private Instant time;
    private String dataContentType;
    private String dataSchema;
    private String key;
    private Map<String, String> headers = new LinkedHashMap<>();
    /** Whether an event built from this builder holds {@link #headers}: copy before a change. */
    private boolean headersShared;
    private byte[] data = new byte[0];

    private Builder() {}

    /**
     * Sets the id; when not set, a time-ordered UUID is generated at {@link #build()}.
     *
     * @param id the id, unique per source
     * @return this builder
     */
    public Builder id(String id) {
      this.id = id;
      return this;
    }

    /**
     * Sets the source (required), a URI reference such as {@code /orders} or
     * {@code urn:shop:orders}.
     *
     * @param source the source
     * @return this builder
     */
    public Builder source(String source) {
      this.source = source;
      return this;
    }

    /**
     * Sets the type (required), such as {@code order.created}.
     *
     * @param type the type
     * @return this builder
     */
    public Builder type(String type) {
      this.type = type;
      return this;
    }

    /**
     * Sets the subject.
     *
     * @param subject the subject, or {@code null} for none
     * @return this builder
     */
    public Builder subject(String subject) {
      this.subject = subject;
      return this;
    }

    /**
     * Sets the time of the occurrence; defaults to the moment of {@link #build()}. Stored at
     * microsecond precision.
     *
     * @param time the time, or {@code null} for now
     * @return this builder
     */
    public Builder time(Instant time) {
      this.time = time;
      return this;
    }

    /**
     * Sets the media type of the data.
     *
     * @param dataContentType the content type, or {@code null} for none
     * @return this builder
     */
    public Builder dataContentType(String dataContentType) {
      this.dataContentType = dataContentType;
      return this;
    }

    /**
     * Sets the URI of the schema the data adheres to.
     *
     * @param dataSchema an absolute or relative URI, or {@code null} for none
     * @return this builder
     */
    public Builder dataSchema(String dataSchema) {
      this.dataSchema = dataSchema;
      return this;
    }

    /**
     * Sets the ordering and partition key.
     *
     * @param key the key, or {@code null} for none
     * @return this builder
     */
    public Builder key(String key) {
      this.key = key;
      return this;
    }

    /**
     * Adds an extension attribute. Names are lower-case letters and digits (CloudEvents rule),
     * 1 to 64 characters, and cannot be a CloudEvents context attribute name. Values, like all
     * string attributes, hold at most 4096 characters and no control characters.
     *
     * @param name the header name
     * @param value the value, not {@code null}
     * @return this builder
     */
    public Builder header(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      ownHeaders().put(name, value);
      return this;
    }

    /** The headers map, copied first if an event built earlier holds it. */
    private Map<String, String> ownHeaders() {
      if (headersShared) {
        headers = new LinkedHashMap<>(headers);
        headersShared = false;
      }
      return headers;
    }

    /** The headers map for the event being built, which this builder then no longer changes. */
    private Map<String, String> shareHeaders() {
      headersShared = true;
      return headers;
    }

    /**
     * Replaces all extension attributes.
     *
     * @param headers the headers; see {@link #header(String, String)} for the rules
     * @return this builder
     */
    public Builder headers(Map<String, String> headers) {
      Objects.requireNonNull(headers, "headers");
      this.headers = new LinkedHashMap<>();
      this.headersShared = false;
      headers.forEach(this::header);
      return this;
    }

    /**
     * Sets the data bytes (copied). The content type is left as it is.
     *
     * @param data the bytes, not {@code null}
     * @return this builder
     */
    public Builder data(byte[] data) {
      Objects.requireNonNull(data, "data");
      this.data = data.clone();
      return this;
    }

    /**
     * Encodes a value with a codec and sets the content type to the codec's.
     *
     * @param value the value
     * @param codec the codec
     * @param <T> the value's type
     * @return this builder
     * @throws EncodingException when the codec cannot encode the value
     */
    public <T> Builder data(T value, Codec<T> codec) {
      Objects.requireNonNull(codec, "codec");
      byte[] encoded;
      try {
        encoded = codec.encode(value);
      } catch (EncodingException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new EncodingException("Cannot encode " + describe(value) + " with " + codec
            + ": " + e.getMessage(), e);
      }
      this.data = Objects.requireNonNull(encoded, "codec returned null");
      this.dataContentType = codec.contentType();
      return this;
    }

    /**
     * Sets UTF-8 text as data with content type {@code text/plain; charset=utf-8}.
     *
     * @param text the text, not {@code null}
     * @return this builder
     */
    public Builder text(String text) {
      Objects.requireNonNull(text, "text");
      return data(text, Codecs.text());
    }

    /**
     * Encodes a record or POJO as JSON with the default Jackson codec and sets the content type
     * to {@code application/json}.
     *
     * @param value the value
     * @return this builder
     * @throws EncodingException when the value cannot be serialised
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Builder json(Object value) {
      Class<?> type = value == null ? Object.class : value.getClass();
      Codec codec = Codecs.json((Class) type);
      return data(value, codec);
    }

    /**
     * Validates the attributes and builds the event.
     *
     * @return the event
     * @throws InvalidEventException naming the first missing or malformed attribute
     */
    public Event build() {
      requireText("source", source);
      requireText("type", type);
      if (id != null) {
        requireText("id", id);
      }
      checkLength("subject", subject);
      checkLength("key", key);
      if (key != null && key.isEmpty()) {
        throw new InvalidEventException("Event attribute 'key' must not be empty; use null for "
            + "no key");
      }
      checkLength("datacontenttype", dataContentType);
      checkLength("dataschema", dataSchema);
      requireUri("source", source);
      if (dataSchema != null) {
        requireUri("dataschema", dataSchema);
      }
      for (Map.Entry<String, String> header : headers.entrySet()) {
        checkHeader(header.getKey(), header.getValue());
      }
      return new Event(this);
    }

    private static void checkHeader(String name, String value) {
      if (!hasHeaderNameForm(name)) {
        throw new InvalidEventException("Event header name '" + abbreviate(name)
            + "' is invalid: use 1-64 lower-case letters and digits (CloudEvents extension "
            + "attribute rule)");
      }
      if (RESERVED_HEADER_NAMES.contains(name)) {
        throw new InvalidEventException("Event header name '" + name + "' is a CloudEvents "
            + "context attribute; set it through its own builder method");
      }
      if (!isPlainText(value)) { // the label is built only for the error
        checkLength("header " + name, value);
      }
    }

    /** The last URI reference that parsed; a benign race only costs a re-parse. */
    private static volatile String lastValidUri;

    private static void requireText(String attribute, String value) {
      if (value == null || value.isBlank()) {
        throw new InvalidEventException("Event attribute '" + attribute
            + "' is required and must not be blank");
      }
      checkLength(attribute, value);
    }

    /** Length limit, and the CloudEvents string rule: no control characters. */
    private static void checkLength(String attribute, String value) {
      if (value == null || isPlainText(value)) {
        return;
      }
      if (value.length() > MAX_ATTRIBUTE_LENGTH) {
        throw new InvalidEventException("Event attribute '" + attribute + "' is "
            + value.length() + " characters long; at most " + MAX_ATTRIBUTE_LENGTH
            + " are allowed");
      }
      for (int i = 0; i < value.length(); i++) {
        if (Character.isISOControl(value.charAt(i))) {
          throw new InvalidEventException("Event attribute '" + attribute + "' contains the "
              + "control character U+" + String.format("%04X", (int) value.charAt(i))
              + " at index " + i + "; CloudEvents strings must not contain U+0000-U+001F or "
              + "U+007F-U+009F");
        }
      }
    }

    /** Within the length limit and free of control characters (see checkLength). */
    private static boolean isPlainText(String value) {
      if (value.length() > MAX_ATTRIBUTE_LENGTH) {
        return false;
      }
      for (int i = 0; i < value.length(); i++) {
        if (Character.isISOControl(value.charAt(i))) {
          return false;
        }
      }
      return true;
    }

    private static void requireUri(String attribute, String value) {
      // Most events of a process share a handful of sources: skip re-parsing the last good one.
      if (value.equals(lastValidUri)) {
        return;
      }
      try {
        new URI(value);
        lastValidUri = value;
      } catch (URISyntaxException e) {
        throw new InvalidEventException("Event attribute '" + attribute
            + "' must be a URI reference, got '" + abbreviate(value) + "': " + e.getReason());
      }
    }

    private static String describe(Object value) {
      return value == null ? "null" : "a " + value.getClass().getName();
    }

    private static String abbreviate(String s) {
      return s.length() <= 64 ? s : s.substring(0, 64) + "...(" + s.length() + " chars)";
    }
  }
}
