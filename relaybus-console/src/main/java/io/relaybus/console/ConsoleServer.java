package io.relaybus.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link Console} on the JDK's HTTP server ({@code com.sun.net.httpserver}), from code
 * with {@link #start} or from the command line: {@code java -jar
 * relaybus-console-<version>-standalone.jar --config app.properties}, where the
 * file holds the bus's {@code relaybus.*} keys and the console's {@code relaybus.console.*}
 * keys ({@code host}, 127.0.0.1 unless set; {@code port}, 8080 unless set). {@link #close()}
 * stops the server and its threads.
 */
public final class ConsoleServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);
  private static final String NODELAY = "sun.net.httpserver.nodelay";

  static {
    // The JDK's server writes a response's headers and its body apart; with Nagle's algorithm
    // on, the body then waits for the browser's delayed acknowledgement of the headers (40 ms
    // on Linux), on every page. The JDK reads this switch once, when the first server of the
    // JVM starts; an application that set it keeps its choice.
    if (System.getProperty(NODELAY) == null) {
      System.setProperty(NODELAY, "true");
    }
  }
  private static final int MAX_BODY_BYTES = 64 * 1024;

  private final HttpServer server;
  private final ExecutorService executor;
  private final Console console;

  private ConsoleServer(Console console, InetSocketAddress address) throws IOException {
    this.console = console;
    this.server = HttpServer.create(address, 0);
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "relaybus-console-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext(console.basePath().isEmpty() ? "/" : console.basePath(), this::serve);
    server.start();
  }

  /**
   * Starts serving a console.
   *
   * @param console the console
   * @param address where to listen; port 0 picks a free port
   * @return the running server
   * @throws UncheckedIOException when the address cannot be bound
   */
  public static ConsoleServer start(Console console, InetSocketAddress address) {
    Objects.requireNonNull(console, "console");
    Objects.requireNonNull(address, "address");
    try {
      return new ConsoleServer(console, address);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot listen on " + address + ": " + e.getMessage(), e);
    }
  }

  /**
   * The console's address.
   *
   * @return for example {@code http://127.0.0.1:8080/} (with the base path)
   */
  public URI uri() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1"
        : a.getAddress().getHostAddress();
    return URI.create("http://" + host + ":" + a.getPort() + console.basePath() + "/");
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath().substring(console.basePath().length());
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(MAX_BODY_BYTES + 1);
      }
      if (body.length > MAX_BODY_BYTES) {
        exchange.sendResponseHeaders(413, -1);
        return;
      }
      ConsoleResponse r = console.handle(new ConsoleRequest(exchange.getRequestMethod(), path,
          exchange.getRequestURI().getRawQuery(), exchange.getRequestHeaders(), body));
      for (Map.Entry<String, List<String>> h : r.headers().entrySet()) {
        exchange.getResponseHeaders().put(h.getKey(), h.getValue());
      }
      byte[] out = r.body();
      boolean head = exchange.getRequestMethod().equalsIgnoreCase("HEAD");
      exchange.sendResponseHeaders(r.status(), head || out.length == 0 ? -1 : out.length);
      if (!head && out.length > 0) {
        try (OutputStream os = exchange.getResponseBody()) {
          os.write(out);
        }
      }
    } catch (RuntimeException e) {
      LOG.error("Console request {} failed", exchange.getRequestURI(), e);
      throw e;
    }
  }

  /** Stops the server (waiting up to a second for requests in progress) and its threads. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs a bus and its console from a properties file until the process is stopped.
   *
   * @param args {@code --config <file>}
   * @throws IOException when the file cannot be read
   * @throws InterruptedException when interrupted while serving
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length != 2 || !args[0].equals("--config")) {
      throw new ConfigurationException("Usage: ConsoleServer --config app.properties");
    }
    Properties all = new Properties();
    try (InputStream in = Files.newInputStream(Path.of(args[1]))) {
      all.load(in);
    }
    Properties busConfig = new Properties();
    all.forEach((k, v) -> {
      if (!String.valueOf(k).startsWith(Console.PREFIX)) {
        busConfig.put(k, v);
      }
    });
    String host = all.getProperty(Console.PREFIX + "host", "127.0.0.1");
    int port = Integer.parseInt(all.getProperty(Console.PREFIX + "port", "8080").trim());
    EventBus bus = EventBus.create(busConfig);
    Console console = Console.builder(bus).properties(all).build();
    ConsoleServer server = start(console, new InetSocketAddress(host, port));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      bus.close();
      stopped.countDown();
    }, "relaybus-console-shutdown"));
    LOG.info("Relaybus console at {}", server.uri());
    stopped.await();
  }
}
