package io.relaybus.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * call a webhook without the library — no outbox, no signature, no retry.
 *
 * <ul>
 *   <li><b>Publish:</b> {@code POST} of the JSON payload with the stamp in a header, through
 *       OkHttp's asynchronous dispatcher limited to {@code raw.concurrency} requests at once
 *       (default 8, the same concurrency as the Relaybus sender's per-endpoint limit). A
 *       publish is done when the receiver answered 2xx.</li>
 *   <li><b>Consume:</b> the {@link HttpStampReceiver} (a JDK HTTP server on 127.0.0.1 with
 *       {@code raw.concurrency} threads) reads the body, calls the listener with the stamp and
 *       answers {@code 204}; the Relaybus side posts to the same kind of receiver.</li>
 * </ul>
 */
public final class WebhookRawBaseline implements RawBaseline {
  /** How many requests may be in flight at once. */
  public static final String CONCURRENCY = "raw.concurrency";
  static final String STAMP_HEADER = HttpStampReceiver.STAMP_HEADER;
  private static final Set<String> KEYS = Set.of(CONCURRENCY);
  private static final MediaType JSON = MediaType.get("application/json");

  /** Creates the baseline. */
  public WebhookRawBaseline() {}

  @Override
  public String description() {
    return "raw OkHttp POST loop (async dispatcher, same concurrency) to a JDK HttpServer "
        + "receiver on loopback; no outbox, no signature";
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
    return new RawSession(spec, concurrency);
  }

  /** One receiver and one client. */
  static final class RawSession implements MessagingSession {
    private final HttpStampReceiver receiver;
    private final OkHttpClient client;
    private final Request.Builder request;
    private final byte[] payload;
    private final PendingPublishes pending;

    RawSession(SessionSpec spec, int concurrency) {
      this.payload = spec.payload();
      this.pending = new PendingPublishes(spec.publishWindow(), spec.timeout());
      this.receiver = new HttpStampReceiver(concurrency);
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
      Request r = request.header(STAMP_HEADER, Long.toString(stampNanos))
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
}
