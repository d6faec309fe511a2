package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.Event;
import io.relaybus.webhook.payload.DecodedWebhook;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookVerifier;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "raw signed" baseline posts the request Relaybus posts: the receiver sees the same header
 * names and the same body length from both sides, the raw side's body decodes to the same event
 * content, and its hand-written signature verifies with Relaybus's verifier.
 */
class WebhookRequestParityTest {
  private static final int EVENTS = 20;
  private static final String TOPIC = "parity-topic";

  @Test
  void rawSignedSendsTheSameRequestAsRelaybus() throws Exception {
    byte[] payload = Payloads.json(Payloads.SIZE);
    SessionSpec spec = new SessionSpec(TOPIC, payload, 10, Duration.ofSeconds(30), Map.of());
    WebhookTarget target = new WebhookTarget();

    Seen relaybus = new Seen();
    try (HttpStampReceiver receiver = new HttpStampReceiver(8);
        MessagingSession session = new WebhookTarget.EndpointSession(
            target.createBus(Map.of()), spec, 8, receiver)) {
      relaybus.capture(receiver, session);
    }
    Seen raw = new Seen();
    byte[] key;
    try (HttpStampReceiver receiver = new HttpStampReceiver(8);
        WebhookRawBaseline.RawSession session =
            new WebhookRawBaseline.RawSession(spec, 8, true, receiver)) {
      key = session.signingKey();
      raw.capture(receiver, session);
    }

    assertThat(raw.headerNames()).isEqualTo(relaybus.headerNames())
        .contains("webhook-id", "webhook-timestamp", "webhook-signature", "content-length")
        .doesNotContain("transfer-encoding", HttpStampReceiver.STAMP_HEADER);
    assertThat(raw.commonBodyLength()).isEqualTo(relaybus.commonBodyLength());

    WebhookVerifier verifier = WebhookVerifier.builder().secret(WebhookSecret.of(key)).build();
    for (Request r : raw.requests) {
      verifier.verify(r.header("webhook-id"), r.header("webhook-timestamp"),
          r.header("webhook-signature"), r.body);
    }
    Event sent = decode(relaybus.requests.peek());
    Event rebuilt = decode(raw.requests.peek());
    assertThat(rebuilt.type()).isEqualTo(sent.type());
    assertThat(rebuilt.source()).isEqualTo(sent.source());
    assertThat(rebuilt.dataContentType()).isEqualTo(sent.dataContentType());
    assertThat(rebuilt.data()).isEqualTo(sent.data()).isEqualTo(payload);
    assertThat(rebuilt.headers().keySet()).isEqualTo(sent.headers().keySet());
  }

  @Test
  void comparisonReportsBothRatiosForEveryRow(@TempDir Path dir) throws Exception {
    BenchmarkConfig config = BenchmarkConfig.parse("--transport", "webhook",
        "--events", "200", "--warmup", "100", "--iterations", "1", "--batch", "50",
        "--rate", "200", "--duration", "1", "--latency-warmup", "0", "--timeout", "30",
        "--json", dir.resolve("comparison.json").toString());
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    WebhookComparison.Comparison result = WebhookComparison.run(config,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    assertThat(result.vsSigned()).hasSameSizeAs(result.vsBare()).hasSize(9);
    for (int i = 0; i < result.vsSigned().size(); i++) {
      assertThat(result.vsSigned().get(i).relaybus()).isPositive()
          .isEqualTo(result.vsBare().get(i).relaybus());
      assertThat(result.vsSigned().get(i).raw()).isPositive();
      assertThat(result.vsBare().get(i).raw()).isPositive();
    }
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("relaybus/raw signed", "relaybus/raw bare");
    assertThat(dir.resolve("comparison.json")).exists();
  }

  private static Event decode(Request r) {
    DecodedWebhook d = WebhookPayloads.decode(Map.of("content-type", List.of("application/json")),
        r.body);
    assertThat(d.topic()).contains(TOPIC);
    return d.event();
  }

  /** One request as the receiver saw it. */
  private record Request(Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  /** What one side's receiver saw. */
  private static final class Seen {
    final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();

    void capture(HttpStampReceiver receiver, MessagingSession session)
        throws InterruptedException {
      CountDownLatch handled = new CountDownLatch(EVENTS);
      receiver.inspect((headers, body) -> {
        Map<String, String> h = new TreeMap<>();
        headers.forEach((name, values) -> h.put(name.toLowerCase(Locale.ROOT), values.get(0)));
        requests.add(new Request(h, body));
      });
      session.startConsumers(new ConsumerSpec(1, 1, 1), stamp -> handled.countDown());
      for (int i = 0; i < EVENTS; i++) {
        session.publish(System.nanoTime());
      }
      session.awaitPublished(Duration.ofSeconds(30));
      assertThat(handled.await(30, TimeUnit.SECONDS)).as("all %d requests handled", EVENTS)
          .isTrue();
    }

    TreeSet<String> headerNames() {
      return requests.stream().flatMap(r -> r.headers.keySet().stream())
          .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The most frequent body length (a timestamp ending in zeros is printed shorter). */
    int commonBodyLength() {
      return requests.stream().collect(Collectors.groupingBy(r -> r.body.length,
              Collectors.counting()))
          .entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }
  }
}
