package io.relaybus.kafka.schema.testing;

import io.relaybus.tck.TestInfrastructureException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apicurio Registry 3 for tests, serving the Confluent-compatible API at {@link
 * #ccompatUrl()}; or, when {@value #URL_ENV} is set, an external Confluent-compatible registry.
 *
 * <p>The embedded registry is the distribution {@code io.apicurio:apicurio-registry-app:tar.gz:all}
 * from Maven Central, unpacked by the build into {@code target/apicurio-registry}. It runs as a
 * child process on a free loopback port with in-memory storage and needs a Java 21+ runtime:
 * {@value #JAVA21_ENV}, else this JVM if it is 21+, else the newest JDK 21+ under {@code
 * /usr/lib/jvm}. Without one, tests using it are skipped with a message saying how to enable
 * them. Its log goes to {@code target/apicurio-registry-<port>.log}.
 *
 * <p>{@link #shared()} starts one registry per JVM and stops it when the JVM exits.
 */
public final class ApicurioRegistry {

  /** Base URL of an external Confluent-compatible registry to use instead of Apicurio. */
  public static final String URL_ENV = "RELAYBUS_TEST_SCHEMA_REGISTRY_URL";
  /** A JDK 21+ home to run Apicurio with. */
  public static final String JAVA21_ENV = "RELAYBUS_TEST_JAVA21_HOME";
  /** System property overriding where the unpacked distribution is. */
  public static final String HOME_PROPERTY = "relaybus.test.apicurio.home";

  private static final Logger LOG = LoggerFactory.getLogger(ApicurioRegistry.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
  private static final Object LOCK = new Object();
  private static ApicurioRegistry shared; // guarded by LOCK

  private final Process process; // null for an external registry
  private final String ccompatUrl;
  private final Path log;

  private ApicurioRegistry(Process process, String ccompatUrl, Path log) {
    this.process = process;
    this.ccompatUrl = ccompatUrl;
    this.log = log;
  }

  /**
   * The registry for this JVM's tests, started on first use.
   *
   * @return the running registry
   * @throws org.opentest4j.TestAbortedException if no Java 21+ runtime is found
   * @throws TestInfrastructureException if it cannot be started
   */
  public static ApicurioRegistry shared() {
    synchronized (LOCK) {
      if (shared == null) {
        String external = System.getenv(URL_ENV);
        if (external != null && !external.isBlank()) {
          shared = new ApicurioRegistry(null, external.trim(), null);
        } else {
          shared = start();
          Runtime.getRuntime().addShutdownHook(new Thread(shared::stop,
              "relaybus-test-apicurio-shutdown"));
        }
      }
      return shared;
    }
  }

  /**
   * The Confluent-compatible API's base URL, e.g. {@code http://127.0.0.1:40123/apis/ccompat/v7}.
   *
   * @return the URL
   */
  public String ccompatUrl() {
    return ccompatUrl;
  }

  /**
   * Apicurio's own REST API (v3), which Apicurio's serializers talk to.
   *
   * @return the URL, e.g. {@code http://127.0.0.1:40123/apis/registry/v3}; empty when an external
   *     registry is used, which may not be Apicurio
   */
  public Optional<String> apicurioApiUrl() {
    return process == null ? Optional.empty()
        : Optional.of(ccompatUrl.replace("/apis/ccompat/v7", "/apis/registry/v3"));
  }

  /**
   * Where the registry's output is written, for failure messages.
   *
   * @return the log file, or empty for an external registry
   */
  public Optional<Path> log() {
    return Optional.ofNullable(log);
  }

  /** Stops the child process (no-op for an external registry); idempotent. */
  public void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static ApicurioRegistry start() {
    Path java = findJava21().orElse(null);
    Assumptions.assumeTrue(java != null, "Apicurio Registry needs a Java 21+ runtime and none"
        + " was found: set " + JAVA21_ENV + " to a JDK 21+ home (or install one under"
        + " /usr/lib/jvm), or set " + URL_ENV + " to a running Confluent-compatible registry");
    Path home = Path.of(System.getProperty(HOME_PROPERTY, "target/apicurio-registry"))
        .toAbsolutePath();
    Path runner = home.resolve("quarkus-run.jar");
    if (!Files.isRegularFile(runner)) {
      throw new TestInfrastructureException("Apicurio Registry distribution not found at " + home
          + "; run the tests through Maven (./mvnw -pl transport-kafka test), whose"
          + " process-test-resources phase unpacks io.apicurio:apicurio-registry-app there");
    }
    int port = freePort();
    Path target = home.getParent();
    Path log = target.resolve("apicurio-registry-" + port + ".log");
    Path workDir = target.resolve("apicurio-registry-run-" + port);
    List<String> command = new ArrayList<>(List.of(java.toString(),
        "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:ActiveProcessorCount=1",
        "-Dquarkus.http.host=127.0.0.1",
        "-Dquarkus.http.port=" + port,
        // Apicurio's build enables Quarkus' management interface (a build-time setting, so
        // "enabled=false" does not turn it off); bind it to loopback on a free port instead of
        // 0.0.0.0:9000, which another registry or program may hold.
        "-Dquarkus.management.enabled=false",
        "-Dquarkus.management.host=127.0.0.1",
        "-Dquarkus.management.port=" + freePort(),
        "-Dquarkus.otel.enabled=false",
        "-jar", runner.toString()));
    Process process;
    try {
      Files.createDirectories(workDir);
      process = new ProcessBuilder(command).directory(workDir.toFile())
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw new TestInfrastructureException("Could not start Apicurio Registry with " + java
          + "; see " + log, e);
    }
    ApicurioRegistry registry = new ApicurioRegistry(process,
        "http://127.0.0.1:" + port + "/apis/ccompat/v7", log);
    long started = System.nanoTime();
    try {
      registry.awaitReady();
    } catch (RuntimeException e) {
      registry.stop();
      throw e;
    }
    LOG.info("Apicurio Registry ready at {} after {} ms (java {}, log {})", registry.ccompatUrl,
        Duration.ofNanos(System.nanoTime() - started).toMillis(), java, log);
    return registry;
  }

  private void awaitReady() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest probe = HttpRequest.newBuilder(URI.create(ccompatUrl + "/subjects"))
        .timeout(Duration.ofSeconds(5)).GET().build();
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    String last = "no answer yet";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new TestInfrastructureException("Apicurio Registry exited with code "
            + process.exitValue() + " before it was ready; see " + log + ":\n" + tail());
      }
      try {
        HttpResponse<String> response = http.send(probe,
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() == 200) {
          return;
        }
        last = "HTTP " + response.statusCode();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TestInfrastructureException("Interrupted waiting for Apicurio Registry", e);
      }
      try {
        Thread.sleep(250); // polling a child process's port; there is nothing to wait on
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TestInfrastructureException("Interrupted waiting for Apicurio Registry", e);
      }
    }
    throw new TestInfrastructureException("Apicurio Registry not ready at " + ccompatUrl
        + " after " + STARTUP_TIMEOUT.toSeconds() + " s (last probe: " + last + "); see " + log
        + ":\n" + tail());
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new TestInfrastructureException("No free loopback port for Apicurio Registry", e);
    }
  }

  /** The java launcher of a JDK 21+: the env var, this JVM, or the newest under /usr/lib/jvm. */
  static Optional<Path> findJava21() {
    String configured = System.getenv(JAVA21_ENV);
    if (configured != null && !configured.isBlank()) {
      Path java = Path.of(configured.trim(), "bin", "java");
      if (!Files.isExecutable(java)) {
        throw new TestInfrastructureException(JAVA21_ENV + "=" + configured
            + " has no executable bin/java");
      }
      return Optional.of(java);
    }
    if (Runtime.version().feature() >= 21) {
      return Optional.of(Path.of(System.getProperty("java.home"), "bin", "java"));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (Stream<Path> homes = Files.list(jvms)) {
      return homes.filter(home -> Files.isExecutable(home.resolve("bin/java")))
          .filter(home -> featureVersion(home) >= 21)
          .max(Comparator.comparingInt(ApicurioRegistry::featureVersion))
          .map(home -> home.resolve("bin/java"));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static int featureVersion(Path home) {
    Path release = home.resolve("release");
    if (!Files.isRegularFile(release)) {
      return 0;
    }
    Properties properties = new Properties();
    try (var reader = Files.newBufferedReader(release, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException e) {
      return 0;
    }
    String version = properties.getProperty("JAVA_VERSION", "").replace("\"", "");
    String feature = version.split("[.+-]")[0];
    try {
      return Integer.parseInt(feature);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
