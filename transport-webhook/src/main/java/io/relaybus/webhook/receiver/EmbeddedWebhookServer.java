package io.relaybus.webhook.receiver;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone webhook endpoint on the JDK's built-in HTTP server ({@code
 * com.sun.net.httpserver}), for applications without a web framework.
 *
 * <p>Each {@linkplain Builder#route(String, WebhookReceiver) route} maps one exact path to a
 * {@link WebhookReceiver}: one path for every topic, or one path per topic with {@link
 * WebhookReceiver.Builder#acceptTopics(String...)}; routes may be added and removed while the
 * server runs. Other paths get {@code 404}. Bodies are
 * read up to the receiver's limit and no further: a {@code Content-Length} above it is refused
 * before reading, a longer streamed body is refused once the limit is passed, and the
 * connection is then closed rather than drained.
 *
 * <p>Binds to the loopback address by default; set {@link Builder#bindAddress(String)} to
 * {@code 0.0.0.0} to accept remote senders (behind TLS termination: the JDK server here speaks
 * plain HTTP). Requests run on a fixed pool of named daemon threads, or on the {@linkplain
 * Builder#executor(java.util.concurrent.Executor) executor given}. {@link #close()} stops
 * accepting, waits for running handlers up to the grace period, then stops the server and the
 * pool; it is idempotent.
 *
 * <pre>{@code
 * try (EmbeddedWebhookServer server = EmbeddedWebhookServer.builder()
 *     .port(8080)
 *     .route("/webhooks", receiver)
 *     .start()) {
 *   ...
 * }
 * }</pre>
 */
public final class EmbeddedWebhookServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedWebhookServer.class);
  private static final String NODELAY = "sun.net.httpserver.nodelay";

  static {
    // The JDK's server writes an answer's headers and its body apart; with Nagle's algorithm
    // on, the body then waits for the client's delayed acknowledgement of the headers (40 ms on
    // Linux), on every answer that has a body. The JDK reads this switch once, when the first
    // server of the JVM starts; an application that set it keeps its choice.
    if (System.getProperty(NODELAY) == null) {
      System.setProperty(NODELAY, "true");
    }
  }

  private final HttpServer server;
  /** The server's own request pool, or {@code null} when the caller gave an executor. */
  private final ExecutorService ownExecutor;
  private final Map<String, WebhookReceiver> routes = new ConcurrentHashMap<>();
  private final Duration shutdownGrace;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object idle = new Object();

  private EmbeddedWebhookServer(Builder b) throws IOException {
    this.shutdownGrace = b.shutdownGrace;
    this.server = HttpServer.create(new InetSocketAddress(b.bindAddress, b.port), b.backlog);
    if (b.executor != null) {
      this.ownExecutor = null;
      server.setExecutor(b.executor);
    } else {
      AtomicInteger threadNumber = new AtomicInteger();
      int port = server.getAddress().getPort();
      this.ownExecutor = new ThreadPoolExecutor(b.threads, b.threads, 0, TimeUnit.MILLISECONDS,
          new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "relaybus-webhook-receiver-" + port + "-"
                + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
      server.setExecutor(ownExecutor);
    }
    b.routes.forEach(this::addRoute);
    server.start();
    LOG.info("Webhook receiver listening on {} (routes {})", baseUri(), routes.keySet());
  }

  /**
   * Starts configuring a server.
   *
   * @return a builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The port the server listens on (the chosen one when configured with port 0).
   *
   * @return the port
   */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * The server's base URI, such as {@code http://127.0.0.1:41234}.
   *
   * @return the URI without a path
   */
  public URI baseUri() {
    InetAddress address = server.getAddress().getAddress();
    String host = address.isAnyLocalAddress() ? InetAddress.getLoopbackAddress().getHostAddress()
        : address.getHostAddress();
    if (host.indexOf(':') >= 0) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + port());
  }

  /**
   * The URI of a route.
   *
   * @param path the route's path, starting with {@code /}
   * @return the URI
   */
  public URI uri(String path) {
    return baseUri().resolve(path);
  }

  /**
   * Serves a receiver at an exact path from now on, while the server runs.
   *
   * @param path the path, starting with {@code /}, such as {@code /webhooks/orders}
   * @param receiver the receiver
   * @throws IllegalArgumentException when the path is malformed or already routed
   */
  public void addRoute(String path, WebhookReceiver receiver) {
    Objects.requireNonNull(receiver, "receiver");
    checkPath(path);
    if (routes.putIfAbsent(path, receiver) != null) {
      throw new IllegalArgumentException("Webhook route '" + path + "' is defined twice");
    }
    server.createContext(path, exchange -> serve(exchange, path, receiver));
  }

  /**
   * Stops serving a path; its requests get {@code 404} from now on. Requests already running
   * finish.
   *
   * @param path the route's path
   * @return whether the path was routed
   */
  public boolean removeRoute(String path) {
    Objects.requireNonNull(path, "path");
    if (routes.remove(path) == null) {
      return false;
    }
    server.removeContext(path);
    return true;
  }

  private static void checkPath(String path) {
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/") || path.contains("?") || path.contains("#")) {
      throw new IllegalArgumentException("Webhook route path must start with '/' and hold "
          + "no query or fragment, got '" + path + "'");
    }
  }

  private void serve(HttpExchange exchange, String path, WebhookReceiver receiver) {
    inFlight.incrementAndGet();
    try (exchange) {
      if (closed.get()) {
        send(exchange, WebhookResponse.of(503, "shutting down", Map.of("Retry-After", "5")));
      } else if (!exchange.getRequestURI().getPath().equals(path)) {
        // HttpServer matches contexts by prefix; webhook routes are exact.
        send(exchange, WebhookResponse.of(404, "no webhook route here"));
      } else {
        InputStream body = exchange.getRequestBody();
        WebhookResponse response = receiver.handle(exchange.getRequestMethod(),
            exchange.getRequestHeaders(), body);
        if (response.status() == 413) {
          // Do not let the server drain the rest of an oversize body: close the connection.
          exchange.getResponseHeaders().set("Connection", "close");
        }
        send(exchange, response);
      }
    } catch (IOException | UncheckedIOException e) {
      LOG.debug("Webhook exchange on {} failed: {}", path, e.toString());
    } catch (RuntimeException e) {
      LOG.error("Webhook exchange on {} failed unexpectedly", path, e);
    } finally {
      if (inFlight.decrementAndGet() == 0) {
        synchronized (idle) {
          idle.notifyAll();
        }
      }
    }
  }

  private static void send(HttpExchange exchange, WebhookResponse response) throws IOException {
    response.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
    byte[] body = response.body();
    boolean empty = body.length == 0 || "HEAD".equalsIgnoreCase(exchange.getRequestMethod());
    exchange.sendResponseHeaders(response.status(), empty ? -1 : body.length);
    if (!empty) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /**
   * Stops accepting webhooks (new requests get {@code 503}), waits up to the grace period for
   * running handlers, then stops the HTTP server and its threads. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long deadline = System.nanoTime() + shutdownGrace.toNanos();
    synchronized (idle) {
      long left;
      while (inFlight.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(idle, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    server.stop(0);
    if (ownExecutor != null) {
      ownExecutor.shutdown();
      try {
        if (!ownExecutor.awaitTermination(Math.max(1, shutdownGrace.toMillis()),
            TimeUnit.MILLISECONDS)) {
          ownExecutor.shutdownNow();
        }
      } catch (InterruptedException e) {
        ownExecutor.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    LOG.info("Webhook receiver on port {} stopped", port());
  }

  @Override
  public String toString() {
    return "EmbeddedWebhookServer{" + baseUri() + "}";
  }

  /** Configures and starts an {@link EmbeddedWebhookServer}. Not thread-safe. */
  public static final class Builder {
    private InetAddress bindAddress = InetAddress.getLoopbackAddress();
    private int port = 0;
    private int threads = 8;
    private int backlog = 0;
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private Executor executor;
    private final Map<String, WebhookReceiver> routes = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets the address to listen on; default loopback.
     *
     * @param address an IP literal or host name, such as {@code 0.0.0.0} for all interfaces
     * @return this builder
     * @throws IllegalArgumentException when the address cannot be resolved
     */
    public Builder bindAddress(String address) {
      Objects.requireNonNull(address, "address");
      try {
        this.bindAddress = InetAddress.getByName(address);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("Cannot resolve webhook receiver bind address '"
            + address + "'", e);
      }
      return this;
    }

    /**
     * Sets the address to listen on; default loopback.
     *
     * @param address the address
     * @return this builder
     */
    public Builder bindAddress(InetAddress address) {
      this.bindAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Sets the port; 0 (the default) picks a free one, see {@link #port()}.
     *
     * @param port 0 to 65535
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("Webhook receiver port must be 0 to 65535, got "
            + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Sets the number of request threads, which bounds how many handlers run at once.
     *
     * @param threads 1 to 1024; default 8
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder threads(int threads) {
      if (threads < 1 || threads > 1024) {
        throw new IllegalArgumentException("Webhook receiver threads must be 1 to 1024, got "
            + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * Runs requests on the given executor instead of the server's own pool of {@link
     * #threads(int)} threads, for example virtual threads or a pool the application sizes
     * itself. The caller owns it: {@link #close()} does not shut it down.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Sets the TCP accept backlog; 0 (the default) uses the system default.
     *
     * @param backlog the backlog, not negative
     * @return this builder
     */
    public Builder backlog(int backlog) {
      if (backlog < 0) {
        throw new IllegalArgumentException("backlog must not be negative, got " + backlog);
      }
      this.backlog = backlog;
      return this;
    }

    /**
     * Sets how long {@link #close()} waits for running handlers.
     *
     * @param grace the grace period, not negative; default 10 s
     * @return this builder
     */
    public Builder shutdownGrace(Duration grace) {
      Objects.requireNonNull(grace, "grace");
      if (grace.isNegative()) {
        throw new IllegalArgumentException("shutdownGrace must not be negative, got " + grace);
      }
      this.shutdownGrace = grace;
      return this;
    }

    /**
     * Serves a receiver at an exact path.
     *
     * @param path the path, starting with {@code /}, such as {@code /webhooks/orders}
     * @param receiver the receiver
     * @return this builder
     * @throws IllegalArgumentException when the path is malformed or already routed
     */
    public Builder route(String path, WebhookReceiver receiver) {
      Objects.requireNonNull(receiver, "receiver");
      checkPath(path);
      if (routes.putIfAbsent(path, receiver) != null) {
        throw new IllegalArgumentException("Webhook route '" + path + "' is defined twice");
      }
      return this;
    }

    /**
     * Binds and starts the server with the routes given so far; {@link
     * EmbeddedWebhookServer#addRoute(String, WebhookReceiver)} adds more while it runs.
     *
     * @return the running server
     * @throws UncheckedIOException when the address cannot be bound (for example the port is
     *     taken)
     */
    public EmbeddedWebhookServer start() {
      try {
        return new EmbeddedWebhookServer(this);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot listen for webhooks on "
            + bindAddress.getHostAddress() + ":" + port + ": " + e.getMessage(), e);
      }
    }
  }
}
