package io.relaybus.kafka.testing;

import io.relaybus.tck.TestInfrastructureException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loopback TCP proxy in front of the test broker, so a test can cut every client connection
 * at once the way a network failure does ({@link #killConnections()}: both sockets of each
 * pair closed with a TCP reset). The broker advertises the proxy's port, so clients reach it
 * only through the proxy, also after reconnecting. Used by the TCK's connection-kill test.
 */
public final class TcpProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TcpProxy.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;
  private volatile boolean refusing;

  private TcpProxy(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.target = target;
  }

  /**
   * Binds a free loopback port and forwards every accepted connection to {@code targetPort}
   * (refusing with a reset while nothing listens there).
   *
   * @param targetPort the loopback port to forward to
   * @return the running proxy
   */
  public static TcpProxy start(int targetPort) {
    ServerSocket server;
    try {
      server = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new TestInfrastructureException("cannot bind the test TCP proxy", e);
    }
    TcpProxy proxy = new TcpProxy(server, new InetSocketAddress(InetAddress.getLoopbackAddress(),
        targetPort));
    Thread acceptor = new Thread(proxy::accept, "test-tcp-proxy-accept-" + proxy.port());
    acceptor.setDaemon(true);
    acceptor.start();
    return proxy;
  }

  /**
   * The port clients connect to.
   *
   * @return the proxy's port
   */
  public int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("test TCP proxy stopped accepting: {}", e.toString());
        }
        return;
      }
      if (refusing) {
        reset(client);
        continue;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 5_000);
      } catch (IOException e) {
        reset(client); // the broker is down: refuse, as it would
        reset(upstream);
        continue;
      }
      try {
        // Forward each write at once, as the Kafka clients and broker do on their own sockets
        // (Nagle's algorithm with delayed ACKs stalled small requests by ~40 ms).
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
      } catch (IOException e) {
        reset(client);
        reset(upstream);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // the other side or killConnections() closed it
      } finally {
        reset(from);
        reset(to);
      }
    }, "test-tcp-proxy-pump-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    t.start();
  }

  private void reset(Socket s) {
    sockets.remove(s);
    try {
      if (!s.isClosed()) {
        s.setSoLinger(true, 0);
        s.close();
      }
    } catch (IOException e) {
      // already gone
    }
  }

  /**
   * Cuts every open connection with a TCP reset; new connections are accepted as before.
   *
   * @return how many sockets were cut
   */
  public int killConnections() {
    int n = 0;
    for (Socket s : sockets) {
      reset(s);
      n++;
    }
    LOG.info("test TCP proxy on port {} cut {} socket(s)", port(), n);
    return n;
  }

  /**
   * Starts or ends an outage: while refusing, open connections are cut and new ones are reset
   * at once, as if the target were unreachable.
   *
   * @param refuse whether to refuse
   */
  public void refuse(boolean refuse) {
    refusing = refuse;
    if (refuse) {
      killConnections();
    }
  }

  /** Stops accepting and cuts every connection. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    killConnections();
  }
}
