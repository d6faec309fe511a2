package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.relaybus.EventBus;
import io.relaybus.TransportUnavailableException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Bootstrap servers that cannot be reached fail the start, with the servers and the cause in
 * the first line: an unknown host at once, a refused or silent server after
 * {@code connect-timeout}.
 */
class KafkaStartFailureTest {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

  private record Failure(TransportUnavailableException exception, Duration took) {
    String firstLine() {
      return exception.getMessage().lines().findFirst().orElse("");
    }
  }

  private static Failure start(String bootstrapServers) {
    long t0 = System.nanoTime();
    Throwable thrown = catchThrowable(() -> EventBus.create(Map.of(
        "relaybus.transport", "kafka",
        "relaybus.kafka.bootstrap-servers", bootstrapServers,
        "relaybus.kafka.connect-timeout", CONNECT_TIMEOUT.toSeconds() + "s")).close());
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(thrown).isInstanceOf(TransportUnavailableException.class);
    return new Failure((TransportUnavailableException) thrown, took);
  }

  private static int closedLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  @DisplayName("a refused port: connection refused after connect-timeout")
  void refusedPort() throws IOException {
    int port = closedLoopbackPort();
    Failure f = start("127.0.0.1:" + port);
    assertThat(f.firstLine()).isEqualTo("Kafka bootstrap servers 127.0.0.1:" + port
        + " unreachable: connection refused (tried for 2s, relaybus.kafka.connect-timeout)");
    assertThat(f.took()).isBetween(CONNECT_TIMEOUT, CONNECT_TIMEOUT.plusSeconds(3));
    assertThat(f.exception().isTransient()).isTrue();
    assertThat(f.exception().getCause())
        .isInstanceOf(TimeoutException.class);
  }

  @Test
  @DisplayName("an unknown host: named, at once")
  void unknownHost() {
    Failure f = start("nonexistent.invalid:9092");
    assertThat(f.firstLine()).isEqualTo("Kafka bootstrap servers nonexistent.invalid:9092 "
        + "unreachable: host 'nonexistent.invalid' unknown: the name does not resolve "
        + "(relaybus.kafka.bootstrap-servers)");
    assertThat(f.took()).isLessThan(Duration.ofMillis(1_500));
    assertThat(f.exception().isTransient()).isFalse();
    assertThat(f.exception().getCause()).isInstanceOf(UnknownHostException.class);
  }

  @Test
  @DisplayName("a server that accepts connections and never answers: said after connect-timeout")
  void silentServer() throws IOException {
    // The kernel completes the handshake into the backlog; nothing ever answers a request.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Failure f = start("127.0.0.1:" + silent.getLocalPort());
      assertThat(f.firstLine()).isEqualTo("Kafka bootstrap servers 127.0.0.1:"
          + silent.getLocalPort() + " unreachable: the TCP connection opens but Kafka does not "
          + "answer (is it a Kafka listener, and does its security.protocol match?) (tried for "
          + "2s, relaybus.kafka.connect-timeout)");
      assertThat(f.took()).isBetween(CONNECT_TIMEOUT, CONNECT_TIMEOUT.plusSeconds(3));
    }
  }
}
