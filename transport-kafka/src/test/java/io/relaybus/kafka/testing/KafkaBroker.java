package io.relaybus.kafka.testing;

import io.relaybus.tck.ChildJvm;
import io.relaybus.tck.TestInfrastructureException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker for tests: a single-node KRaft cluster (combined broker and controller)
 * running {@code kafka.Kafka} in a child JVM from the test classpath (the {@code kafka_2.13}
 * artifact from Maven Central; no Docker, no downloads). Because it is a process with a fixed
 * port and log directory, it can be stopped (SIGTERM, a clean shutdown), killed (SIGKILL) and
 * started again on the same port and data, which the fault tests need. Clients connect through
 * a {@link TcpProxy} (the broker advertises its port), so {@link #killConnections()} can cut
 * them like a network failure.
 *
 * <p>{@link #shared()} returns one broker per test JVM, or the external broker named by
 * {@value #BOOTSTRAP_ENV} (which cannot be restarted). Each test uses its own topics.
 */
public final class KafkaBroker implements AutoCloseable {
  /** Environment variable naming an external broker ({@code host:port,...}). */
  public static final String BOOTSTRAP_ENV = "RELAYBUS_TEST_KAFKA_BOOTSTRAP_SERVERS";
  /** Largest message the embedded broker accepts (the TCK sends 1 MiB payloads). */
  public static final int MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static KafkaBroker shared;

  private final String name;
  private final String bootstrapServers;
  private final Path dir;
  private final Path config;
  private final TcpProxy proxy;
  private ChildJvm process;

  private KafkaBroker(String name, String bootstrapServers, Path dir, Path config,
      TcpProxy proxy) {
    this.name = name;
    this.bootstrapServers = bootstrapServers;
    this.dir = dir;
    this.config = config;
    this.proxy = proxy;
  }

  /**
   * The broker shared by all test classes of this JVM: external when {@value #BOOTSTRAP_ENV} is
   * set, else embedded, started on first use and stopped when the JVM exits.
   *
   * @return the broker
   */
  public static synchronized KafkaBroker shared() {
    if (shared == null) {
      String external = System.getenv(BOOTSTRAP_ENV);
      shared = external != null && !external.isBlank()
          ? new KafkaBroker("external", external.trim(), null, null, null)
          : startEmbedded("shared");
      KafkaBroker broker = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(broker::close,
          "relaybus-test-kafka-broker-shutdown"));
    }
    return shared;
  }

  /**
   * Starts a new embedded broker on free ports and a fresh log directory.
   *
   * @param name a name for logs and the directory
   * @return the running broker
   * @throws TestInfrastructureException when it does not start
   */
  public static KafkaBroker startEmbedded(String name) {
    return startEmbedded(name, Map.of());
  }

  /**
   * Starts a new embedded broker on free ports and a fresh log directory, with broker settings
   * of its own (e.g. a lower {@code offset.metadata.max.bytes}).
   *
   * @param name a name for logs and the directory
   * @param brokerProperties broker properties set after the defaults
   * @return the running broker
   * @throws TestInfrastructureException when it does not start
   */
  public static KafkaBroker startEmbedded(String name, Map<String, String> brokerProperties) {
    try {
      Path dir = Files.createTempDirectory("relaybus-kafka-" + name + "-");
      int port = freePort();
      int controllerPort = freePort();
      // Clients reach the broker through a proxy (the advertised port), so a test can cut
      // their connections like a network failure.
      TcpProxy proxy = TcpProxy.start(port);
      Properties p = new Properties();
      p.setProperty("process.roles", "broker,controller");
      p.setProperty("node.id", "1");
      p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
      p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:"
          + controllerPort);
      p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + proxy.port());
      p.setProperty("controller.listener.names", "CONTROLLER");
      p.setProperty("inter.broker.listener.name", "PLAINTEXT");
      p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      p.setProperty("log.dirs", dir.resolve("data").toString());
      p.setProperty("num.partitions", "1");
      p.setProperty("auto.create.topics.enable", "false"); // the transport creates its topics
      p.setProperty("offsets.topic.replication.factor", "1");
      p.setProperty("offsets.topic.num.partitions", "8");
      p.setProperty("transaction.state.log.replication.factor", "1");
      p.setProperty("transaction.state.log.min.isr", "1");
      p.setProperty("share.coordinator.state.topic.replication.factor", "1");
      p.setProperty("share.coordinator.state.topic.min.isr", "1");
      p.setProperty("group.initial.rebalance.delay.ms", "0");
      p.setProperty("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
      p.setProperty("num.network.threads", "2");
      p.setProperty("num.io.threads", "4");
      p.setProperty("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
      brokerProperties.forEach(p::setProperty);
      Path config = dir.resolve("server.properties");
      try (var out = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
        p.store(out, "relaybus test broker " + name);
      }
      KafkaBroker broker = new KafkaBroker(name, "127.0.0.1:" + proxy.port(), dir, config,
          proxy);
      long started = System.nanoTime();
      broker.format();
      broker.start();
      LOG.info("Kafka broker '{}' {} ready in {} ms (log dir {})", name, broker.bootstrapServers,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), dir);
      return broker;
    } catch (IOException e) {
      throw new TestInfrastructureException("cannot prepare Kafka broker " + name, e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private static ChildJvm.Builder jvm(Class<?> main, String name) {
    return ChildJvm.builder(main).name(name).jvmOption("-Xmx768m")
        .jvmOption("-XX:+UseSerialGC").jvmOption("-XX:TieredStopAtLevel=1");
  }

  private void format() {
    String clusterId = Uuid.randomUuid().toString();
    try (ChildJvm format = jvm(kafka.tools.StorageTool.class, "kafka-format-" + name)
        .args("format", "-t", clusterId, "-c", config.toString()).start()) {
      int exit = format.awaitExit(START_TIMEOUT);
      if (exit != 0) {
        throw new TestInfrastructureException("formatting Kafka storage failed with exit code "
            + exit + ": " + format.lines() + " " + format.errorLines());
      }
    }
  }

  /**
   * Starts the broker process (again) on the same port and log directory and waits until it
   * answers.
   *
   * @throws TestInfrastructureException when it does not become ready
   */
  public synchronized void start() {
    requireEmbedded("start");
    if (process != null && process.isAlive()) {
      return;
    }
    process = jvm(kafka.Kafka.class, "kafka-broker-" + name).args(config.toString()).start();
    awaitReady();
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new TestInfrastructureException("Kafka broker " + name + " exited while starting: "
            + process.lines() + " " + process.errorLines());
      }
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
          bootstrapServers, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000))) {
        if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
          return;
        }
      } catch (Exception e) {
        last = new RuntimeException(e);
      }
    }
    throw new TestInfrastructureException("Kafka broker " + name + " at " + bootstrapServers
        + " did not become ready in " + START_TIMEOUT + "; output: " + process.errorLines(),
        last);
  }

  /**
   * Stops the broker cleanly (SIGTERM) and waits for it to exit; its data stays.
   */
  public synchronized void stop() {
    requireEmbedded("stop");
    if (process == null) {
      return;
    }
    ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroy);
    try {
      process.awaitExit(Duration.ofSeconds(60));
    } catch (RuntimeException e) {
      LOG.warn("Kafka broker {} did not stop within 60s after SIGTERM; killing it", name);
      process.kill();
    }
    process.close();
    process = null;
  }

  /**
   * Stops the broker and starts it again on the same port and data.
   */
  public void restart() {
    long t0 = System.nanoTime();
    stop();
    start();
    LOG.info("Kafka broker '{}' restarted in {} ms", name,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  /**
   * Cuts every client connection to the broker (TCP reset), as a network failure would; the
   * clients reconnect by themselves.
   *
   * @return how many sockets were cut
   */
  public int killConnections() {
    requireEmbedded("cut the connections of");
    return proxy.killConnections();
  }

  /**
   * Whether the broker can be stopped and restarted (only embedded ones).
   *
   * @return {@code true} for an embedded broker
   */
  public boolean canRestart() {
    return dir != null;
  }

  /**
   * The bootstrap servers.
   *
   * @return {@code host:port}
   */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * Bus configuration for this broker: the Kafka transport, its bootstrap servers, a producer
   * allowed to send the broker's largest message, plus {@code overrides}.
   *
   * @param overrides extra keys, winning
   * @return the configuration
   */
  public Map<String, String> busConfig(Map<String, String> overrides) {
    Map<String, String> config = new java.util.HashMap<>();
    config.put("relaybus.transport", "kafka");
    config.put("relaybus.kafka.bootstrap-servers", bootstrapServers);
    config.put("relaybus.kafka.producer.max.request.size", Integer.toString(MAX_MESSAGE_BYTES));
    config.putAll(overrides);
    return config;
  }

  private void requireEmbedded(String what) {
    if (dir == null) {
      throw new UnsupportedOperationException("cannot " + what + " the external Kafka broker "
          + bootstrapServers);
    }
  }

  /** Stops an embedded broker and deletes its data. Idempotent. */
  @Override
  public synchronized void close() {
    if (dir == null) {
      return;
    }
    proxy.close();
    if (process != null) {
      process.kill();
      process.close();
      process = null;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      LOG.debug("could not delete {}", dir, e);
    }
  }

  @Override
  public String toString() {
    return "KafkaBroker{" + name + ", " + bootstrapServers + "}";
  }
}
