package io.relaybus.kafka;

import io.relaybus.DecodingException;
import io.relaybus.Event;
import io.relaybus.spi.CloudEventsJson;
import io.relaybus.spi.TraceContextHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Month;
import java.time.Year;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The one place where an {@link Event} becomes a Kafka record and back: CloudEvents Kafka
 * protocol binding, binary content mode. Attributes travel as {@code ce_*} headers,
 * {@code datacontenttype} as {@code content-type}, extensions as {@code ce_<name>}, the key as
 * the record key (the CloudEvents {@code partitionkey} mapping), the data as the record value.
 * Schema-ID framing and validation happen here too, through {@link SchemaFraming}.
 *
 * <p>Records of other producers are read as well: binary mode with {@code ce_datacontenttype}
 * (when there is no {@code content-type}) and {@code ce_partitionkey} (the key when the record
 * has none), and structured mode through {@link CloudEventsJson}.
 *
 * <p>Trace context: the event headers {@code traceparent} and {@code tracestate} (W3C) are
 * written twice, as {@code ce_traceparent}/{@code ce_tracestate} like every extension, and as
 * plain {@code traceparent}/{@code tracestate}, the record headers that the OpenTelemetry Kafka
 * instrumentation and other Kafka tools read and write. Reading, the {@code ce_} pair wins: it
 * is the event's own, while a Kafka client instrumentation in the producing process may have
 * replaced the plain pair with its own send span. A record with only the plain pair (from a
 * producer that is not Relaybus) carries it into the event's headers.
 */
final class EventRecords {

  static final String SPEC_VERSION = "1.0";
  static final String CE_PREFIX = "ce_";
  static final String CE_ID = "ce_id";
  static final String CE_SOURCE = "ce_source";
  static final String CE_TYPE = "ce_type";
  static final String CE_SPECVERSION = "ce_specversion";
  static final String CE_TIME = "ce_time";
  static final String CE_SUBJECT = "ce_subject";
  static final String CE_DATASCHEMA = "ce_dataschema";
  /** Written by SDKs that send the attribute as a header besides (or instead of) content-type. */
  static final String CE_DATACONTENTTYPE = "ce_datacontenttype";
  /** The CloudEvents partitioning extension; the record key wins when both are present. */
  static final String CE_PARTITIONKEY = "ce_partitionkey";
  static final String CONTENT_TYPE = "content-type";
  /** W3C trace context, also written as plain record headers (see the class comment). */
  static final String TRACEPARENT = TraceContextHeaders.TRACEPARENT;
  static final String TRACESTATE = TraceContextHeaders.TRACESTATE;
  static final String CE_TRACEPARENT = CE_PREFIX + TRACEPARENT;
  /** Set on replayed dead letters: only this group handles the record; others skip it. */
  static final String REPLAY_GROUP = "relaybus_replay_group";

  private EventRecords() {}

  /**
   * Builds the record of an event; {@code extra} headers are appended (may be null). The value
   * is the data, framed and validated by {@code framing} when schemas are on.
   */
  static ProducerRecord<byte[], byte[]> toRecord(String topic, Event event, Headers extra,
      SchemaFraming framing) {
    RecordHeaders headers = new RecordHeaders();
    put(headers, CE_SPECVERSION, SPEC_VERSION);
    put(headers, CE_ID, event.id());
    put(headers, CE_SOURCE, event.source());
    put(headers, CE_TYPE, event.type());
    put(headers, CE_TIME, event.time().toString());
    event.subject().ifPresent(v -> put(headers, CE_SUBJECT, v));
    event.dataSchema().ifPresent(v -> put(headers, CE_DATASCHEMA, v));
    event.dataContentType().ifPresent(v -> put(headers, CONTENT_TYPE, v));
    for (Map.Entry<String, String> h : event.headers().entrySet()) {
      put(headers, CE_PREFIX + h.getKey(), h.getValue());
      if (h.getKey().equals(TRACEPARENT) || h.getKey().equals(TRACESTATE)) {
        put(headers, h.getKey(), h.getValue());
      }
    }
    if (extra != null) {
      for (Header h : extra) {
        headers.add(h);
      }
    }
    byte[] key = event.key().map(k -> k.getBytes(StandardCharsets.UTF_8)).orElse(null);
    byte[] value = framing.encode(topic, event);
    return new ProducerRecord<>(topic, null, key, value, headers);
  }

  /**
   * The key of the event of a record without a record key: in binary mode its
   * {@code ce_partitionkey} header, or {@code null}; in structured mode (no
   * {@code ce_specversion}, a structured {@code content-type}) the key is inside the JSON, so
   * {@code structuredKey} answers.
   */
  static String keyWithoutRecordKey(ConsumerRecord<byte[], byte[]> record,
      Supplier<String> structuredKey) {
    String partitionKey = null;
    boolean binary = false;
    Header contentType = null;
    for (Header h : record.headers()) {
      String name = h.key();
      if (name.equals(CE_PARTITIONKEY)) {
        partitionKey = text(h);
      } else if (name.equals(CE_SPECVERSION)) {
        binary = true;
      } else if (name.equals(CONTENT_TYPE)) {
        contentType = h;
      }
    }
    if (!binary && contentType != null
        && CloudEventsJson.isStructured(text(contentType))) {
      return structuredKey.get();
    }
    return partitionKey;
  }

  /**
   * The data of a record's value: the value unframed by {@code framing} (as is when schemas
   * are off). A structured-mode CloudEvent carries its data inside its JSON and no schema id,
   * so with {@code validate-on-consume} it cannot be checked and is refused; the check costs
   * one header lookup, and only when values are unframed.
   *
   * @throws io.relaybus.DecodingException when the value is no valid frame or payload, or is a
   *     structured-mode CloudEvent while values must be framed
   * @throws io.relaybus.kafka.schema.SchemaRegistryException when the registry cannot answer
   */
  static byte[] data(ConsumerRecord<byte[], byte[]> record, SchemaFraming framing) {
    if (framing.framesOnConsume() && record.headers().lastHeader(CE_SPECVERSION) == null) {
      Header contentType = record.headers().lastHeader(CONTENT_TYPE);
      if (contentType != null && CloudEventsJson.isStructured(text(contentType))) {
        throw new DecodingException("Kafka record " + record.topic() + "-"
            + record.partition() + "@" + record.offset() + " is a structured-mode CloudEvent ("
            + text(contentType) + "), which carries no schema id; with "
            + KafkaSettings.VALIDATE_ON_CONSUME + "=true only schema-framed values are read", null);
      }
    }
    return framing.decode(record.topic(), record.value());
  }

  /**
   * Rebuilds the event of a record: binary mode (a {@code ce_specversion} header), or else
   * structured mode ({@code content-type: application/cloudevents+json}, read by
   * {@link CloudEventsJson}; see {@link #data} for schema framing).
   *
   * @throws io.relaybus.InvalidEventException (or another runtime exception) when the record
   *     is not a valid CloudEvent in binary or structured mode; a {@link io.relaybus.DecodingException} when
   *     its schema frame is bad; a schema registry exception when the registry cannot answer
   */
  static Event toEvent(ConsumerRecord<byte[], byte[]> record, SchemaFraming framing) {
    return toEvent(record, data(record, framing), null);
  }

  /**
   * Rebuilds the event of a record whose value was already unframed into {@code data} (unused
   * for a structured-mode record),
   * reusing the texts of repeated header values from {@code texts} (may be null).
   *
   * @see #toEvent(ConsumerRecord, SchemaFraming)
   */
  static Event toEvent(ConsumerRecord<byte[], byte[]> record, byte[] data, HeaderTexts texts) {
    Event.Builder b = Event.builder();
    String specVersion = null;
    String contentType = null;
    String ceContentType = null;
    String partitionKey = null;
    String traceparent = null;
    String plainTraceparent = null;
    String plainTracestate = null;
    for (Header h : record.headers()) {
      String name = h.key();
      if (name.equals(CONTENT_TYPE)) {
        contentType = text(h, texts);
        continue;
      }
      if (!name.startsWith(CE_PREFIX)) {
        if (name.equals(TRACEPARENT)) {
          plainTraceparent = text(h);
        } else if (name.equals(TRACESTATE)) {
          plainTracestate = text(h);
        }
        continue;
      }
      if (name.equals(CE_TRACEPARENT)) {
        traceparent = text(h);
      }
      switch (name) {
        case CE_ID: b.id(text(h)); break; // unique per event: nothing to reuse
        case CE_TIME: b.time(parseTime(text(h))); break;
        case CE_SOURCE: b.source(text(h, texts)); break;
        case CE_TYPE: b.type(text(h, texts)); break;
        case CE_SUBJECT: b.subject(text(h, texts)); break;
        case CE_DATASCHEMA: b.dataSchema(text(h, texts)); break;
        case CE_SPECVERSION: specVersion = text(h, texts); break;
        case CE_DATACONTENTTYPE: ceContentType = text(h, texts); break;
        case CE_PARTITIONKEY: partitionKey = text(h); break;
        default: b.header(name.substring(CE_PREFIX.length()), text(h, texts));
      }
    }
    if (specVersion == null) {
      if (CloudEventsJson.isStructured(contentType)) {
        Event structured = CloudEventsJson.read(record.value(), record.key() == null ? null
            : new String(record.key(), StandardCharsets.UTF_8));
        if (!TraceContextHeaders.isTraceparent(plainTraceparent)
            || structured.headers().containsKey(TRACEPARENT)) {
          return structured;
        }
        Event.Builder traced = structured.toBuilder();
        withPlainTraceContext(traced, plainTraceparent, plainTracestate);
        return traced.build();
      }
      throw new IllegalArgumentException("record is not a CloudEvent in Kafka binary mode: "
          + "header " + CE_SPECVERSION + " is missing"
          + (contentType == null ? "" : ", and content-type '" + contentType
              + "' is not structured mode (" + CloudEventsJson.MEDIA_TYPE + ")"));
    }
    if (contentType != null) {
      b.dataContentType(contentType);
    } else if (ceContentType != null) {
      b.dataContentType(ceContentType);
    }
    if (!specVersion.equals(SPEC_VERSION)) {
      throw new IllegalArgumentException("CloudEvents spec version '" + specVersion
          + "' is not supported; expected " + SPEC_VERSION);
    }
    if (record.key() != null) {
      b.key(new String(record.key(), StandardCharsets.UTF_8));
    } else if (partitionKey != null) {
      b.key(partitionKey);
    }
    if (traceparent == null && TraceContextHeaders.isTraceparent(plainTraceparent)) {
      withPlainTraceContext(b, plainTraceparent, plainTracestate);
    }
    b.data(data);
    return b.build();
  }

  /**
   * The plain trace headers of a record whose event carries no trace context of its own; the
   * caller checked the traceparent's form.
   */
  private static void withPlainTraceContext(Event.Builder b, String traceparent,
      String tracestate) {
    b.header(TRACEPARENT, traceparent);
    if (TraceContextHeaders.isTracestate(tracestate)) {
      b.header(TRACESTATE, tracestate);
    }
  }

  static String header(ConsumerRecord<?, ?> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null ? null : text(h);
  }

  static void put(Headers headers, String name, String value) {
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }

  private static String text(Header h) {
    return h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static String text(Header h, HeaderTexts texts) {
    byte[] value = h.value();
    if (value == null) {
      return "";
    }
    return texts == null ? new String(value, StandardCharsets.UTF_8) : texts.text(h.key(), value);
  }

  /**
   * Parses an RFC 3339 time. The form this transport writes ({@link Instant#toString()}:
   * {@code 2026-11-26T08:15:30.123456Z}) is read directly, several times faster than
   * {@link Instant#parse}, which reads every other form (and reports every malformed one).
   *
   * @throws java.time.format.DateTimeParseException when the text is not a time
   */
  static Instant parseTime(String text) {
    int n = text.length();
    if (n >= 20 && text.charAt(n - 1) == 'Z' && text.charAt(4) == '-'
        && text.charAt(7) == '-' && text.charAt(10) == 'T' && text.charAt(13) == ':'
        && text.charAt(16) == ':') {
      int year = digits(text, 0, 4);
      int month = digits(text, 5, 7);
      int day = digits(text, 8, 10);
      int hour = digits(text, 11, 13);
      int minute = digits(text, 14, 16);
      int second = digits(text, 17, 19);
      int nanos = 0;
      boolean fraction = n == 20;
      if (!fraction && text.charAt(19) == '.' && n >= 22 && n <= 30) {
        nanos = digits(text, 20, n - 1);
        for (int i = n - 21; i < 9; i++) {
          nanos *= 10;
        }
        fraction = nanos >= 0;
      }
      if (fraction && year >= 0 && month >= 1 && month <= 12 && day >= 1 && hour >= 0
          && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59
          && day <= Month.of(month).length(Year.isLeap(year))) {
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600 + minute * 60 + second,
            nanos);
      }
    }
    return Instant.parse(text);
  }

  /** The decimal number in {@code text[from, to)}, or -1 when a character is not a digit. */
  private static int digits(String text, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /**
   * The last text of each header name, so that the values most records repeat (source, type,
   * content type, spec version, extensions such as a tenant) are decoded once and shared
   * instead of decoded into a new string per record. Not thread-safe: one per thread (each
   * handler thread decoding events has its own); at most {@value #MAX_NAMES} names are
   * remembered.
   */
  static final class HeaderTexts {
    private static final int MAX_NAMES = 64;
    private final Map<String, Known> last = new HashMap<>();

    String text(String name, byte[] value) {
      Known known = last.get(name);
      if (known != null && Arrays.equals(known.bytes, value)) {
        return known.text;
      }
      String text = new String(value, StandardCharsets.UTF_8);
      if (known != null) {
        known.bytes = value;
        known.text = text;
      } else if (last.size() < MAX_NAMES) {
        last.put(name, new Known(value, text));
      }
      return text;
    }

    private static final class Known {
      byte[] bytes;
      String text;

      Known(byte[] bytes, String text) {
        this.bytes = bytes;
        this.text = text;
      }
    }
  }
}
