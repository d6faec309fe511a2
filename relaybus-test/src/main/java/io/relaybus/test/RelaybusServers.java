package io.relaybus.test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real servers for tests and development runs, one line each:
 *
 * <pre>{@code
 * try (EventBus bus = EventBus.create(RelaybusServers.postgres().relaybusProperties())) { ... }
 * }</pre>
 *
 * <p>Each server is started on first use, shared by everything in the JVM, and stopped when the
 * JVM exits (or, in JUnit, when the test run ends: see {@link WithRelaybusServers}). Where it
 * comes from, in this order:
 * <ol>
 *   <li>an external server, when its environment variable is set: {@value #POSTGRES_URL_ENV}
 *       (with {@value #POSTGRES_USER_ENV}, default {@code postgres}, and
 *       {@value #POSTGRES_PASSWORD_ENV}, default empty), {@value #KAFKA_BOOTSTRAP_ENV},
 *       {@value #SCHEMA_REGISTRY_URL_ENV};</li>
 *   <li>else as {@value #SERVERS_PROPERTY} (a system property, or the environment variable
 *       {@value #SERVERS_ENV}) says: {@code embedded}, the default, runs the servers on this
 *       machine without Docker (PostgreSQL from zonky's binaries for Linux x86-64 and arm64,
 *       macOS x86-64 and arm64 and Windows x86-64; Kafka in a child JVM; Apicurio Registry as
 *       a child process with a Java 21+ runtime); {@code testcontainers} runs them in Docker
 *       (PostgreSQL 17, {@code apache/kafka}, {@code apicurio/apicurio-registry}), which needs
 *       a Docker engine and {@code org.testcontainers:testcontainers} on the class path.</li>
 * </ol>
 *
 * <p>Thread-safe; the first call for a server blocks until it is ready.
 */
public final class RelaybusServers {

  /** System property: where servers come from, {@code embedded} or {@code testcontainers}. */
  public static final String SERVERS_PROPERTY = "relaybus.test.servers";
  /** Environment variable read when {@value #SERVERS_PROPERTY} is not set. */
  public static final String SERVERS_ENV = "RELAYBUS_TEST_SERVERS";
  /** JDBC URL of an external PostgreSQL ({@code jdbc:postgresql://host:port/database}). */
  public static final String POSTGRES_URL_ENV = "RELAYBUS_TEST_POSTGRES_URL";
  /** User for {@value #POSTGRES_URL_ENV}; default {@code postgres}. */
  public static final String POSTGRES_USER_ENV = "RELAYBUS_TEST_POSTGRES_USER";
  /** Password for {@value #POSTGRES_URL_ENV}; default empty. */
  public static final String POSTGRES_PASSWORD_ENV = "RELAYBUS_TEST_POSTGRES_PASSWORD";
  /** Bootstrap servers of an external Kafka broker. */
  public static final String KAFKA_BOOTSTRAP_ENV = "RELAYBUS_TEST_KAFKA_BOOTSTRAP_SERVERS";
  /** Base URL of an external Confluent-compatible schema registry. */
  public static final String SCHEMA_REGISTRY_URL_ENV = "RELAYBUS_TEST_SCHEMA_REGISTRY_URL";

  private static final Logger LOG = LoggerFactory.getLogger(RelaybusServers.class);
  private static final Object LOCK = new Object();
  // guarded by LOCK
  private static PostgresServer postgres;
  private static KafkaServer kafka;
  private static SchemaRegistryServer schemaRegistry;
  private static final List<AutoCloseable> STARTED = new ArrayList<>();
  private static boolean hookInstalled;

  private RelaybusServers() {}

  /**
   * The PostgreSQL 17 server of this JVM, started on first use.
   *
   * @return the running server
   * @throws TestServerException if it cannot be started or reached, with what to install or set
   */
  public static PostgresServer postgres() {
    synchronized (LOCK) {
      if (postgres == null) {
        String url = env(POSTGRES_URL_ENV);
        postgres = url != null
            ? PostgresEndpoint.external(url, envOr(POSTGRES_USER_ENV, "postgres"),
                envOr(POSTGRES_PASSWORD_ENV, ""))
            : start(() -> mode() == Mode.EMBEDDED ? EmbeddedPostgresServer.start()
                : inContainer(() -> ContainerServers.postgres()));
      }
      return postgres;
    }
  }

  /**
   * The Kafka broker of this JVM, started on first use.
   *
   * @return the running broker
   * @throws TestServerException if it cannot be started or reached, with what to install or set
   */
  public static KafkaServer kafka() {
    synchronized (LOCK) {
      if (kafka == null) {
        String bootstrap = env(KAFKA_BOOTSTRAP_ENV);
        kafka = bootstrap != null ? new KafkaEndpoint(bootstrap,
            "external, " + KAFKA_BOOTSTRAP_ENV, () -> { })
            : start(() -> mode() == Mode.EMBEDDED ? EmbeddedKafkaServer.start()
                : inContainer(() -> ContainerServers.kafka()));
      }
      return kafka;
    }
  }

  /**
   * The schema registry of this JVM, started on first use. Embedded, it is Apicurio Registry,
   * which needs its distribution ({@code io.apicurio:apicurio-registry-app:tar.gz:all}, an
   * optional dependency an application declares) and a Java 21+ runtime.
   *
   * @return the running registry
   * @throws TestServerException if it cannot be started or reached, with what to install or set
   */
  public static SchemaRegistryServer schemaRegistry() {
    synchronized (LOCK) {
      if (schemaRegistry == null) {
        String url = env(SCHEMA_REGISTRY_URL_ENV);
        schemaRegistry = url != null ? new RegistryEndpoint(url,
            "external, " + SCHEMA_REGISTRY_URL_ENV, () -> { })
            : start(() -> mode() == Mode.EMBEDDED ? EmbeddedSchemaRegistry.start()
                : inContainer(() -> ContainerServers.schemaRegistry()));
      }
      return schemaRegistry;
    }
  }

  /**
   * Whether Testcontainers is on the class path and finds a Docker engine, for tests that run
   * only where the {@code testcontainers} way can work (such as JUnit's {@code @EnabledIf}).
   *
   * @return true if {@code relaybus.test.servers=testcontainers} can start servers here
   */
  public static boolean dockerAvailable() {
    return testcontainersOnClassPath() && ContainerServers.dockerAvailable();
  }

  /**
   * Stops every server this class started; the next call for one starts a new one. External
   * servers are left running.
   */
  static void stopAll() {
    List<AutoCloseable> toStop;
    synchronized (LOCK) {
      toStop = new ArrayList<>(STARTED);
      STARTED.clear();
      postgres = null;
      kafka = null;
      schemaRegistry = null;
    }
    for (int i = toStop.size() - 1; i >= 0; i--) {
      try {
        toStop.get(i).close();
      } catch (Exception e) {
        LOG.warn("could not stop {}", toStop.get(i), e);
      }
    }
  }

  private static <T extends AutoCloseable> T start(Supplier<T> starter) {
    if (!hookInstalled) {
      Runtime.getRuntime().addShutdownHook(new Thread(RelaybusServers::stopAll,
          "relaybus-test-servers-shutdown"));
      hookInstalled = true;
    }
    T server = starter.get();
    STARTED.add(server);
    LOG.info("started for tests: {}", server);
    return server;
  }

  /** Starts a container once it is safe to load ContainerServers: Testcontainers is there. */
  private static <T> T inContainer(Supplier<T> starter) {
    if (!testcontainersOnClassPath()) {
      throw new TestServerException(SERVERS_PROPERTY + "=testcontainers needs"
          + " org.testcontainers:testcontainers on the test class path (an optional dependency"
          + " of relaybus-test: declare it)");
    }
    return starter.get();
  }

  private static boolean testcontainersOnClassPath() {
    try {
      Class.forName("org.testcontainers.DockerClientFactory", false,
          RelaybusServers.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** Where servers without an external one come from. */
  enum Mode { EMBEDDED, TESTCONTAINERS }

  static Mode mode() {
    String value = System.getProperty(SERVERS_PROPERTY);
    String source = SERVERS_PROPERTY;
    if (value == null || value.isBlank()) {
      value = System.getenv(SERVERS_ENV);
      source = SERVERS_ENV;
    }
    if (value == null || value.isBlank()) {
      return Mode.EMBEDDED;
    }
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "embedded":
        return Mode.EMBEDDED;
      case "testcontainers":
        return Mode.TESTCONTAINERS;
      default:
        throw new TestServerException(source + "=" + value
            + " is not a way to get servers: use 'embedded' (the default) or 'testcontainers'");
    }
  }

  private static String env(String name) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? null : value.trim();
  }

  private static String envOr(String name, String defaultValue) {
    String value = System.getenv(name);
    return value == null ? defaultValue : value;
  }
}
