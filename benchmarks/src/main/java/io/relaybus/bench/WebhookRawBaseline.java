package io.relaybus.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A raw OkHttp POST loop against a receiver on loopback: what an application would write to
 * call a webhook without the library — no outbox, no retry.
 *
 * <p>Two requests, chosen with {@value #REQUEST} ({@code --set raw.request=...}):
 *
 * <ul>
 *   <li>{@code bare} (default): the 200-byte JSON data with the stamp in a header and no
 *       signature; the wire format's own cost (envelope, signature headers) shows against
 *       this one.</li>
 *   <li>{@code signed}: the request a hand-written Standard Webhooks sender would post for the
 *       event — the same body bytes Relaybus sends for it (the JSON envelope
 *       {@code type}/{@code timestamp}/{@code relaybus}/{@code data}, the stamp as the event's
 *       {@code sentnanos} extension), the same headers ({@code webhook-id},
 *       {@code webhook-timestamp}, {@code webhook-signature}, {@code webhook-attempt}), signed
 *       per request here with {@link Mac} (HMAC-SHA256 over {@code id.timestamp.body},
 *       {@code v1,<base64>}), without calling transport code. The sender's own work compares
 *       against this one.</li>
 * </ul>
 *
 * <ul>
 *   <li><b>Publish:</b> {@code POST} of the request through OkHttp's asynchronous dispatcher
 *       limited to {@code raw.concurrency} requests at once (default 8, the same concurrency as
 *       the Relaybus sender's per-endpoint limit). A publish is done when the receiver answered
 *       2xx.</li>
 *   <li><b>Consume:</b> the {@link HttpStampReceiver} (a JDK HTTP server on 127.0.0.1 with
 *       {@code raw.concurrency} threads) reads the body, calls the listener with the stamp and
 *       answers {@code 204}; the Relaybus side posts to the same kind of receiver.</li>
 * </ul>
 */
public final class WebhookRawBaseline implements RawBaseline {
  /** How many requests may be in flight at once. */
  public static final String CONCURRENCY = "raw.concurrency";
  /** Which request the raw side posts: {@code bare} (default) or {@code signed}. */
  public static final String REQUEST = "raw.request";
  static final String STAMP_HEADER = HttpStampReceiver.STAMP_HEADER;
  private static final Set<String> KEYS = Set.of(CONCURRENCY, REQUEST);
  private static final MediaType JSON = MediaType.get("application/json");

  private final String defaultRequest;

  /** Creates the baseline posting bare requests unless {@value #REQUEST} says otherwise. */
  public WebhookRawBaseline() {
    this("bare");
  }

  /**
   * Creates the baseline.
   *
   * @param defaultRequest {@code bare} or {@code signed}, used when {@value #REQUEST} is not set
   */
  WebhookRawBaseline(String defaultRequest) {
    this.defaultRequest = defaultRequest;
  }

  @Override
  public String description() {
    return "raw OkHttp POST loop (async dispatcher, same concurrency) to a JDK HttpServer "
        + "receiver on loopback; no outbox; " + (defaultRequest.equals("signed")
        ? "signed: the same Standard Webhooks body and headers as Relaybus, HMAC in the loop"
        : "bare: the 200-byte data, no envelope, no signature (raw.request=signed for "
            + "the Standard Webhooks request)");
  }

  @Override
  public MessagingSession open(SessionSpec spec) {
    for (String key : spec.settings().keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(key + " is not a setting of the webhook raw "
            + "baseline; its settings are: " + String.join(", ", new TreeSet<>(KEYS)));
      }
    }
    String value = spec.settings().getOrDefault(CONCURRENCY, "8");
    int concurrency;
    try {
      concurrency = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      concurrency = 0;
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException(CONCURRENCY + " must be a positive integer, got '"
          + value + "'");
    }
    String request = spec.settings().getOrDefault(REQUEST, defaultRequest).trim();
    if (!request.equals("bare") && !request.equals("signed")) {
      throw new IllegalArgumentException(REQUEST + " must be bare or signed, got '" + request
          + "'");
    }
    return new RawSession(spec, concurrency, request.equals("signed"),
        new HttpStampReceiver(concurrency));
  }

  /** One receiver and one client. */
  static final class RawSession implements MessagingSession {
    private final HttpStampReceiver receiver;
    private final OkHttpClient client;
    private final Request.Builder request;
    private final byte[] payload;
    private final PendingPublishes pending;
    private final SignedRequests signed;

    RawSession(SessionSpec spec, int concurrency, boolean signed, HttpStampReceiver receiver) {
      this.payload = spec.payload();
      this.pending = new PendingPublishes(spec.publishWindow(), spec.timeout());
      this.receiver = receiver;
      this.signed = signed ? new SignedRequests(spec.topic(), spec.payload()) : null;
      Dispatcher dispatcher = new Dispatcher();
      dispatcher.setMaxRequests(concurrency);
      dispatcher.setMaxRequestsPerHost(concurrency);
      client = new OkHttpClient.Builder()
          .dispatcher(dispatcher)
          .connectionPool(new ConnectionPool(concurrency, 1, TimeUnit.MINUTES))
          .retryOnConnectionFailure(false)
          .followRedirects(false)
          .callTimeout(Duration.ofSeconds(30))
          .build();
      request = new Request.Builder().url(receiver.baseUrl() + spec.topic());
    }

    /** The signing key of a signed session, for tests that verify its requests. */
    byte[] signingKey() {
      if (signed == null) {
        throw new IllegalStateException("a bare session does not sign");
      }
      return signed.key();
    }

    @Override
    public void startConsumers(ConsumerSpec spec, StampListener l) {
      receiver.listen(l);
    }

    @Override
    public void publish(long stampNanos) {
      pending.add(post(stampNanos));
    }

    @Override
    public void publishBatch(long stampNanos, int count) {
      CompletableFuture<?>[] posts = new CompletableFuture<?>[count];
      for (int i = 0; i < count; i++) {
        posts[i] = post(stampNanos);
      }
      pending.add(CompletableFuture.allOf(posts));
    }

    private CompletableFuture<Void> post(long stampNanos) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      Request r = signed != null ? signed.request(request, stampNanos)
          : request.header(STAMP_HEADER, Long.toString(stampNanos))
              .post(RequestBody.create(payload, JSON)).build();
      client.newCall(r).enqueue(new Callback() {
        @Override
        public void onFailure(Call call, IOException e) {
          f.completeExceptionally(e);
        }

        @Override
        public void onResponse(Call call, Response response) {
          try (response) {
            if (response.isSuccessful()) {
              f.complete(null);
            } else {
              f.completeExceptionally(new BenchmarkException("receiver answered "
                  + response.code()));
            }
          }
        }
      });
      return f;
    }

    @Override
    public void awaitPublished(Duration timeout) {
      pending.joinAll(timeout);
    }

    @Override
    public void close() {
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
      receiver.close();
    }
  }

  /**
   * A hand-written Standard Webhooks sender's request for one event: the body Relaybus's
   * Standard Webhooks form holds for the benchmark event (written here by concatenation: every
   * value is known to need no JSON escaping), a random {@code msg_} id, the attempt time in
   * seconds, and {@code v1,<base64 HMAC-SHA256(key, id.timestamp.body)>}.
   */
  static final class SignedRequests {
    private static final String SOURCE = "/relaybus/bench";
    private static final Base64.Encoder ID_CHARS = Base64.getUrlEncoder().withoutPadding();
    private final ThreadLocal<Mac> mac;
    private final byte[] key;
    private final String topic;
    private final byte[] head;
    private final byte[] tail;

    SignedRequests(String topic, byte[] payload) {
      key = new byte[32];
      ThreadLocalRandom.current().nextBytes(key);
      SecretKeySpec spec = new SecretKeySpec(key, "HmacSHA256");
      mac = ThreadLocal.withInitial(() -> {
        try {
          Mac m = Mac.getInstance("HmacSHA256");
          m.init(spec);
          return m;
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("HmacSHA256 is not available", e);
        }
      });
      head = ("{\"type\":\"" + RelaybusSession.TYPE + "\",\"timestamp\":\"")
          .getBytes(StandardCharsets.UTF_8);
      this.topic = topic;
      tail = concat("\"}},\"data\":".getBytes(StandardCharsets.UTF_8), payload,
          "}".getBytes(StandardCharsets.UTF_8));
    }

    /** The signing key, for a test that verifies what this side sends. */
    byte[] key() {
      return key.clone();
    }

    Request request(Request.Builder b, long stampNanos) {
      byte[] body = body(Instant.now().truncatedTo(ChronoUnit.MICROS).toString(), randomUuid(),
          stampNanos);
      String id = "msg_" + ID_CHARS.encodeToString(randomBytes(20));
      String timestamp = Long.toString(Instant.now().getEpochSecond());
      Mac m = mac.get();
      m.update(id.getBytes(StandardCharsets.US_ASCII));
      m.update((byte) '.');
      m.update(timestamp.getBytes(StandardCharsets.US_ASCII));
      m.update((byte) '.');
      m.update(body);
      String signature = "v1," + Base64.getEncoder().encodeToString(m.doFinal());
      return b.header("webhook-id", id)
          .header("webhook-timestamp", timestamp)
          .header("webhook-signature", signature)
          .header("webhook-attempt", "1")
          .post(RequestBody.create(body, JSON))
          .build();
    }

    byte[] body(String time, String eventId, long stampNanos) {
      String middle = time + "\",\"relaybus\":{\"specversion\":\"1.0\",\"topic\":\"" + topic
          + "\",\"id\":\"" + eventId + "\",\"source\":\"" + SOURCE
          + "\",\"datacontenttype\":\"application/json\",\"dataencoding\":\"json\","
          + "\"extensions\":{\"" + RelaybusSession.STAMP_HEADER + "\":\"" + stampNanos;
      return concat(head, middle.getBytes(StandardCharsets.UTF_8), tail);
    }

    private static byte[] randomBytes(int n) {
      byte[] b = new byte[n];
      ThreadLocalRandom.current().nextBytes(b);
      return b;
    }

    /** A version 4 UUID's text from a fast random source: only its shape matters here. */
    private static String randomUuid() {
      ThreadLocalRandom r = ThreadLocalRandom.current();
      return new UUID((r.nextLong() & ~0xF000L) | 0x4000L,
          (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L).toString();
    }

    private static byte[] concat(byte[]... parts) {
      int n = 0;
      for (byte[] p : parts) {
        n += p.length;
      }
      byte[] out = new byte[n];
      int at = 0;
      for (byte[] p : parts) {
        System.arraycopy(p, 0, out, at, p.length);
        at += p.length;
      }
      return out;
    }
  }
}
