package io.relaybus.bench;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;

/**
 * The webhook receiver both sides of the webhook benchmark post to: a JDK {@link HttpServer} on
 * 127.0.0.1 with a fixed pool of request threads. It reads the whole body, finds the stamp,
 * calls the listener and answers {@code 204}. It does not verify signatures (the raw side sends
 * none); what it costs is the same for both sides.
 *
 * <p>The stamp is read from, in order: the raw side's {@value #STAMP_HEADER} header; the
 * CloudEvents binary-mode header {@code ce-sentnanos}; the body of a Standard Webhooks payload,
 * where the event's extension {@code "sentnanos":"<digits>"} is found by a byte search.
 */
final class HttpStampReceiver implements AutoCloseable {
  /** The header the raw side carries its stamp in. */
  static final String STAMP_HEADER = "x-relaybus-bench-stamp";
  private static final String CE_STAMP_HEADER = "ce-" + RelaybusSession.STAMP_HEADER;
  private static final byte[] BODY_KEY =
      ("\"" + RelaybusSession.STAMP_HEADER + "\"").getBytes(StandardCharsets.US_ASCII);

  private final HttpServer server;
  private final ExecutorService threads;
  private volatile StampListener listener;
  private volatile BiConsumer<Headers, byte[]> inspector;

  /**
   * Starts the receiver on a free loopback port.
   *
   * @param threads request threads (requests beyond that wait in the server)
   */
  HttpStampReceiver(int threads) {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start the benchmark webhook receiver", e);
    }
    this.threads = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "bench-webhook-receiver");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(this.threads);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The base URL, {@code http://127.0.0.1:<port>/}. */
  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  /** Sets who is told about each request; before that, requests are answered and ignored. */
  void listen(StampListener l) {
    this.listener = l;
  }

  /**
   * Shows every request's headers and body to {@code i} before it is answered (tests compare
   * what the two sides send); {@code null} stops it.
   */
  void inspect(BiConsumer<Headers, byte[]> i) {
    this.inspector = i;
  }

  private void handle(HttpExchange exchange) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    BiConsumer<Headers, byte[]> i = inspector;
    if (i != null) {
      i.accept(exchange.getRequestHeaders(), body);
    }
    StampListener l = listener;
    if (l != null) {
      l.received(stamp(exchange, body));
    }
    exchange.sendResponseHeaders(204, -1);
    exchange.close();
  }

  private static long stamp(HttpExchange exchange, byte[] body) {
    String header = exchange.getRequestHeaders().getFirst(STAMP_HEADER);
    if (header == null) {
      header = exchange.getRequestHeaders().getFirst(CE_STAMP_HEADER);
    }
    if (header != null) {
      return Long.parseLong(header);
    }
    int at = indexOf(body, BODY_KEY);
    if (at < 0) {
      throw new IllegalStateException("request without a " + RelaybusSession.STAMP_HEADER
          + " stamp");
    }
    int i = at + BODY_KEY.length;
    while (i < body.length && (body[i] < '0' || body[i] > '9')) {
      i++; // the colon, spaces and the opening quote
    }
    long value = 0;
    while (i < body.length && body[i] >= '0' && body[i] <= '9') {
      value = value * 10 + (body[i++] - '0');
    }
    return value;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
