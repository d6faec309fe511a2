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

/** The CloudEvents Kafka binary-mode mapping, header by header. */
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
}
