package io.relaybus.kafka.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The REST client against loopback HTTP servers that answer like a registry in trouble: error
 * codes without a specific class, auth headers, closed ports and servers that never answer.
 */
class ConfluentSchemaRegistryClientTest {

  private HttpServer server;
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicReference<String> body = new AtomicReference<>("{}");
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final List<String> contentTypes = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      try (exchange) {
        requests.incrementAndGet();
        exchange.getRequestBody().readAllBytes();
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        authorizations.add(auth == null ? "" : auth);
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        contentTypes.add(type == null ? "" : type);
        byte[] answer = body.get().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
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

  @Test
  void sendsTheRegistryContentTypeAndBasicAuth() {
    body.set("{\"id\": 7}");
    ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(url())
        .basicAuth("key", "secret").localCompatibilityCheck(false).build();
    assertThat(client.register("s-value", TestSchemas.ORDER_V1)).isEqualTo(7);
    assertThat(contentTypes).contains(ConfluentSchemaRegistryClient.CONTENT_TYPE);
    assertThat(authorizations).allMatch(a -> a.equals("Basic a2V5OnNlY3JldA=="));
  }

  @Test
  void sendsBearerTokens() {
    body.set("{\"compatibilityLevel\": \"FULL\"}");
    ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(url())
        .bearerToken("tok-123").build();
    assertThat(client.compatibility()).isEqualTo(CompatibilityLevel.FULL);
    assertThat(authorizations).containsExactly("Bearer tok-123");
  }

  @Test
  void registeredIdsAreCachedPerSubjectAndSchema() {
    body.set("{\"id\": 3}");
    ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(url())
        .localCompatibilityCheck(false).build();
    client.register("s-value", TestSchemas.ORDER_V1);
    int after = requests.get();
    assertThat(client.register("s-value", TestSchemas.ORDER_V1)).isEqualTo(3);
    assertThat(requests.get()).isEqualTo(after);
    body.set("{\"schema\": \"{}\", \"schemaType\": \"JSON\"}");
    assertThat(client.schemaById(3)).isEqualTo(TestSchemas.ORDER_V1);
    assertThat(requests.get()).isEqualTo(after);
  }

  @Test
  void confluentCode40901IsAnIncompatibleSchema() {
    status.set(409);
    body.set("{\"error_code\": 40901, \"message\": \"Schema being registered is incompatible\"}");
    ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(url())
        .localCompatibilityCheck(false).build();
    assertThatThrownBy(() -> client.register("orders-value", TestSchemas.ORDER_V1))
        .isInstanceOfSatisfying(IncompatibleSchemaException.class, e -> {
          assertThat(e.errorCode()).isEqualTo(40901);
          assertThat(e.reasons()).containsExactly("Schema being registered is incompatible");
        })
        .hasMessageContaining("orders-value");
  }

  @Test
  void otherErrorsCarryStatusCodeAndSubject() {
    status.set(500);
    body.set("{\"error_code\": 50001, \"message\": \"Error in the backend datastore\"}");
    ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(url()).build();
    assertThatThrownBy(() -> client.versions("orders-value"))
        .isExactlyInstanceOf(SchemaRegistryException.class)
        .satisfies(e -> {
          SchemaRegistryException failure = (SchemaRegistryException) e;
          assertThat(failure.httpStatus()).isEqualTo(500);
          assertThat(failure.errorCode()).isEqualTo(50001);
          assertThat(failure.subject()).isEqualTo("orders-value");
        })
        .hasMessageContaining("orders-value")
        .hasMessageContaining("50001")
        .hasMessageContaining("Error in the backend datastore");
  }

  @Test
  void unauthorizedWithoutJsonBodyStillNamesStatusAndSubject() {
    status.set(401);
    body.set("Unauthorized");
    ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(url())
        .basicAuth("key", "wrong-secret").build();
    assertThatThrownBy(() -> client.latest("orders-value"))
        .isExactlyInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("HTTP 401")
        .hasMessageContaining("orders-value")
        .hasMessageNotContaining("wrong-secret");
  }

  @Test
  @Timeout(30)
  void closedPortIsRegistryUnavailableNamingTheUrl() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    String closedUrl = "http://127.0.0.1:" + closedPort;
    ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(closedUrl)
        .connectTimeout(Duration.ofSeconds(2)).build();
    assertThatThrownBy(() -> client.register("orders-value", TestSchemas.ORDER_V1))
        .isInstanceOfSatisfying(RegistryUnavailableException.class,
            e -> assertThat(e.subject()).isEqualTo("orders-value"))
        .hasMessageContaining(closedUrl);
    assertThatThrownBy(() -> client.schemaById(1))
        .isInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining(closedUrl);
  }

  @Test
  @Timeout(30)
  void aRegistryThatNeverAnswersTimesOutAsUnavailable() throws Exception {
    List<Socket> held = new ArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try {
          while (!silent.isClosed()) {
            Socket socket = silent.accept();
            held.add(socket);
            InputStream in = socket.getInputStream();
            in.read(); // read the request's first byte and never answer
          }
        } catch (IOException closed) {
          // the test is over
        }
      }, "silent-registry");
      acceptor.setDaemon(true);
      acceptor.start();
      String silentUrl = "http://127.0.0.1:" + silent.getLocalPort();
      ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.builder(silentUrl)
          .requestTimeout(Duration.ofMillis(500)).build();
      assertThatThrownBy(() -> client.schemaById(1))
          .isInstanceOf(RegistryUnavailableException.class)
          .hasMessageContaining(silentUrl)
          .hasMessageContaining("Timeout");
    } finally {
      for (Socket socket : held) {
        try (OutputStream ignored = socket.getOutputStream()) {
          socket.close();
        }
      }
    }
  }

  @Test
  void rejectsBadBaseUrlsNamingThem() {
    assertThatThrownBy(() -> ConfluentSchemaRegistryClient.builder("localhost:8081"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("localhost:8081");
    assertThatThrownBy(() -> ConfluentSchemaRegistryClient.builder("http://u:p@host:8081"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("u:p");
  }
}
