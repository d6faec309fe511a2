package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.Event;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** The CloudEvents Kafka binding, binary mode header by header, and structured mode. */
class EventRecordsTest {

  private static String header(ProducerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static ConsumerRecord<byte[], byte[]> received(ProducerRecord<byte[], byte[]> r) {
    return new ConsumerRecord<>(r.topic(), 0, 0L, 0L, TimestampType.CREATE_TIME, -1, -1,
        r.key(), r.value(), r.headers(), Optional.empty());
  }

  @Test
  void attributesBecomeCloudEventsBinaryModeHeaders() {
    Event e = Event.builder().id("e-1").source("urn:shop").type("order.created")
        .subject("orders/1").time(Instant.parse("2024-01-02T03:04:05.123456Z"))
        .dataContentType("application/json").dataSchema("https://s.example/order.json")
        .key("customer-1").header("traceparent", "00-abc-def-01")
        .data("{}".getBytes(StandardCharsets.UTF_8)).build();
    ProducerRecord<byte[], byte[]> r =
        EventRecords.toRecord("orders", e, null, SchemaFraming.NONE);

    assertThat(header(r, "ce_specversion")).isEqualTo("1.0");
    assertThat(header(r, "ce_id")).isEqualTo("e-1");
    assertThat(header(r, "ce_source")).isEqualTo("urn:shop");
    assertThat(header(r, "ce_type")).isEqualTo("order.created");
    assertThat(header(r, "ce_subject")).isEqualTo("orders/1");
    assertThat(header(r, "ce_time")).isEqualTo("2024-01-02T03:04:05.123456Z");
    assertThat(header(r, "ce_dataschema")).isEqualTo("https://s.example/order.json");
    assertThat(header(r, "content-type")).isEqualTo("application/json");
    assertThat(header(r, "ce_traceparent")).isEqualTo("00-abc-def-01");
    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("customer-1");
    assertThat(r.value()).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));
    assertThat(r.partition()).as("the partitioner decides, from the key").isNull();

    assertThat(EventRecords.toEvent(received(r), SchemaFraming.NONE)).isEqualTo(e);
  }

  @Test
  void noKeyMeansNoRecordKeyAndEmptyDataMeansNullValue() {
    Event e = Event.builder().source("urn:x").type("t").build();
    ProducerRecord<byte[], byte[]> r =
        EventRecords.toRecord("t", e, null, SchemaFraming.NONE);
    assertThat(r.key()).isNull();
    assertThat(r.value()).isNull();
    assertThat(header(r, "ce_subject")).isNull();
    assertThat(header(r, "content-type")).isNull();
    assertThat(EventRecords.toEvent(received(r), SchemaFraming.NONE)).isEqualTo(e);
  }

  @Test
  void foreignHeadersAreIgnoredAndMissingSpecVersionIsRefused() {
    Event e = Event.builder().source("urn:x").type("t").build();
    ProducerRecord<byte[], byte[]> r =
        EventRecords.toRecord("t", e, null, SchemaFraming.NONE);
    r.headers().add("x-other-system", "v".getBytes(StandardCharsets.UTF_8));
    assertThat(EventRecords.toEvent(received(r), SchemaFraming.NONE)).isEqualTo(e);

    RecordHeaders bare = new RecordHeaders();
    bare.add("ce_id", "1".getBytes(StandardCharsets.UTF_8));
    ConsumerRecord<byte[], byte[]> plain = new ConsumerRecord<>("t", 0, 0L, 0L,
        TimestampType.CREATE_TIME, -1, -1, null, "x".getBytes(StandardCharsets.UTF_8), bare,
        Optional.empty());
    assertThatThrownBy(() -> EventRecords.toEvent(plain, SchemaFraming.NONE))
        .hasMessageContaining("ce_specversion");
  }

  @Test
  void timesReadTheSameAsInstantParse() {
    java.util.Random random = new java.util.Random(42);
    List<String> texts = new ArrayList<>(List.of("1970-01-01T00:00:00Z",
        "2024-02-29T23:59:59.999999999Z", "2000-02-29T12:00:00.5Z", "1999-12-31T23:59:59.1Z",
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.123Z", "2026-11-26T08:15:30.123456Z",
        "2026-11-26T08:15:30+01:00", "2026-11-26T08:15:30.1-05:30", "+10000-01-01T00:00:00Z",
        // lenient forms Instant.parse accepts, read the same way
        "2024-01-01T24:00:00Z", "2024-01-01T00:00:00.Z", "2024-01-01T23:59:60Z"));
    for (int i = 0; i < 2_000; i++) {
      Instant t = Instant.ofEpochSecond(random.nextInt(Integer.MAX_VALUE) * 3L,
          random.nextInt(1_000_000_000)).truncatedTo(List.of(ChronoUnit.SECONDS,
              ChronoUnit.MILLIS, ChronoUnit.MICROS, ChronoUnit.NANOS).get(i % 4));
      texts.add(t.toString());
    }
    for (String text : texts) {
      assertThat(EventRecords.parseTime(text)).as(text).isEqualTo(Instant.parse(text));
    }
  }

  @Test
  void malformedTimesAreRefusedLikeInstantParse() {
    for (String text : List.of("2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
        "2024-01-01T00:60:00Z", "2024-01-01T00:00:00.1234567890Z", "2024-01-0xT00:00:00Z", "2024-01-01 00:00:00Z",
        "2024-01-01T00:00:00", "yesterday", "")) {
      assertThatThrownBy(() -> Instant.parse(text)).as(text)
          .isInstanceOf(DateTimeParseException.class);
      assertThatThrownBy(() -> EventRecords.parseTime(text)).as(text)
          .isInstanceOf(DateTimeParseException.class);
    }
  }

  @Test
  void repeatedHeaderValuesShareOneTextAndChangedOnesAreReadAgain() {
    EventRecords.HeaderTexts texts = new EventRecords.HeaderTexts();
    List<Event> decoded = new ArrayList<>();
    for (String source : List.of("urn:a", "urn:a", "urn:b", "urn:a")) {
      Event e = Event.builder().source(source).type("t").header("tenant", "acme")
          .data("{}".getBytes(StandardCharsets.UTF_8)).build();
      ConsumerRecord<byte[], byte[]> r =
          received(EventRecords.toRecord("t", e, null, SchemaFraming.NONE));
      Event back = EventRecords.toEvent(r, r.value(), texts);
      assertThat(back).isEqualTo(e);
      decoded.add(back);
    }
    assertThat(decoded.get(1).source()).isSameAs(decoded.get(0).source());
    assertThat(decoded.get(2).source()).isEqualTo("urn:b");
    assertThat(decoded.get(3).source()).isEqualTo("urn:a");
    assertThat(decoded.get(3).headers().get("tenant"))
        .isSameAs(decoded.get(0).headers().get("tenant"));
  }

  private static ConsumerRecord<byte[], byte[]> structured(String contentType, String json,
      String key) {
    RecordHeaders headers = new RecordHeaders();
    headers.add("content-type", contentType.getBytes(StandardCharsets.UTF_8));
    return new ConsumerRecord<>("orders", 2, 7L, 0L, TimestampType.CREATE_TIME, -1, -1,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        json.getBytes(StandardCharsets.UTF_8), headers, Optional.empty());
  }

  @Test
  void structuredModeReadsEveryAttributeExtensionsAndThePartitionKey() {
    Event e = EventRecords.toEvent(structured("application/cloudevents+json; charset=UTF-8", """
        {"specversion":"1.0","id":"e-1","source":"urn:s","type":"t","subject":"sub",
         "time":"2026-12-06T08:15:30+01:00","dataschema":"urn:schema",
         "datacontenttype":"text/plain","data":"hello","partitionkey":"pk",
         "tenant":"acme","priority":5,"urgent":true,"comment":null}
        """, null), SchemaFraming.NONE);
    assertThat(e.id()).isEqualTo("e-1");
    assertThat(e.source()).isEqualTo("urn:s");
    assertThat(e.type()).isEqualTo("t");
    assertThat(e.subject()).contains("sub");
    assertThat(e.time()).isEqualTo(Instant.parse("2026-12-06T07:15:30Z"));
    assertThat(e.dataSchema()).contains("urn:schema");
    assertThat(e.dataContentType()).contains("text/plain");
    assertThat(e.dataAsText()).isEqualTo("hello");
    assertThat(e.key()).contains("pk");
    assertThat(e.headers()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(
        "tenant", "acme", "priority", "5", "urgent", "true"));
  }

  @Test
  void structuredModeDataIsJsonTextOrBase64AndTheRecordKeyWins() {
    Event json = EventRecords.toEvent(structured("application/cloudevents+json", """
        {"specversion":"1.0","id":"e-2","source":"urn:s","type":"t","data":{"a":[1,"x"]},
         "partitionkey":"pk"}
        """, "record-key"), SchemaFraming.NONE);
    assertThat(json.dataAsText()).isEqualTo("{\"a\":[1,\"x\"]}");
    assertThat(json.dataContentType()).isEmpty();
    assertThat(json.key()).contains("record-key");

    Event jsonString = EventRecords.toEvent(structured("application/cloudevents+json", """
        {"specversion":"1.0","id":"e-3","source":"urn:s","type":"t",
         "datacontenttype":"application/json","data":"quoted"}
        """, null), SchemaFraming.NONE);
    assertThat(jsonString.dataAsText()).isEqualTo("\"quoted\"");

    Event bytes = EventRecords.toEvent(structured("Application/CloudEvents+JSON", """
        {"specversion":"1.0","id":"e-4","source":"urn:s","type":"t",
         "datacontenttype":"application/octet-stream","data_base64":"AAH/"}
        """, null), SchemaFraming.NONE);
    assertThat(bytes.data()).containsExactly(0, 1, 0xff);
    assertThat(bytes.key()).isEmpty();
  }

  @Test
  void structuredModeErrorsNameWhatIsMissingOrWrong() {
    assertThatThrownBy(() -> EventRecords.toEvent(structured("application/cloudevents+json",
        "{\"specversion\":\"1.0\",\"source\":\"urn:s\",\"type\":\"t\"}", null),
        SchemaFraming.NONE)).hasMessageContaining("has no 'id'");
    assertThatThrownBy(() -> EventRecords.toEvent(structured("application/cloudevents+json",
        "{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"urn:s\",\"type\":\"t\"}",
        null), SchemaFraming.NONE)).hasMessageContaining("'0.3' is not supported");
    assertThatThrownBy(() -> EventRecords.toEvent(structured("application/cloudevents+json",
        "[1]", null), SchemaFraming.NONE)).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> EventRecords.toEvent(structured("application/json", "{}", null),
        SchemaFraming.NONE)).hasMessageContaining("ce_specversion")
        .hasMessageContaining("content-type 'application/json' is not structured mode");
    // A media type that only begins like the structured one is not it.
    assertThatThrownBy(() -> EventRecords.toEvent(structured(
        "application/cloudevents+jsonx", "{}", null), SchemaFraming.NONE))
        .hasMessageContaining("is not structured mode");
  }

  @Test
  void structuredModeIsRefusedWhenValuesMustBeSchemaFramed() {
    SchemaFraming validating = new SchemaFraming(null, null, false, true,
        KafkaSettings.SubjectStrategy.TOPIC, null);
    assertThatThrownBy(() -> EventRecords.data(structured("application/cloudevents+json",
        "{}", null), validating))
        .isInstanceOf(io.relaybus.DecodingException.class)
        .hasMessage("Kafka record orders-2@7 is a structured-mode CloudEvent "
            + "(application/cloudevents+json), which carries no schema id; with "
            + "relaybus.kafka.schema.validate-on-consume=true only schema-framed values are read");
  }

  @Test
  void binaryModeCeDatacontenttypeAndCePartitionkeyFillTheEnvelope() {
    RecordHeaders h = new RecordHeaders();
    for (String[] kv : new String[][] {{"ce_specversion", "1.0"}, {"ce_id", "1"},
        {"ce_source", "urn:s"}, {"ce_type", "t"}, {"ce_datacontenttype", "text/csv"},
        {"ce_partitionkey", "pk"}, {"ce_tenant", "acme"}}) {
      h.add(kv[0], kv[1].getBytes(StandardCharsets.UTF_8));
    }
    ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("t", 0, 0L, 0L,
        TimestampType.CREATE_TIME, -1, -1, null, "a,b".getBytes(StandardCharsets.UTF_8), h,
        Optional.empty());
    Event e = EventRecords.toEvent(r, SchemaFraming.NONE);
    assertThat(e.dataContentType()).contains("text/csv");
    assertThat(e.key()).contains("pk");
    assertThat(e.headers()).containsExactly(java.util.Map.entry("tenant", "acme"));

    h.add("content-type", "text/plain".getBytes(StandardCharsets.UTF_8));
    ConsumerRecord<byte[], byte[]> keyed = new ConsumerRecord<>("t", 0, 0L, 0L,
        TimestampType.CREATE_TIME, -1, -1, "k".getBytes(StandardCharsets.UTF_8),
        "a,b".getBytes(StandardCharsets.UTF_8), h, Optional.empty());
    Event both = EventRecords.toEvent(keyed, SchemaFraming.NONE);
    assertThat(both.dataContentType()).contains("text/plain");
    assertThat(both.key()).contains("k");
  }

  @Test
  void orderingKeyOfARecordWithoutKeyIsThePartitionKeyHeaderOrTheStructuredEventsKey() {
    Event keyless = Event.builder().source("urn:s").type("t").text("x").build();
    assertThat(EventRecords.keyWithoutRecordKey(
        received(EventRecords.toRecord("t", keyless, null, SchemaFraming.NONE)),
        () -> "not asked")).isNull();

    RecordHeaders h = new RecordHeaders();
    h.add("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8));
    h.add("ce_partitionkey", "pk".getBytes(StandardCharsets.UTF_8));
    assertThat(EventRecords.keyWithoutRecordKey(new ConsumerRecord<>("t", 0, 0L, 0L,
        TimestampType.CREATE_TIME, -1, -1, null, new byte[0], h, Optional.empty()),
        () -> "not asked")).isEqualTo("pk");

    assertThat(EventRecords.keyWithoutRecordKey(structured("application/cloudevents+json",
        "{}", null), () -> "from the JSON")).isEqualTo("from the JSON");
  }
}
