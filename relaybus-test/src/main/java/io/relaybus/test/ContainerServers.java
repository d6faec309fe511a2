package io.relaybus.test;

import java.time.Duration;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.FixedHostPortGenericContainer;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The servers in Docker through Testcontainers: {@code postgres:17}, {@code apache/kafka} and
 * {@code apicurio/apicurio-registry} of the versions this module was built with, each image
 * replaceable by a system property. Loaded only when {@link RelaybusServers#SERVERS_PROPERTY}
 * asks for Testcontainers, so that Testcontainers can stay an optional dependency.
 */
final class ContainerServers {
  /** System property: the PostgreSQL image. */
  static final String POSTGRES_IMAGE_PROPERTY = "relaybus.test.postgres.image";
  /** System property: the Kafka image (an {@code apache/kafka} one). */
  static final String KAFKA_IMAGE_PROPERTY = "relaybus.test.kafka.image";
  /** System property: the Apicurio Registry image. */
  static final String REGISTRY_IMAGE_PROPERTY = "relaybus.test.schema-registry.image";
  private static final String POSTGRES_PASSWORD = "postgres";
  private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(3);

  private ContainerServers() {}

  static PostgresEndpoint postgres() {
    requireDocker();
    GenericContainer<?> container = new GenericContainer<>(image(POSTGRES_IMAGE_PROPERTY,
        "postgres:17"))
        .withEnv("POSTGRES_PASSWORD", POSTGRES_PASSWORD)
        .withExposedPorts(5432)
        .withCommand("postgres", "-c", "max_connections=200")
        // initdb starts and stops a server before the real one: wait for the second.
        .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*\\s", 2)
            .withStartupTimeout(STARTUP_TIMEOUT));
    container.start();
    String url = "jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(5432)
        + "/postgres";
    PostgresEndpoint server = new PostgresEndpoint(url, "postgres", POSTGRES_PASSWORD,
        "container " + container.getDockerImageName(), container::stop);
    server.awaitConnection(STARTUP_TIMEOUT.toMillis());
    return server;
  }

  /**
   * An {@code apache/kafka} broker in KRaft mode. Clients outside Docker reach it at the host's
   * port, which it must advertise, so that port is chosen before the container starts.
   */
  @SuppressWarnings({"deprecation", "resource"}) // a fixed host port is the point; stop() closes
  static KafkaEndpoint kafka() {
    requireDocker();
    String host = DockerClientFactory.instance().dockerHostIpAddress();
    int hostPort = EmbeddedPostgresServer.freePort();
    FixedHostPortGenericContainer<?> container = new FixedHostPortGenericContainer<>(
        image(KAFKA_IMAGE_PROPERTY, "apache/kafka:" + Versions.get("kafka"))
            .asCanonicalNameString())
        .withFixedExposedPort(hostPort, 9092)
        .withEnv("KAFKA_NODE_ID", "1")
        .withEnv("KAFKA_PROCESS_ROLES", "broker,controller")
        .withEnv("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
        .withEnv("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://" + host + ":" + hostPort)
        .withEnv("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .withEnv("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT")
        .withEnv("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
        .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
        .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .waitingFor(Wait.forLogMessage(".*Kafka Server started.*", 1)
            .withStartupTimeout(STARTUP_TIMEOUT));
    container.start();
    String bootstrap = host + ":" + hostPort;
    KafkaEndpoint server = new KafkaEndpoint(bootstrap,
        "container " + container.getDockerImageName(), container::stop);
    try {
      EmbeddedKafkaServer.awaitReady(bootstrap, container::isRunning,
          () -> "container logs:\n" + container.getLogs());
    } catch (RuntimeException e) {
      container.stop();
      throw e;
    }
    return server;
  }

  static RegistryEndpoint schemaRegistry() {
    requireDocker();
    GenericContainer<?> container = new GenericContainer<>(image(REGISTRY_IMAGE_PROPERTY,
        "apicurio/apicurio-registry:" + Versions.get("apicurio-registry")))
        .withExposedPorts(8080)
        .waitingFor(Wait.forHttp("/apis/ccompat/v7/subjects").forStatusCode(200)
            .withStartupTimeout(STARTUP_TIMEOUT));
    container.start();
    return new RegistryEndpoint("http://" + container.getHost() + ":"
        + container.getMappedPort(8080) + "/apis/ccompat/v7",
        "container " + container.getDockerImageName(), container::stop);
  }

  static boolean dockerAvailable() {
    return DockerClientFactory.instance().isDockerAvailable();
  }

  private static void requireDocker() {
    if (!dockerAvailable()) {
      throw new TestServerException(RelaybusServers.SERVERS_PROPERTY + "=testcontainers, but no"
          + " Docker engine was found (Testcontainers looked at DOCKER_HOST, the Docker socket and"
          + " ~/.testcontainers.properties): start Docker, or use the embedded servers (unset "
          + RelaybusServers.SERVERS_PROPERTY + " and " + RelaybusServers.SERVERS_ENV + ")");
    }
  }

  private static DockerImageName image(String property, String defaultImage) {
    String configured = System.getProperty(property);
    return DockerImageName.parse(configured == null || configured.isBlank() ? defaultImage
        : configured.trim());
  }
}
