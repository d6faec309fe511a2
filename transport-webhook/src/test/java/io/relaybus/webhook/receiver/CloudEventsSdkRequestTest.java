package io.relaybus.webhook.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import io.relaybus.Event;
import io.relaybus.webhook.payload.PayloadFormat;
import io.relaybus.webhook.payload.WebhookPayload;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookSigner;
import io.relaybus.webhook.signature.WebhookVerifier;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests written by the official CloudEvents Java SDK ({@code cloudevents-http-basic}),
 * binary and structured mode, with and without the {@code partitionkey} extension, signed and
 * sent over loopback HTTP, reach the handler as events with every attribute, key and data.
 */
class CloudEventsSdkRequestTest {

  private static final OffsetDateTime TIME =
      OffsetDateTime.of(2026, 12, 6, 8, 15, 30, 123_000_000, ZoneOffset.UTC);

  private final WebhookSecret secret = WebhookSecret.generate();
  private final List<ReceivedWebhook> handled = Collections.synchronizedList(new ArrayList<>());
  private EmbeddedWebhookServer server;
  private OkHttpClient client;

  @BeforeEach
  void start() {
    WebhookReceiver receiver = WebhookReceiver.builder()
        .verifier(WebhookVerifier.builder().secret(secret).build())
        .handler(handled::add).build();
    server = EmbeddedWebhookServer.builder().port(0).route("/webhooks", receiver).start();
    client = new OkHttpClient.Builder().retryOnConnectionFailure(false).build();
  }

  @AfterEach
  void stop() {
    server.close();
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }

  private static CloudEvent sdkEvent(String partitionKey, String contentType, byte[] data) {
    CloudEventBuilder b = CloudEventBuilder.v1()
        .withId("e-" + System.nanoTime())
        .withSource(URI.create("urn:sdk:orders"))
        .withType("com.example.order.created")
        .withSubject("order-7")
        .withTime(TIME)
        .withDataSchema(URI.create("https://example.com/schemas/order.json"))
        .withDataContentType(contentType)
        .withData(data)
        .withExtension("tenant", "acme");
    if (partitionKey != null) {
      b.withExtension("partitionkey", partitionKey);
    }
    return b.build();
  }

  /** Writes the request with the SDK, signs its body and posts it; returns the status. */
  private int post(CloudEvent event, boolean structured) throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    byte[][] body = new byte[1][];
    var writer = HttpMessageFactory.createWriter(headers::put, b -> body[0] = b);
    if (structured) {
      writer.writeStructured(event, JsonFormat.CONTENT_TYPE);
    } else {
      writer.writeBinary(event);
    }
    headers.putAll(WebhookSigner.of(secret).headers("msg_" + event.getId(), Instant.now(),
        body[0]));
    String contentType = headers.remove("Content-Type");
    Request request = new Request.Builder().url("http://127.0.0.1:" + server.port() + "/webhooks")
        .headers(Headers.of(headers))
        .post(RequestBody.create(body[0], MediaType.get(contentType)))
        .build();
    try (Response response = client.newCall(request).execute()) {
      return response.code();
    }
  }

  @ParameterizedTest(name = "structured={0}")
  @ValueSource(booleans = {false, true})
  void sdkRequestsAreReadAsEventsWithEveryAttributeKeyAndData(boolean structured)
      throws Exception {
    byte[] json = "{\"order\":7,\"items\":[\"a\"]}".getBytes(StandardCharsets.UTF_8);
    byte[] text = "plain text".getBytes(StandardCharsets.UTF_8);
    byte[] binary = {0, 1, (byte) 0xff};
    List<CloudEvent> sent = List.of(
        sdkEvent(null, "application/json", json),
        sdkEvent("customer-7", "application/json", json),
        sdkEvent("customer-8", "text/plain", text),
        sdkEvent(null, "application/octet-stream", binary));
    for (CloudEvent e : sent) {
      assertThat(post(e, structured)).as("status of %s", e.getId()).isBetween(200, 299);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> handled.size() == sent.size());
    for (int i = 0; i < sent.size(); i++) {
      CloudEvent s = sent.get(i);
      Event r = handled.get(i).event();
      assertThat(r.id()).isEqualTo(s.getId());
      assertThat(r.source()).isEqualTo("urn:sdk:orders");
      assertThat(r.type()).isEqualTo("com.example.order.created");
      assertThat(r.subject()).contains("order-7");
      assertThat(r.time()).isEqualTo(TIME.toInstant());
      assertThat(r.dataSchema()).contains("https://example.com/schemas/order.json");
      assertThat(r.dataContentType()).contains(s.getDataContentType());
      assertThat(r.headers()).containsExactly(Map.entry("tenant", "acme"));
      assertThat(r.key()).isEqualTo(Optional.ofNullable((String) s.getExtension("partitionkey")));
      if (s.getDataContentType().equals("application/json")) {
        assertThat(r.dataAsText()).isEqualToIgnoringWhitespace(
            new String(json, StandardCharsets.UTF_8));
      } else {
        assertThat(r.data()).isEqualTo(s.getData().toBytes());
      }
      assertThat(handled.get(i).topic()).isEmpty();
    }
  }

  @ParameterizedTest(name = "with key={0}")
  @ValueSource(booleans = {false, true})
  void relaybusCloudEventsBinaryRequestsReadBackWithTheSdk(boolean withKey) {
    Event.Builder b = Event.builder().source("urn:relaybus").type("order.created")
        .subject("order-9").time(Instant.parse("2026-12-06T08:15:30.123456Z"))
        .dataSchema("https://example.com/schemas/order.json")
        .header("tenant", "acme").json(Map.of("order", 9));
    if (withKey) {
      // No character that needs percent-encoding: Relaybus encodes header values as the
      // CloudEvents HTTP binding says, and the SDK's http-basic reader does not decode them.
      b.key("customer-9");
    }
    Event event = b.build();
    WebhookPayload payload = WebhookPayloads.encode(PayloadFormat.CLOUDEVENTS_BINARY, "orders",
        event);
    Map<String, String> headers = new LinkedHashMap<>(payload.headers());
    headers.put("Content-Type", payload.contentType());
    CloudEvent read = HttpMessageFactory.createReader(headers, payload.body()).toEvent();
    assertThat(read.getId()).isEqualTo(event.id());
    assertThat(read.getSource()).isEqualTo(URI.create("urn:relaybus"));
    assertThat(read.getType()).isEqualTo("order.created");
    assertThat(read.getSubject()).isEqualTo("order-9");
    assertThat(read.getTime().toInstant()).isEqualTo(event.time());
    assertThat(read.getDataSchema())
        .isEqualTo(URI.create("https://example.com/schemas/order.json"));
    assertThat(read.getDataContentType()).isEqualTo("application/json");
    assertThat(read.getExtension("tenant")).isEqualTo("acme");
    assertThat(read.getExtension("partitionkey")).isEqualTo(withKey ? "customer-9" : null);
    assertThat(read.getData().toBytes()).isEqualTo(event.data());
  }
}
