package io.relaybus.webhook.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.Event;
import io.relaybus.webhook.payload.PayloadFormat;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookSigner;
import io.relaybus.webhook.signature.WebhookVerifier;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
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
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The receiver through {@code handle(...)} directly, as a framework would call it. */
class WebhookReceiverTest {

  static final Instant NOW = Instant.parse("2026-11-26T06:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  final WebhookSecret secret = WebhookSecret.generate();
  final List<ReceivedWebhook> handled = Collections.synchronizedList(new ArrayList<>());

  Event event() {
    return Event.builder().source("/orders").type("order.created").key("c-1")
        .json(Map.of("order", 42)).time(NOW.minusSeconds(3)).build();
  }

  WebhookReceiver receiver(Consumer<WebhookReceiver.Builder> config) {
    WebhookReceiver.Builder b = WebhookReceiver.builder()
        .verifier(WebhookVerifier.builder().secret(secret).clock(CLOCK).build())
        .handler(handled::add);
    config.accept(b);
    return b.build();
  }

  WebhookReceiver receiver() {
    return receiver(b -> { });
  }

  static WebhookResponse post(WebhookReceiver receiver, SignedRequest request) {
    return receiver.handle("POST", request.headerLists(), request.body);
  }

  @ParameterizedTest
  @EnumSource(PayloadFormat.class)
  void validWebhookIsHandledOnceWithEventTopicIdAndAttempt(PayloadFormat format) {
    Event event = event();
    SignedRequest request = SignedRequest.of(WebhookSigner.of(secret), format, "orders",
        event, NOW).attempt(3);
    WebhookResponse response = post(receiver(), request);
    assertThat(response.status()).isEqualTo(204);
    assertThat(response.isSuccess()).isTrue();
    assertThat(handled).hasSize(1);
    ReceivedWebhook webhook = handled.get(0);
    assertThat(webhook.event()).isEqualTo(event);
    assertThat(webhook.topic()).contains("orders");
    assertThat(webhook.webhookId()).isEqualTo(request.id());
    assertThat(webhook.attempt()).hasValue(3);
    assertThat(webhook.timestamp()).isEqualTo(NOW);
    assertThat(webhook.header("WEBHOOK-ID")).contains(request.id());
  }

  @Test
  void thePublishedSpecVectorVerifiesAndReachesTheHandler() {
    WebhookReceiver receiver = WebhookReceiver.builder()
        .verifier(WebhookVerifier.builder()
            .secret(WebhookSecret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
            .clock(Clock.fixed(Instant.ofEpochSecond(1614265330), ZoneOffset.UTC)).build())
        .handler(handled::add).build();
    WebhookResponse response = receiver.handle("POST", Map.of(
        "webhook-id", List.of("msg_p5jXN8AQM9LWM0D4loKWxJek"),
        "webhook-timestamp", List.of("1614265330"),
        "webhook-signature", List.of("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")),
        "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8));
    assertThat(response.status()).isEqualTo(204);
    assertThat(handled).singleElement().satisfies(w -> {
      assertThat(w.event().dataAsText()).isEqualTo("{\"test\": 2432232314}");
      assertThat(w.webhookId()).isEqualTo("msg_p5jXN8AQM9LWM0D4loKWxJek");
      assertThat(w.topic()).isEmpty();
    });
  }

  @Test
  void tamperedBodyIsRejectedWith401AndNoHandlerCall() {
    SignedRequest request = SignedRequest.of(secret, "orders", event(), NOW);
    request.body = new String(request.body, StandardCharsets.UTF_8).replace("42", "43")
        .getBytes(StandardCharsets.UTF_8);
    assertRejected(request, 401);
  }

  @Test
  void tamperedHeadersAreRejectedWith401() {
    assertRejected(SignedRequest.of(secret, "orders", event(), NOW)
        .with(WebhookHeaders.ID, "msg_forged"), 401);
    assertRejected(SignedRequest.of(secret, "orders", event(), NOW)
        .with(WebhookHeaders.TIMESTAMP, Long.toString(NOW.getEpochSecond() + 1)), 401);
    assertRejected(SignedRequest.of(secret, "orders", event(), NOW)
        .with(WebhookHeaders.SIGNATURE, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), 401);
  }

  @Test
  void wrongSecretIsRejectedWith401() {
    assertRejected(SignedRequest.of(WebhookSecret.generate(), "orders", event(), NOW), 401);
  }

  @Test
  void staleAndFutureTimestampsAreRejectedWith401() {
    assertRejected(SignedRequest.of(secret, "orders", event(), NOW.minusSeconds(301)), 401);
    assertRejected(SignedRequest.of(secret, "orders", event(), NOW.plusSeconds(301)), 401);
  }

  @ParameterizedTest
  @ValueSource(strings = {WebhookHeaders.ID, WebhookHeaders.TIMESTAMP, WebhookHeaders.SIGNATURE})
  void missingHeaderIsRejectedWith400NamingIt(String header) {
    WebhookResponse response = assertRejected(
        SignedRequest.of(secret, "orders", event(), NOW).without(header), 400);
    assertThat(response.bodyText()).contains(header);
  }

  @Test
  void malformedHeadersAreRejectedWith400() {
    assertRejected(SignedRequest.of(secret, "orders", event(), NOW)
        .with(WebhookHeaders.TIMESTAMP, "2026-11-26T06:00:00Z"), 400);
    assertRejected(SignedRequest.of(secret, "orders", event(), NOW)
        .with(WebhookHeaders.SIGNATURE, "garbage"), 400);
    assertRejected(SignedRequest.of(secret, "orders", event(), NOW)
        .with(WebhookHeaders.ATTEMPT, "first"), 400);
    SignedRequest twice = SignedRequest.of(secret, "orders", event(), NOW);
    Map<String, List<String>> headers = twice.headerLists();
    headers.put(WebhookHeaders.ID, List.of(twice.id(), "msg_other"));
    assertThat(receiver().handle("POST", headers, twice.body).status()).isEqualTo(400);
    assertThat(handled).isEmpty();
  }

  @Test
  void nonPostIsRejectedWith405() {
    SignedRequest request = SignedRequest.of(secret, "orders", event(), NOW);
    for (String method : List.of("GET", "PUT", "HEAD", "DELETE")) {
      WebhookResponse response = receiver().handle(method, request.headerLists(), request.body);
      assertThat(response.status()).isEqualTo(405);
      assertThat(response.headers()).containsEntry("Allow", "POST");
    }
    assertThat(handled).isEmpty();
  }

  @Test
  void oversizeBodyIsRejectedWith413WithoutReadingPastTheLimit() throws Exception {
    SignedRequest request = SignedRequest.of(secret, "orders", event(), NOW);
    WebhookReceiver small = receiver(b -> b.maxBodyBytes(request.body.length - 1));
    assertThat(post(small, request).status()).isEqualTo(413);
    CountingStream endless = new CountingStream();
    assertThat(small.handle("POST", request.headerLists(), endless).status()).isEqualTo(413);
    assertThat(endless.read.get()).isEqualTo(request.body.length);
    assertThat(handled).isEmpty();
    WebhookReceiver exact = receiver(b -> b.maxBodyBytes(request.body.length));
    assertThat(exact.handle("POST", request.headerLists(),
        new ByteArrayInputStream(request.body)).status()).isEqualTo(204);
  }

  @Test
  void duplicateIsAcknowledgedWithoutASecondCall() {
    WebhookReceiver receiver = receiver();
    Event event = event();
    SignedRequest request = SignedRequest.of(secret, "orders", event, NOW).attempt(1);
    assertThat(post(receiver, request).status()).isEqualTo(204);
    // A resend carries a new timestamp and signature but the same webhook-id.
    SignedRequest resend = SignedRequest.of(secret, "orders", event, NOW.plusSeconds(1))
        .attempt(2);
    assertThat(resend.id()).isEqualTo(request.id());
    WebhookResponse second = post(receiver, resend);
    assertThat(second.status()).isEqualTo(204);
    assertThat(second.headers()).containsEntry(WebhookReceiver.DUPLICATE_HEADER, "true");
    assertThat(handled).hasSize(1);
  }

  @Test
  void handlerFailureAnswers500AndTheRetryIsHandled() {
    AtomicInteger calls = new AtomicInteger();
    WebhookReceiver receiver = receiver(b -> b.handler(w -> {
      if (calls.incrementAndGet() < 3) {
        throw new IllegalStateException("database down");
      }
    }));
    SignedRequest request = SignedRequest.of(secret, "orders", event(), NOW);
    assertThat(post(receiver, request).status()).isEqualTo(500);
    assertThat(post(receiver, request).status()).isEqualTo(500);
    assertThat(post(receiver, request).status()).isEqualTo(204);
    assertThat(post(receiver, request).status()).isEqualTo(204);
    assertThat(calls).hasValue(3);
  }

  @Test
  void handlerCanAskForARetryAfterADelay() {
    WebhookReceiver receiver = receiver(b -> b.handler(w -> {
      throw new RetryLaterException(Duration.ofMillis(2500), "downstream throttled");
    }));
    WebhookResponse response = post(receiver, SignedRequest.of(secret, "orders", event(), NOW));
    assertThat(response.status()).isEqualTo(503);
    assertThat(response.headers()).containsEntry("Retry-After", "3");
  }

  @Test
  void keyRotationAcceptsEitherSecretAndSeveralSignatures() {
    WebhookSecret next = WebhookSecret.generate();
    WebhookReceiver rotating = WebhookReceiver.builder()
        .verifier(WebhookVerifier.builder().secret(secret).secret(next).clock(CLOCK).build())
        .handler(handled::add).build();
    Event a = event();
    Event b = event();
    Event c = event();
    assertThat(post(rotating, SignedRequest.of(secret, "orders", a, NOW)).status())
        .isEqualTo(204);
    assertThat(post(rotating, SignedRequest.of(next, "orders", b, NOW)).status())
        .isEqualTo(204);
    SignedRequest both = SignedRequest.of(WebhookSigner.of(WebhookSecret.generate(), next),
        PayloadFormat.STANDARD_WEBHOOKS, "orders", c, NOW);
    assertThat(both.headers.get(WebhookHeaders.SIGNATURE).split(" ")).hasSize(2);
    assertThat(post(rotating, both).status()).isEqualTo(204);
    assertThat(handled).extracting(ReceivedWebhook::event).containsExactly(a, b, c);
  }

  @Test
  void topicsCanBeRestrictedPerReceiver() {
    WebhookReceiver ordersOnly = receiver(b -> b.acceptTopics("orders"));
    assertRejected(ordersOnly, SignedRequest.of(secret, "payments", event(), NOW), 400);
    assertThat(post(ordersOnly, SignedRequest.of(secret, "orders", event(), NOW)).status())
        .isEqualTo(204);
    // A sender that is not Relaybus sends no topic: not accepted by a topic-bound receiver.
    byte[] foreign = "{\"hello\":1}".getBytes(StandardCharsets.UTF_8);
    Map<String, List<String>> headers = new java.util.HashMap<>();
    WebhookSigner.of(secret).headers("msg_foreign", NOW, foreign)
        .forEach((k, v) -> headers.put(k, List.of(v)));
    assertThat(ordersOnly.handle("POST", headers, foreign).status()).isEqualTo(400);
    assertThat(handled).hasSize(1);
  }

  @Test
  void concurrentDuplicatesCallTheHandlerOnce() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    WebhookReceiver receiver = receiver(b -> b.handler(w -> {
      calls.incrementAndGet();
      entered.countDown();
      release.await(30, TimeUnit.SECONDS);
    }));
    SignedRequest request = SignedRequest.of(secret, "orders", event(), NOW);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<WebhookResponse> first = pool.submit(() -> post(receiver, request));
      assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 5; i++) {
        WebhookResponse concurrent = post(receiver, request);
        assertThat(concurrent.status()).isEqualTo(409);
        assertThat(concurrent.headers()).containsKey("Retry-After");
      }
      release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(204);
    } finally {
      pool.shutdownNow();
    }
    assertThat(post(receiver, request).status()).isEqualTo(204);
    assertThat(calls).hasValue(1);
  }

  @Test
  void builderRefusesADedupeStoreThatForgetsTooSoon() {
    assertThatThrownBy(() -> WebhookReceiver.builder()
        .verifier(WebhookVerifier.builder().secret(secret).clock(CLOCK).build()).handler(w -> { })
        .dedupeStore(new InMemoryDedupeStore(Duration.ofMinutes(5), 10, CLOCK)).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("twice the tolerance");
    assertThatThrownBy(() -> WebhookReceiver.builder().handler(w -> { }).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("verifier");
  }

  @Test
  void responsesNeverContainTheSecretOrTheBody() {
    SignedRequest request = SignedRequest.of(secret, "orders", event(), NOW);
    request.body = "{\"relaybus\":{\"specversion\":\"1.0\"},\"type\":\"topsecretvalue\"}"
        .getBytes(StandardCharsets.UTF_8);
    request.headers.putAll(WebhookSigner.of(secret).headers(request.id(), NOW, request.body));
    WebhookResponse response = post(receiver(), request);
    assertThat(response.status()).isEqualTo(400);
    assertThat(response.bodyText()).doesNotContain("topsecretvalue")
        .doesNotContain(secret.format().substring(6));
    assertThat(receiver().toString()).doesNotContain(secret.format().substring(6));
  }

  @Test
  void anUndecodableWebhookHandlerTakesWhatOtherReceiversRefuseWith400() {
    SignedRequest request = SignedRequest.of(secret, "orders", event(), NOW);
    request.body = "{\"relaybus\":{\"specversion\":\"2.0\"}}".getBytes(StandardCharsets.UTF_8);
    request.headers.putAll(WebhookSigner.of(secret).headers(request.id(), NOW, request.body));
    List<String> undecodable = Collections.synchronizedList(new ArrayList<>());
    UndecodableWebhookHandler handler = new UndecodableWebhookHandler() {
      @Override
      public void handle(ReceivedWebhook webhook) {
        handled.add(webhook);
      }

      @Override
      public void handleUndecodable(String webhookId, Integer attempt,
          Map<String, ? extends List<String>> headers, byte[] body,
          io.relaybus.webhook.payload.PayloadException why) {
        undecodable.add(webhookId + " " + new String(body, StandardCharsets.UTF_8));
      }
    };

    assertThat(post(receiver(), request).status()).isEqualTo(400);
    assertThat(post(receiver(b -> b.handler(handler)), request).status()).isEqualTo(204);
    assertThat(undecodable).containsExactly(request.id() + " {\"relaybus\":{\"specversion\":\"2.0\"}}");
    assertThat(handled).isEmpty();

    SignedRequest unsigned = SignedRequest.of(secret, "orders", event(), NOW)
        .without(WebhookHeaders.SIGNATURE);
    assertThat(post(receiver(b -> b.handler(handler)), unsigned).status())
        .as("only the payload's decoding is waived").isEqualTo(400);
    assertThat(undecodable).hasSize(1);
  }

  private WebhookResponse assertRejected(SignedRequest request, int status) {
    return assertRejected(receiver(), request, status);
  }

  private WebhookResponse assertRejected(WebhookReceiver receiver, SignedRequest request,
      int status) {
    WebhookResponse response = post(receiver, request);
    assertThat(response.status()).as(response.bodyText()).isEqualTo(status);
    assertThat(handled).as("handler calls").isEmpty();
    return response;
  }

  /** An endless body that counts what was read from it. */
  static final class CountingStream extends InputStream {
    final AtomicInteger read = new AtomicInteger();

    @Override
    public int read() {
      read.incrementAndGet();
      return 'x';
    }

    @Override
    public int read(byte[] b, int off, int len) {
      java.util.Arrays.fill(b, off, off + len, (byte) 'x');
      read.addAndGet(len);
      return len;
    }
  }
}
