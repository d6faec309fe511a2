package io.relaybus.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft Kafka cluster (combined broker and controller): {@code kafka.Kafka} from
 * {@code kafka_2.13} on this JVM's class path, run in a child JVM on free loopback ports, with
 * its log directory in a temporary folder deleted when it stops. Its output goes to
 * {@code kafka.log} in that folder.
 */
final class EmbeddedKafkaServer {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaServer.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final String BROKER_MAIN = "kafka.Kafka";
  private static final String FORMAT_MAIN = "kafka.tools.StorageTool";

  private EmbeddedKafkaServer() {}

  static KafkaEndpoint start() {
    requireBrokerOnClassPath();
    Path dir;
    Path config;
    int port = EmbeddedPostgresServer.freePort();
    int controllerPort = EmbeddedPostgresServer.freePort();
    try {
      dir = Files.createTempDirectory("relaybus-test-kafka-");
      config = dir.resolve("server.properties");
      Properties p = new Properties();
      p.setProperty("process.roles", "broker,controller");
      p.setProperty("node.id", "1");
      p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
      p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:"
          + controllerPort);
      p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
      p.setProperty("controller.listener.names", "CONTROLLER");
      p.setProperty("inter.broker.listener.name", "PLAINTEXT");
      p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      p.setProperty("log.dirs", dir.resolve("data").toString());
      p.setProperty("num.partitions", "1");
      p.setProperty("offsets.topic.replication.factor", "1");
      p.setProperty("offsets.topic.num.partitions", "8");
      p.setProperty("transaction.state.log.replication.factor", "1");
      p.setProperty("transaction.state.log.min.isr", "1");
      p.setProperty("share.coordinator.state.topic.replication.factor", "1");
      p.setProperty("share.coordinator.state.topic.min.isr", "1");
      p.setProperty("group.initial.rebalance.delay.ms", "0");
      try (Writer out = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
        p.store(out, "relaybus-test Kafka broker");
      }
    } catch (IOException e) {
      throw new TestServerException("cannot prepare a directory for the embedded Kafka broker", e);
    }
    Path log = dir.resolve("kafka.log");
    long started = System.nanoTime();
    Process format = run(FORMAT_MAIN, log, "format", "-t", Uuid.randomUuid().toString(), "-c",
        config.toString());
    awaitExit(format, log, dir);
    Process broker = run(BROKER_MAIN, log, config.toString());
    String bootstrap = "127.0.0.1:" + port;
    KafkaEndpoint server = new KafkaEndpoint(bootstrap, "embedded, log " + log,
        () -> stop(broker, dir));
    try {
      awaitReady(bootstrap, broker::isAlive,
          () -> "exit code " + broker.exitValue() + ", " + tail(log));
    } catch (RuntimeException e) {
      stop(broker, dir);
      throw e;
    }
    LOG.debug("embedded Kafka broker {} ready in {} ms", bootstrap,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    return server;
  }

  private static void requireBrokerOnClassPath() {
    try {
      Class.forName(BROKER_MAIN, false, EmbeddedKafkaServer.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new TestServerException("the embedded Kafka broker needs org.apache.kafka:kafka_2.13"
          + " on the class path (relaybus-test brings it at runtime scope; was it excluded?);"
          + " or set " + RelaybusServers.KAFKA_BOOTSTRAP_ENV + " to a running broker", e);
    }
  }

  private static Process run(String mainClass, Path log, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(List.of(args));
    try {
      return new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new TestServerException("cannot start " + mainClass + " for the embedded Kafka broker",
          e);
    }
  }

  private static void awaitExit(Process format, Path log, Path dir) {
    try {
      if (!format.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || format.exitValue() != 0) {
        format.destroyForcibly();
        deleteRecursively(dir);
        throw new TestServerException("formatting the embedded Kafka broker's storage failed: "
            + tail(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      format.destroyForcibly();
      throw new TestServerException("interrupted while formatting Kafka storage", e);
    }
  }

  /** Asks the broker for its nodes until it names one, while {@code alive} holds. */
  static void awaitReady(String bootstrap, BooleanSupplier alive, Supplier<String> whyDead) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Exception last = null;
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000))) {
      while (System.nanoTime() < deadline) {
        if (!alive.getAsBoolean()) {
          throw new TestServerException("the Kafka broker at " + bootstrap
              + " stopped while starting: " + whyDead.get());
        }
        try {
          if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TestServerException("interrupted while waiting for the Kafka broker", e);
        } catch (Exception e) {
          last = e;
        }
      }
    }
    throw new TestServerException("the Kafka broker at " + bootstrap + " was not ready after "
        + START_TIMEOUT.toSeconds() + " s", last);
  }

  private static void stop(Process broker, Path dir) {
    broker.destroy(); // SIGTERM: a clean shutdown
    try {
      if (!broker.waitFor(30, TimeUnit.SECONDS)) {
        broker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      broker.destroyForcibly();
    }
    deleteRecursively(dir);
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "last lines of " + log + ":\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "see " + log;
    }
  }

  static void deleteRecursively(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      LOG.debug("could not delete {}", dir, e);
    }
  }
}
