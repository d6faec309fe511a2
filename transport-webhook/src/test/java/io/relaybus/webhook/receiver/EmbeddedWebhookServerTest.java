package io.relaybus.webhook.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.Event;
import io.relaybus.webhook.payload.PayloadFormat;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookSigner;
import io.relaybus.webhook.signature.WebhookVerifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The receiver behind the embedded JDK HTTP server, called over real HTTP on loopback. */
class EmbeddedWebhookServerTest {

  static final int LIMIT = 64 * 1024;

  final WebhookSecret secret = WebhookSecret.generate();
  final List<ReceivedWebhook> handled = Collections.synchronizedList(new ArrayList<>());
  volatile WebhookHandler behaviour = handled::add;
  EmbeddedWebhookServer server;
  OkHttpClient client;

  static WebhookVerifier verifier(WebhookSecret secret) {
    return WebhookVerifier.builder().secret(secret).build();
  }

  @BeforeEach
  void start() {
    WebhookReceiver all = WebhookReceiver.builder().verifier(verifier(secret)).maxBodyBytes(LIMIT)
        .handler(w -> behaviour.handle(w)).build();
    WebhookReceiver ordersOnly = WebhookReceiver.builder().verifier(verifier(secret))
        .acceptTopics("orders").handler(handled::add).build();
    server = EmbeddedWebhookServer.builder().port(0).threads(12)
        .route("/webhooks", all)
        .route("/webhooks/orders", ordersOnly)
        .start();
    client = new OkHttpClient.Builder().retryOnConnectionFailure(false)
        .followRedirects(false).build();
  }

  @AfterEach
  void stop() {
    server.close();
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }

  Event event() {
    return Event.builder().source("/orders").type("order.created")
        .json(Map.of("order", 42, "note", "ünïcødé 🚀")).build();
  }

  SignedRequest signed(Event event) {
    return SignedRequest.of(secret, "orders", event, Instant.now());
  }

  int post(String path, SignedRequest request) throws IOException {
    return send(path, request).code();
  }

  Response send(String path, SignedRequest request) throws IOException {
    Request.Builder b = new Request.Builder().url(server.uri(path).toString());
    String type = request.headers.getOrDefault("Content-Type", null);
    request.headers.forEach((k, v) -> {
      if (!k.equalsIgnoreCase("Content-Type")) {
        b.header(k, v);
      }
    });
    b.post(RequestBody.create(request.body, type == null ? null : MediaType.get(type)));
    try (Response response = client.newCall(b.build()).execute()) {
      response.body().bytes();
      return response;
    }
  }

  @ParameterizedTest
  @EnumSource(PayloadFormat.class)
  void signedWebhookIsDeliveredOverHttpAndTheEventIsEqual(PayloadFormat format)
      throws IOException {
    Event event = event().toBuilder().key("customer-1").header("traceparent", "00-abc-def-01")
        .subject("ß").build();
    SignedRequest request = SignedRequest.of(WebhookSigner.of(secret), format, "orders", event,
        Instant.now()).attempt(1);
    assertThat(post("/webhooks", request)).isEqualTo(204);
    assertThat(handled).singleElement().satisfies(w -> {
      assertThat(w.event()).isEqualTo(event);
      assertThat(w.topic()).contains("orders");
      assertThat(w.attempt()).hasValue(1);
    });
  }

  @Test
  void thePublishedSpecVectorIsAcceptedOverHttpWhenInsideTheTolerance() throws IOException {
    // The vector's timestamp is from 2021; the server uses the real clock, so re-sign the same
    // id and body with the vector's secret now, and check the vector itself is refused as stale.
    WebhookSecret spec = WebhookSecret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    try (EmbeddedWebhookServer specServer = EmbeddedWebhookServer.builder()
        .route("/spec", WebhookReceiver.builder().verifier(verifier(spec)).handler(handled::add).build())
        .start()) {
      byte[] body = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
      Request stale = new Request.Builder().url(specServer.uri("/spec").toString())
          .header("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
          .header("webhook-timestamp", "1614265330")
          .header("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
          .post(RequestBody.create(body, null)).build();
      try (Response response = client.newCall(stale).execute()) {
        assertThat(response.code()).isEqualTo(401);
      }
      Map<String, String> fresh = WebhookSigner.of(spec)
          .headers("msg_p5jXN8AQM9LWM0D4loKWxJek", Instant.now(), body);
      Request.Builder ok = new Request.Builder().url(specServer.uri("/spec").toString())
          .post(RequestBody.create(body, null));
      fresh.forEach(ok::header);
      try (Response response = client.newCall(ok.build()).execute()) {
        assertThat(response.code()).isEqualTo(204);
      }
    }
    assertThat(handled).singleElement()
        .satisfies(w -> assertThat(w.event().dataAsText()).isEqualTo("{\"test\": 2432232314}"));
  }

  @Test
  void tamperedWrongSecretStaleAndFutureAreRefusedWith401() throws IOException {
    SignedRequest tampered = signed(event());
    tampered.body = new String(tampered.body, StandardCharsets.UTF_8).replace("42", "24")
        .getBytes(StandardCharsets.UTF_8);
    assertThat(post("/webhooks", tampered)).isEqualTo(401);
    assertThat(post("/webhooks", signed(event()).with(WebhookHeaders.ID, "msg_other")))
        .isEqualTo(401);
    assertThat(post("/webhooks",
        SignedRequest.of(WebhookSecret.generate(), "orders", event(), Instant.now())))
        .isEqualTo(401);
    assertThat(post("/webhooks",
        SignedRequest.of(secret, "orders", event(), Instant.now().minusSeconds(600))))
        .isEqualTo(401);
    assertThat(post("/webhooks",
        SignedRequest.of(secret, "orders", event(), Instant.now().plusSeconds(600))))
        .isEqualTo(401);
    assertThat(handled).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {WebhookHeaders.ID, WebhookHeaders.TIMESTAMP, WebhookHeaders.SIGNATURE})
  void missingHeaderIsRefusedWith400(String header) throws IOException {
    assertThat(post("/webhooks", signed(event()).without(header))).isEqualTo(400);
    assertThat(handled).isEmpty();
  }

  @Test
  void nonPostIsRefusedWith405() throws IOException {
    try (Response response = client.newCall(new Request.Builder()
        .url(server.uri("/webhooks").toString()).get().build()).execute()) {
      assertThat(response.code()).isEqualTo(405);
      assertThat(response.header("Allow")).isEqualTo("POST");
    }
    for (String method : new String[] {"HEAD", "PUT", "DELETE"}) {
      Request.Builder b = new Request.Builder().url(server.uri("/webhooks").toString());
      b.method(method, method.equals("HEAD") || method.equals("DELETE") ? null
          : RequestBody.create(new byte[1], null));
      try (Response response = client.newCall(b.build()).execute()) {
        assertThat(response.code()).as(method).isEqualTo(405);
      }
    }
    assertThat(handled).isEmpty();
  }

  @Test
  void duplicateIsAcknowledgedWithoutASecondCall() throws IOException {
    Event event = event();
    assertThat(post("/webhooks", signed(event).attempt(1))).isEqualTo(204);
    Response again = send("/webhooks", signed(event).attempt(2));
    assertThat(again.code()).isEqualTo(204);
    assertThat(again.header(WebhookReceiver.DUPLICATE_HEADER)).isEqualTo("true");
    assertThat(handled).hasSize(1);
  }

  @Test
  void handlerFailureIs500AndTheSendersRetryIsHandledOnce() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    behaviour = w -> {
      if (calls.incrementAndGet() <= 2) {
        throw new IllegalStateException("not yet");
      }
      handled.add(w);
    };
    Event event = event();
    assertThat(post("/webhooks", signed(event).attempt(1))).isEqualTo(500);
    assertThat(post("/webhooks", signed(event).attempt(2))).isEqualTo(500);
    assertThat(post("/webhooks", signed(event).attempt(3))).isEqualTo(204);
    assertThat(post("/webhooks", signed(event).attempt(4))).isEqualTo(204);
    assertThat(calls).hasValue(3);
    assertThat(handled).singleElement().satisfies(w -> assertThat(w.attempt()).hasValue(3));
  }

  @Test
  void oversizeBodyWithContentLengthIsRefusedWith413() throws IOException {
    SignedRequest big = signed(event().toBuilder().data(new byte[LIMIT]).build());
    assertThat(post("/webhooks", big)).isEqualTo(413);
    assertThat(handled).isEmpty();
  }

  @Test
  void oversizeStreamedBodyIsRefusedBeforeTheClientFinishesSending() throws Exception {
    SignedRequest request = signed(event());
    long total = 512L * 1024 * 1024;
    AtomicLong written = new AtomicLong();
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try (Socket socket = new Socket(server.baseUri().getHost(), server.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      StringBuilder head = new StringBuilder("POST /webhooks HTTP/1.1\r\nHost: localhost\r\n"
          + "Transfer-Encoding: chunked\r\n");
      request.headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      Future<?> sending = writer.submit(() -> {
        byte[] chunk = new byte[64 * 1024];
        byte[] size = (Integer.toHexString(chunk.length) + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        try {
          while (written.get() < total) {
            out.write(size);
            out.write(chunk);
            out.write('\r');
            out.write('\n');
            written.addAndGet(chunk.length);
          }
        } catch (IOException expected) {
          // the server closed the connection after refusing the body
        }
        return null;
      });
      BufferedReader in = new BufferedReader(
          new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      String status = in.readLine();
      long sentWhenAnswered = written.get();
      assertThat(status).startsWith("HTTP/1.1 413");
      assertThat(sentWhenAnswered).as("bytes sent when the 413 arrived")
          .isLessThan(total / 4);
      // The client keeps sending: the server must close the connection rather than drain it.
      sending.get(30, TimeUnit.SECONDS);
      assertThat(written.get()).as("bytes the client managed to send before the server closed")
          .isLessThan(total / 4);
    } finally {
      writer.shutdownNow();
    }
    assertThat(handled).isEmpty();
  }

  @Test
  void concurrentDuplicatesOverHttpCallTheHandlerOnce() throws Exception {
    int senders = 8;
    CountDownLatch othersAnswered = new CountDownLatch(senders - 1);
    AtomicInteger calls = new AtomicInteger();
    behaviour = w -> {
      calls.incrementAndGet();
      othersAnswered.await(30, TimeUnit.SECONDS);
    };
    SignedRequest request = signed(event());
    ExecutorService pool = Executors.newFixedThreadPool(senders);
    List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < senders; i++) {
        futures.add(pool.submit(() -> {
          go.await();
          int status = post("/webhooks", request);
          statuses.add(status);
          if (status == 409) {
            othersAnswered.countDown();
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(calls).hasValue(1);
    assertThat(statuses).containsOnly(204, 409).filteredOn(s -> s == 204).hasSize(1);
  }

  @Test
  void routesAreExactAndCanBePerTopic() throws IOException {
    assertThat(post("/webhooks/orders", signed(event()))).isEqualTo(204);
    assertThat(post("/webhooks/orders",
        SignedRequest.of(secret, "payments", event(), Instant.now()))).isEqualTo(400);
    assertThat(post("/webhooks/other", signed(event()))).isEqualTo(404);
    assertThat(post("/", signed(event()))).isEqualTo(404);
    assertThat(handled).hasSize(1);
  }

  @Test
  void closeWaitsForARunningHandlerAndRefusesNewWebhooks() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    behaviour = w -> {
      entered.countDown();
      release.await(30, TimeUnit.SECONDS);
      handled.add(w);
    };
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Integer> running = pool.submit(() -> post("/webhooks", signed(event())));
      assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
      Future<?> closing = pool.submit(server::close);
      // While closing, new webhooks are refused (503) or the port is already gone.
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        try {
          assertThat(post("/webhooks", signed(event()))).isEqualTo(503);
        } catch (IOException refused) {
          // the server stopped listening: also a refusal
        }
      });
      assertThat(closing).isNotDone();
      release.countDown();
      assertThat(running.get(30, TimeUnit.SECONDS)).isEqualTo(204);
      closing.get(30, TimeUnit.SECONDS);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
    assertThat(handled).hasSize(1);
  }

  @Test
  void closeIsIdempotentAndReleasesThePort() {
    int port = server.port();
    assertThat(port).isPositive();
    assertThat(server.baseUri().getHost()).isEqualTo("127.0.0.1");
    server.close();
    server.close();
    assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
        .isInstanceOf(ConnectException.class);
  }
}
