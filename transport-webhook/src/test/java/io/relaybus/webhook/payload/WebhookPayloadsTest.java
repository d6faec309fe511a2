package io.relaybus.webhook.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.Event;
import io.relaybus.InvalidNameException;
import io.relaybus.webhook.signature.WebhookHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class WebhookPayloadsTest {

  static final ObjectMapper MAPPER = new ObjectMapper();

  static Event.Builder full() {
    return Event.builder()
        .id("0192f3a4-1111-7000-8000-000000000001")
        .source("/orders")
        .type("order.created")
        .subject("order/42 — ünïcødé 🚀 \"quoted\" 100%")
        .time(Instant.parse("2026-11-26T05:43:17.123456Z"))
        .dataSchema("https://example.com/schemas/order.json")
        .key("customer-7")
        .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        .header("tenant", "ß and spaces");
  }

  @ParameterizedTest
  @EnumSource(PayloadFormat.class)
  void jsonDataRoundTrips(PayloadFormat format) {
    Event event = full().dataContentType("application/json")
        .data("{\"id\":42,\"name\":\"Zoë 🚀\",\"items\":[1,2.50,{\"x\":null}],\"ok\":true}"
            .getBytes(StandardCharsets.UTF_8)).build();
    assertRoundTrip(format, event);
  }

  @ParameterizedTest
  @EnumSource(PayloadFormat.class)
  void prettyPrintedAndScalarJsonKeepItsExactBytes(PayloadFormat format) {
    for (String json : List.of("{\n  \"a\" : 1,\n  \"b\" : [ 1, 2 ]\n}", "42", "-1.5e10",
        "\"a string\"", "true", "null", "[]", "{}")) {
      assertRoundTrip(format, full().dataContentType("application/json")
          .data(json.getBytes(StandardCharsets.UTF_8)).build());
    }
  }

  @ParameterizedTest
  @EnumSource(PayloadFormat.class)
  void textBinaryEmptyAndUntypedDataRoundTrip(PayloadFormat format) {
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    assertRoundTrip(format, full().text("plain text — ünïcødé 🚀 {not json").build());
    assertRoundTrip(format, full().dataContentType("application/octet-stream").data(binary)
        .build());
    assertRoundTrip(format, full().data(binary).build());
    assertRoundTrip(format, full().data(new byte[0]).build());
    assertRoundTrip(format, full().dataContentType("application/json").data(new byte[0]).build());
    assertRoundTrip(format, full().dataContentType("application/json")
        .data(" {\"padded\":1} ".getBytes(StandardCharsets.UTF_8)).build());
    assertRoundTrip(format, Event.builder().source("urn:minimal").type("t").build());
  }

  @ParameterizedTest
  @EnumSource(PayloadFormat.class)
  void oneMebibyteOfDataRoundTrips(PayloadFormat format) {
    byte[] random = new byte[1 << 20];
    new Random(7).nextBytes(random);
    assertRoundTrip(format, full().data(random).build());
    StringBuilder json = new StringBuilder("[");
    while (json.length() < (1 << 20)) {
      json.append("{\"k\":\"välue\",\"n\":12345},");
    }
    json.setCharAt(json.length() - 1, ']');
    assertRoundTrip(format, full().dataContentType("application/json")
        .data(json.toString().getBytes(StandardCharsets.UTF_8)).build());
  }

  @Test
  void standardWebhooksBodyHasTheSpecShapeWithJsonDataEmbedded() throws Exception {
    Event event = full().json(Map.of("id", 42)).build();
    WebhookPayload payload = WebhookPayloads.encode(PayloadFormat.STANDARD_WEBHOOKS, "orders",
        event);
    assertThat(payload.contentType()).isEqualTo("application/json");
    assertThat(payload.headers()).as("only the trace context, for HTTP tools")
        .containsExactlyEntriesOf(Map.of("traceparent", event.headers().get("traceparent")));
    JsonNode body = MAPPER.readTree(payload.body());
    assertThat(body.get("type").asText()).isEqualTo("order.created");
    assertThat(body.get("timestamp").asText()).isEqualTo("2026-11-26T05:43:17.123456Z");
    assertThat(body.get("data").get("id").asInt()).isEqualTo(42);
    assertThat(body.get("relaybus").get("topic").asText()).isEqualTo("orders");
    assertThat(body.get("relaybus").get("dataencoding").asText()).isEqualTo("json");
    assertThat(body.get("relaybus").get("extensions").get("tenant").asText())
        .isEqualTo("ß and spaces");

    WebhookPayload binary = WebhookPayloads.encode(PayloadFormat.STANDARD_WEBHOOKS, "orders",
        full().data(new byte[] {(byte) 0xff, 0}).build());
    JsonNode b = MAPPER.readTree(binary.body());
    assertThat(b.get("relaybus").get("dataencoding").asText()).isEqualTo("base64");
    assertThat(b.get("data").asText()).isEqualTo("/wA=");
  }

  @Test
  void cloudEventsBinaryModeUsesCeHeadersAndRawBody() {
    Event event = full().text("hello").build();
    WebhookPayload payload = WebhookPayloads.encode(PayloadFormat.CLOUDEVENTS_BINARY, "orders",
        event);
    assertThat(payload.body()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
    assertThat(payload.contentType()).isEqualTo("text/plain; charset=utf-8");
    assertThat(payload.headers())
        .containsEntry("ce-specversion", "1.0")
        .containsEntry("ce-id", event.id())
        .containsEntry("ce-source", "/orders")
        .containsEntry("ce-type", "order.created")
        .containsEntry("ce-time", "2026-11-26T05:43:17.123456Z")
        .containsEntry("ce-partitionkey", "customer-7")
        .containsEntry("ce-tenant", "%C3%9F%20and%20spaces")
        .containsEntry(WebhookHeaders.TOPIC, "orders");
    payload.headers().values().forEach(v ->
        assertThat(v.chars()).allMatch(c -> c >= 0x21 && c <= 0x7e));
    assertThat(WebhookPayloads.encode(PayloadFormat.CLOUDEVENTS_BINARY, "orders",
        full().data(new byte[] {1}).build()).contentType()).isNull();
  }

  @Test
  void webhookIdIsStablePerTopicAndEventIdentity() {
    Event event = full().build();
    String id = WebhookPayloads.webhookId("orders", event);
    assertThat(id).matches("msg_[A-Za-z0-9_-]{27}");
    assertThat(WebhookPayloads.webhookId("orders", event.toBuilder().text("changed").build()))
        .isEqualTo(id);
    assertThat(WebhookPayloads.encode(PayloadFormat.CLOUDEVENTS_BINARY, "orders", event)
        .webhookId()).isEqualTo(id);
    assertThat(WebhookPayloads.webhookId("payments", event)).isNotEqualTo(id);
    assertThat(WebhookPayloads.webhookId("orders", event.toBuilder().source("/other").build()))
        .isNotEqualTo(id);
    assertThat(WebhookPayloads.webhookId("orders", event.toBuilder().id("other").build()))
        .isNotEqualTo(id);
  }

  @Test
  void plainStandardWebhooksPayloadFromAnotherSenderDecodes() {
    byte[] body = ("{\"type\":\"contact.created\",\"timestamp\":\"2022-11-03T20:26:10.344522Z\","
        + "\"data\":{\"id\":\"1f81eb52\"}}").getBytes(StandardCharsets.UTF_8);
    DecodedWebhook decoded = WebhookPayloads.decode(
        Map.of("Webhook-Id", List.of("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")), body);
    assertThat(decoded.topic()).isEmpty();
    assertThat(decoded.event().id()).isEqualTo("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
    assertThat(decoded.event().type()).isEqualTo("contact.created");
    assertThat(decoded.event().dataAsText()).isEqualTo("{\"id\":\"1f81eb52\"}");
  }

  @Test
  void anyOtherBodyFromAVerifiedSenderIsHandedOverUnchanged() {
    for (String body : List.of("{\"test\": 2432232314}", "not json at all", "[1,2]",
        "{\"type\":\"t\",\"timestamp\":\"yesterday\",\"data\":1}")) {
      Map<String, List<String>> headers = Map.of("webhook-id", List.of("msg_1"),
          "webhook-timestamp", List.of("1614265330"), "content-type", List.of("text/plain"));
      Event event = WebhookPayloads.decode(headers, body.getBytes(StandardCharsets.UTF_8))
          .event();
      assertThat(event.dataAsText()).isEqualTo(body);
      assertThat(event.type()).isEqualTo(WebhookPayloads.FOREIGN_TYPE);
      assertThat(event.id()).isEqualTo("msg_1");
      assertThat(event.time()).isEqualTo(Instant.ofEpochSecond(1614265330));
      assertThat(event.dataContentType()).contains("text/plain");
    }
  }

  @Test
  void malformedRelaybusPayloadsAreRefusedNamingTheFieldNotTheContent() {
    String envelope = "\"relaybus\":{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\","
        + "\"dataencoding\":\"text\"}";
    assertThatThrownBy(() -> decodeJson("{" + envelope + ",\"type\":\"t\",\"data\":\"x\"}"))
        .isInstanceOf(PayloadException.class).hasMessageContaining("timestamp");
    assertThatThrownBy(() -> decodeJson("{" + envelope + ",\"type\":\"t\",\"timestamp\":"
        + "\"yesterday\",\"data\":\"x\"}"))
        .isInstanceOf(PayloadException.class).hasMessageContaining("ISO-8601");
    assertThatThrownBy(() -> decodeJson("{" + envelope + ",\"type\": secretword"))
        .isInstanceOf(PayloadException.class).hasMessageNotContaining("secretword");
    assertThatThrownBy(() -> decodeJson("{\"relaybus\":{\"specversion\":\"2.0\"},"
        + "\"type\":\"t\",\"timestamp\":\"2022-11-03T20:26:10Z\",\"data\":1}"))
        .isInstanceOf(PayloadException.class).hasMessageContaining("specversion");
    assertThatThrownBy(() -> decodeJson("{\"type\":\"t\",\"timestamp\":"
        + "\"2022-11-03T20:26:10Z\",\"relaybus\":{\"specversion\":\"1.0\",\"id\":\"1\","
        + "\"source\":\"/s\",\"dataencoding\":\"rot13\"},\"data\":\"x\"}"))
        .isInstanceOf(PayloadException.class).hasMessageContaining("dataencoding");
    assertThatThrownBy(() -> decodeJson("{\"type\":\"t\",\"timestamp\":"
        + "\"2022-11-03T20:26:10Z\",\"relaybus\":{\"specversion\":\"1.0\",\"topic\":\"bad topic\","
        + "\"id\":\"1\",\"source\":\"/s\",\"dataencoding\":\"text\"},\"data\":\"x\"}"))
        .isInstanceOf(PayloadException.class).hasMessageContaining("bad topic");
    Map<String, List<String>> ce = new HashMap<>();
    ce.put("ce-specversion", List.of("1.0"));
    ce.put("ce-source", List.of("/s"));
    ce.put("ce-type", List.of("t"));
    assertThatThrownBy(() -> WebhookPayloads.decode(ce, new byte[0]))
        .isInstanceOf(PayloadException.class).hasMessageContaining("ce-id");
    ce.put("ce-id", List.of("bad%zz"));
    assertThatThrownBy(() -> WebhookPayloads.decode(ce, new byte[0]))
        .isInstanceOf(PayloadException.class).hasMessageContaining("ce-id");
  }

  @Test
  void salvageKeepsWhatARequestThatDoesNotDecodeSaysOfItsEvent() {
    Map<String, List<String>> headers = Map.of("webhook-id", List.of("msg_1"),
        "webhook-timestamp", List.of("1614265330"), "content-type", List.of("application/json"));
    String cutOff = "{\"type\":\"order.created\",\"timestamp\":\"2022-11-03T20:26:10Z\","
        + "\"relaybus\":{\"specversion\":\"9\",\"id\":\"e1\",\"source\":\"/shop\",\"data";
    Event salvaged = WebhookPayloads.salvage(headers, cutOff.getBytes(StandardCharsets.UTF_8));
    assertThat(salvaged.id()).isEqualTo("e1");
    assertThat(salvaged.source()).isEqualTo("/shop");
    assertThat(salvaged.type()).isEqualTo("order.created");
    assertThat(salvaged.time()).isEqualTo(Instant.parse("2022-11-03T20:26:10Z"));
    assertThat(salvaged.dataAsText()).isEqualTo(cutOff);
    assertThat(salvaged.dataContentType()).contains("application/json");
    assertThat(salvaged.key()).isEmpty();

    String invalid = "{\"type\":\" \",\"timestamp\":\"yesterday\","
        + "\"relaybus\":{\"id\":\"\",\"source\":\"not a uri\"}}";
    Event placeholders = WebhookPayloads.salvage(headers,
        invalid.getBytes(StandardCharsets.UTF_8));
    assertThat(placeholders.id()).isEqualTo("msg_1");
    assertThat(placeholders.source()).isEqualTo("urn:relaybus:undecodable-webhook");
    assertThat(placeholders.type()).isEqualTo("relaybus.undecodable-webhook");
    assertThat(placeholders.time()).isEqualTo(Instant.ofEpochSecond(1614265330));

    byte[] binary = {(byte) 0xff, 0, '{', '"'};
    Map<String, List<String>> ce = Map.of("ce-specversion", List.of("2.0"),
        "ce-id", List.of("bad%zz"), "ce-source", List.of("/shop"), "ce-type", List.of("t"),
        "webhook-id", List.of("msg_2"));
    Event cloudEvent = WebhookPayloads.salvage(ce, binary);
    assertThat(cloudEvent.id()).isEqualTo("msg_2");
    assertThat(cloudEvent.source()).isEqualTo("/shop");
    assertThat(cloudEvent.type()).isEqualTo("t");
    assertThat(cloudEvent.data()).isEqualTo(binary);
  }

  @Test
  void invalidTopicIsRefusedWhenEncoding() {
    assertThatThrownBy(() -> WebhookPayloads.encode(PayloadFormat.STANDARD_WEBHOOKS,
        "no/slashes", full().build())).isInstanceOf(InvalidNameException.class);
  }

  private static DecodedWebhook decodeJson(String body) {
    return WebhookPayloads.decode(Map.of("webhook-id", List.of("msg_1")),
        body.getBytes(StandardCharsets.UTF_8));
  }

  private static void assertRoundTrip(PayloadFormat format, Event event) {
    WebhookPayload payload = WebhookPayloads.encode(format, "orders.v1", event);
    Map<String, List<String>> headers = new HashMap<>();
    // Header names arrive in any case; the decoder must not care.
    payload.headers().forEach((k, v) -> headers.put(k.toUpperCase(), List.of(v)));
    if (payload.contentType() != null) {
      headers.put("Content-Type", List.of(payload.contentType()));
    }
    headers.put(WebhookHeaders.ID, List.of(payload.webhookId()));
    DecodedWebhook decoded = WebhookPayloads.decode(headers, payload.body().clone());
    assertThat(decoded.topic()).contains("orders.v1");
    assertThat(decoded.event()).isEqualTo(event);
    assertThat(decoded.event().data()).isEqualTo(event.data());
    if (format == PayloadFormat.STANDARD_WEBHOOKS) {
      // JSON keeps the order; HTTP headers (CloudEvents binary mode) do not.
      assertThat(decoded.event().headers()).containsExactlyEntriesOf(event.headers());
    }
  }

  private static Map<String, List<String>> structuredHeaders(String contentType) {
    return Map.of("Content-Type", List.of(contentType), WebhookHeaders.ID, List.of("msg_1"),
        WebhookHeaders.TIMESTAMP, List.of("1700000000"));
  }

  @Test
  void cloudEventsStructuredModeIsReadAsAnEventWithTopicKeyExtensionsAndData() {
    DecodedWebhook d = WebhookPayloads.decode(Map.of(
        "Content-Type", List.of("application/cloudevents+json; charset=UTF-8"),
        WebhookHeaders.TOPIC, List.of("orders")), """
        {"specversion":"1.0","id":"e-1","source":"urn:s","type":"t","subject":"sub",
         "time":"2026-12-06T08:15:30.5Z","dataschema":"urn:schema","partitionkey":"pk",
         "tenant":"acme","priority":5,"datacontenttype":"application/octet-stream",
         "data_base64":"AAH/"}
        """.getBytes(StandardCharsets.UTF_8));
    assertThat(d.topic()).contains("orders");
    Event e = d.event();
    assertThat(e.id()).isEqualTo("e-1");
    assertThat(e.time()).isEqualTo(Instant.parse("2026-12-06T08:15:30.5Z"));
    assertThat(e.subject()).contains("sub");
    assertThat(e.dataSchema()).contains("urn:schema");
    assertThat(e.key()).contains("pk");
    assertThat(e.headers()).isEqualTo(Map.of("tenant", "acme", "priority", "5"));
    assertThat(e.dataContentType()).contains("application/octet-stream");
    assertThat(e.data()).containsExactly(0, 1, 0xff);

    Event json = WebhookPayloads.decode(structuredHeaders("application/cloudevents+json"), """
        {"specversion":"1.0","id":"e-2","source":"urn:s","type":"t","data":{"a":1}}
        """.getBytes(StandardCharsets.UTF_8)).event();
    assertThat(json.dataAsText()).isEqualTo("{\"a\":1}");
    assertThat(json.dataContentType()).isEmpty();
  }

  @Test
  void cloudEventsStructuredModeErrorsNameTheFieldAndSalvageKeepsItsIdentity() {
    byte[] noId = "{\"specversion\":\"1.0\",\"source\":\"urn:s\",\"type\":\"t\"}"
        .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> WebhookPayloads.decode(
        structuredHeaders("application/cloudevents+json"), noId))
        .isInstanceOf(PayloadException.class)
        .hasMessage("Webhook field id is missing (required in CloudEvents structured mode)");
    assertThatThrownBy(() -> WebhookPayloads.decode(
        structuredHeaders("application/cloudevents+json"), "[]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(PayloadException.class).hasMessageContaining("not a JSON object");

    byte[] badTime = ("{\"specversion\":\"1.0\",\"id\":\"e-9\",\"source\":\"urn:s\","
        + "\"type\":\"t\",\"time\":\"yesterday\"}").getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> WebhookPayloads.decode(
        structuredHeaders("application/cloudevents+json"), badTime))
        .isInstanceOf(PayloadException.class).hasMessageContaining("field time 'yesterday'");
    String head = "{\"specversion\":\"1.0\",\"id\":\"e-9\",\"source\":\"urn:s\","
        + "\"type\":\"t\",";
    for (String[] bodyAndMessage : new String[][] {
        {"{\"specversion\":\"0.3\",\"id\":\"e\",\"source\":\"urn:s\",\"type\":\"t\"}",
            "Webhook field specversion is '0.3'; this receiver reads CloudEvents '1.0'"},
        {head + "\"tenant\":[1]}",
            "Webhook field tenant is ARRAY; CloudEvents attributes are strings, numbers or booleans"},
        {head + "\"data\":1,\"data_base64\":\"AA==\"}",
            "Webhook body has both 'data' and 'data_base64'"},
        {"{\"id\":", "Webhook body is not a JSON object, as CloudEvents structured mode "
            + "(application/cloudevents+json) requires"}}) {
      assertThatThrownBy(() -> WebhookPayloads.decode(
          structuredHeaders("application/cloudevents+json"),
          bodyAndMessage[0].getBytes(StandardCharsets.UTF_8)))
          .isInstanceOf(PayloadException.class).hasMessage(bodyAndMessage[1]);
    }
    assertThatThrownBy(() -> WebhookPayloads.decode(
        structuredHeaders("application/cloudevents+json"),
        (head + "\"data_base64\":\"!\"}").getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(PayloadException.class)
        .hasMessageStartingWith("Webhook field data_base64 is not base64: ");

    Event salvaged = WebhookPayloads.salvage(
        structuredHeaders("application/cloudevents+json"), badTime);
    assertThat(salvaged.id()).isEqualTo("e-9");
    assertThat(salvaged.source()).isEqualTo("urn:s");
    assertThat(salvaged.type()).isEqualTo("t");
    assertThat(salvaged.data()).isEqualTo(badTime);
  }
}
