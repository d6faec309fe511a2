package io.relaybus.kafka.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A registry that cannot be used says so in the first line of the failure, naming its URL and
 * the cause, within the client's timeouts: refused, unknown host, silent, unauthenticated, and
 * a URL that is not the registry's API.
 */
class RegistryFailureMessagesTest {
  private HttpServer server;
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicReference<String> body = new AtomicReference<>("{}");

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        byte[] answer = body.get().getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status.get(), answer.length);
        exchange.getResponseBody().write(answer);
      }
    });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private record Failure(SchemaRegistryException exception, Duration took) {
    String firstLine() {
      return exception.getMessage().lines().findFirst().orElse("");
    }
  }

  private static Failure failure(Supplier<?> call) {
    long t0 = System.nanoTime();
    Throwable thrown = catchThrowable(call::get);
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(thrown).isInstanceOf(SchemaRegistryException.class);
    return new Failure((SchemaRegistryException) thrown, took);
  }

  @Test
  @DisplayName("a refused port: connection refused, naming the URL, at once")
  void refusedPort() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String closed = "http://127.0.0.1:" + port;
    ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(closed).build();
    Failure f = failure(() -> client.schemaById(7));
    assertThat(f.exception()).isInstanceOf(RegistryUnavailableException.class);
    assertThat(f.firstLine()).isEqualTo("Schema registry at " + closed + " unreachable: "
        + "connection refused; could not fetch schema id 7 (GET " + closed + "/schemas/ids/7): "
        + "ConnectException");
    assertThat(f.took()).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  @DisplayName("an unknown host: named, at once")
  void unknownHost() {
    String unknown = "http://nonexistent.invalid:8081";
    ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(unknown).build();
    Failure f = failure(() -> client.schemaById(7));
    assertThat(f.exception()).isInstanceOf(RegistryUnavailableException.class);
    assertThat(f.firstLine()).startsWith("Schema registry at " + unknown + " unreachable: "
        + "host 'nonexistent.invalid' unknown; could not fetch schema id 7 (GET " + unknown
        + "/schemas/ids/7)");
    assertThat(f.took()).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  @DisplayName("a server that accepts and never answers: no answer within the request timeout")
  void silentServer() throws IOException {
    // The kernel completes the handshake into the backlog; nothing ever reads the request.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String silentUrl = "http://127.0.0.1:" + silent.getLocalPort();
      ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(silentUrl)
          .requestTimeout(Duration.ofMillis(800)).build();
      Failure f = failure(() -> client.schemaById(7));
      assertThat(f.exception()).isInstanceOf(RegistryUnavailableException.class);
      assertThat(f.firstLine()).startsWith("Schema registry at " + silentUrl + " unreachable: "
          + "no answer within 0.8s (request timeout); could not fetch schema id 7");
      assertThat(f.took()).isBetween(Duration.ofMillis(800), Duration.ofMillis(3_000));
    }
  }

  @Test
  @DisplayName("HTTP 401: unauthenticated, saying whether credentials were configured")
  void unauthorized() {
    status.set(401);
    body.set("{\"error_code\": 40101, \"message\": \"Unauthorized\"}");
    Failure f = failure(() -> ConfluentSchemaRegistryClient.builder(url()).build()
        .latest("orders-value"));
    assertThat(f.firstLine()).isEqualTo("Schema registry at " + url() + " rejected the request "
        + "as unauthenticated (HTTP 401): no credentials are configured. Could not fetch the "
        + "latest version of subject 'orders-value': HTTP 401, error code 40101: Unauthorized "
        + "(GET " + url() + "/subjects/orders-value/versions/latest) [subject 'orders-value']");
    assertThat(f.exception().httpStatus()).isEqualTo(401);

    Failure withCredentials = failure(() -> ConfluentSchemaRegistryClient.builder(url())
        .basicAuth("svc", "wrong-secret").build().latest("orders-value"));
    assertThat(withCredentials.firstLine()).startsWith("Schema registry at " + url()
        + " rejected the request as unauthenticated (HTTP 401): check the credentials. ")
        .doesNotContain("wrong-secret");
  }

  @Test
  @DisplayName("HTTP 404 without a registry error code: the URL is not the registry's API")
  void notTheRegistry() {
    status.set(404);
    body.set("<html>Not Found</html>");
    Failure f = failure(() -> ConfluentSchemaRegistryClient.builder(url()).build()
        .schemaById(7));
    assertThat(f.firstLine()).isEqualTo("Schema registry at " + url() + " answered HTTP 404 "
        + "without a registry error code: is " + url() + " the registry's base URL? Could not "
        + "fetch schema id 7: HTTP 404: <html>Not Found</html> (GET " + url()
        + "/schemas/ids/7)");
  }
}
