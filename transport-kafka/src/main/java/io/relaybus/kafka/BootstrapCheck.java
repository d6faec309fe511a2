package io.relaybus.kafka;

import io.relaybus.RelaybusException;
import io.relaybus.TransportUnavailableException;
import io.relaybus.spi.Errors;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.utils.Utils;

/**
 * Asks the bootstrap servers for the cluster at start, so that a broker that cannot be reached
 * fails the start within {@code connect-timeout} with the cause in the first line, instead of
 * the first publish or subscribe waiting and failing with a bare timeout. Unknown hosts and
 * rejected authentication or TLS fail at once; the Kafka client keeps trying refused and
 * silent servers until the timeout, and a TCP probe then tells which of the two it was.
 */
final class BootstrapCheck {
  /** The TCP probe after a timeout: long enough for loopback and a LAN, short for a start. */
  private static final int PROBE_MILLIS = 500;

  private BootstrapCheck() {}

  /**
   * Fails when no bootstrap host resolves (the Kafka clients would refuse to be built, saying
   * only "No resolvable bootstrap urls").
   */
  static void requireResolvable(KafkaSettings settings) {
    List<String> unknown = new ArrayList<>();
    UnknownHostException first = null;
    List<String> servers = servers(settings);
    for (String server : servers) {
      String host = Utils.getHost(server);
      try {
        InetAddress.getAllByName(host == null ? server : host);
        return;
      } catch (UnknownHostException e) {
        unknown.add(host == null ? server : host);
        first = first == null ? e : first;
      }
    }
    if (!servers.isEmpty()) {
      throw new TransportUnavailableException(prefix(settings) + (unknown.size() == 1
          ? "host '" + unknown.get(0) + "' unknown" : "hosts " + quoted(unknown) + " unknown")
          + ": the name does not resolve (" + KafkaSettings.BOOTSTRAP_SERVERS + ")", false,
          first);
    }
  }

  /** Waits until the cluster answers, unless {@code connect-timeout} is 0. */
  static void awaitCluster(Admin admin, KafkaSettings settings) {
    Duration timeout = settings.connectTimeout();
    if (timeout.isZero()) {
      return;
    }
    int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    try {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs(millis)).clusterId()
          .get(millis + 5_000L, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SslAuthenticationException) {
        throw new TransportUnavailableException(prefix(settings) + "TLS handshake failed: "
            + cause.getMessage(), false, cause);
      }
      if (cause instanceof AuthenticationException) {
        throw new TransportUnavailableException(prefix(settings) + "authentication (SASL) "
            + "failed: " + cause.getMessage(), false, cause);
      }
      if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw new TransportUnavailableException(prefix(settings) + probe(settings) + " (tried for "
            + seconds(timeout) + ", " + KafkaSettings.CONNECT_TIMEOUT + ")", true, cause);
      }
      throw new TransportUnavailableException(prefix(settings) + Errors.describe(cause), false,
          cause);
    } catch (TimeoutException e) {
      throw new TransportUnavailableException(prefix(settings) + probe(settings) + " (tried for "
          + seconds(timeout) + ", " + KafkaSettings.CONNECT_TIMEOUT + ")", true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RelaybusException("Interrupted while waiting for the Kafka bootstrap servers "
          + settings.bootstrapServers(), e);
    }
  }

  private static String prefix(KafkaSettings settings) {
    return "Kafka bootstrap servers " + settings.bootstrapServers() + " unreachable: ";
  }

  /**
   * Why the servers did not answer, from one TCP connection to each: refused, timed out, or
   * accepted (then the server is not a Kafka listener that speaks the configured protocol).
   */
  private static String probe(KafkaSettings settings) {
    Map<String, String> byServer = new LinkedHashMap<>();
    for (String server : servers(settings)) {
      byServer.put(server, probe(server));
    }
    Set<String> causes = new LinkedHashSet<>(byServer.values());
    if (causes.size() == 1) {
      return causes.iterator().next();
    }
    List<String> each = new ArrayList<>();
    byServer.forEach((server, cause) -> each.add(cause + " at " + server));
    return String.join("; ", each);
  }

  private static String probe(String server) {
    String host = Utils.getHost(server);
    Integer port = Utils.getPort(server);
    if (host == null || port == null) {
      return "no answer";
    }
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), PROBE_MILLIS);
      return "the TCP connection opens but Kafka does not answer (is it a Kafka listener, and "
          + "does its security.protocol match?)";
    } catch (UnknownHostException e) {
      return "host '" + host + "' unknown";
    } catch (ConnectException e) {
      return "connection refused";
    } catch (SocketTimeoutException e) {
      return "no answer (timed out)";
    } catch (IOException e) {
      return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
  }

  private static List<String> servers(KafkaSettings settings) {
    List<String> servers = new ArrayList<>();
    for (String s : settings.bootstrapServers().split(",")) {
      if (!s.isBlank()) {
        servers.add(s.trim());
      }
    }
    return servers;
  }

  private static String quoted(List<String> names) {
    List<String> q = new ArrayList<>();
    names.forEach(n -> q.add("'" + n + "'"));
    return String.join(", ", q);
  }

  private static String seconds(Duration d) {
    long tenths = Math.round(d.toMillis() / 100.0);
    return tenths % 10 == 0 ? tenths / 10 + "s" : tenths / 10 + "." + tenths % 10 + "s";
  }
}
