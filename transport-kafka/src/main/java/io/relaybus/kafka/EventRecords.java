package io.relaybus.kafka;

import io.relaybus.Event;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
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
  static final String CONTENT_TYPE = "content-type";
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
   * Rebuilds the event of a record.
   *
   * @throws io.relaybus.InvalidEventException (or another runtime exception) when the record
   *     is not a valid CloudEvent in binary mode; a {@link io.relaybus.DecodingException} when
   *     its schema frame is bad; a schema registry exception when the registry cannot answer
   */
  static Event toEvent(ConsumerRecord<byte[], byte[]> record, SchemaFraming framing) {
    Event.Builder b = Event.builder();
    String specVersion = null;
    for (Header h : record.headers()) {
      String name = h.key();
      if (name.equals(CONTENT_TYPE)) {
        b.dataContentType(text(h));
        continue;
      }
      if (!name.startsWith(CE_PREFIX)) {
        continue;
      }
      String value = text(h);
      switch (name) {
        case CE_ID: b.id(value); break;
        case CE_SOURCE: b.source(value); break;
        case CE_TYPE: b.type(value); break;
        case CE_TIME: b.time(Instant.parse(value)); break;
        case CE_SUBJECT: b.subject(value); break;
        case CE_DATASCHEMA: b.dataSchema(value); break;
        case CE_SPECVERSION: specVersion = value; break;
        default: b.header(name.substring(CE_PREFIX.length()), value);
      }
    }
    if (specVersion == null) {
      throw new IllegalArgumentException("record is not a CloudEvent in Kafka binary mode: "
          + "header " + CE_SPECVERSION + " is missing");
    }
    if (!specVersion.equals(SPEC_VERSION)) {
      throw new IllegalArgumentException("CloudEvents spec version '" + specVersion
          + "' is not supported; expected " + SPEC_VERSION);
    }
    if (record.key() != null) {
      b.key(new String(record.key(), StandardCharsets.UTF_8));
    }
    b.data(framing.decode(record.topic(), record.value()));
    return b.build();
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
}
