package io.relaybus.webhook;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.SocketFactory;

/**
 * Sockets with {@code TCP_NODELAY}, for the transport's HTTP clients.
 *
 * <p>OkHttp leaves Nagle's algorithm on, and writes a request whose headers and body pass its
 * 8 KiB buffer segment in two writes. The second, short write then waits for the receiver to
 * acknowledge the first, and receivers delay that acknowledgement (40 ms on Linux): every such
 * request, one after another on a connection, waits that long. Webhook requests are written
 * whole and answered before the next is sent on the connection, so nothing is gained by
 * coalescing writes.
 */
final class NoDelaySocketFactory extends SocketFactory {

  private final SocketFactory delegate;

  NoDelaySocketFactory(SocketFactory delegate) {
    this.delegate = delegate;
  }

  @Override
  public Socket createSocket() throws IOException {
    return noDelay(delegate.createSocket());
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return noDelay(delegate.createSocket(host, port));
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return noDelay(delegate.createSocket(host, port, localHost, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return noDelay(delegate.createSocket(host, port));
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress,
      int localPort) throws IOException {
    return noDelay(delegate.createSocket(address, port, localAddress, localPort));
  }

  private static Socket noDelay(Socket socket) throws IOException {
    try {
      socket.setTcpNoDelay(true);
      return socket;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }
}
