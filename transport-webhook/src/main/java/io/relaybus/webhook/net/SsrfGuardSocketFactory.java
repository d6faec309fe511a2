package io.relaybus.webhook.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.Objects;
import javax.net.SocketFactory;

/**
 * A {@link SocketFactory} whose sockets check the {@link SsrfPolicy} right before they
 * connect: the last line of defence, covering IP-literal URLs (which OkHttp connects to without
 * DNS) and any address that reached the connect call another way. Install it together with
 * {@link SsrfGuardDns}, which gives the better error (with the host name) for resolved names.
 */
public final class SsrfGuardSocketFactory extends SocketFactory {

  private final SsrfPolicy policy;

  /**
   * Creates the factory.
   *
   * @param policy what is allowed
   */
  public SsrfGuardSocketFactory(SsrfPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /**
   * Creates an unconnected socket that checks the policy in {@code connect}.
   *
   * @return the socket
   */
  @Override
  public Socket createSocket() {
    return new GuardedSocket(policy);
  }

  /**
   * Creates a socket connected to a host, after checking its address.
   *
   * @param host the host
   * @param port the port
   * @return the connected socket
   * @throws IOException when refused or the connection fails
   */
  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port));
  }

  /**
   * Creates a socket connected to a host, after checking its address; local binding is not
   * supported and ignored.
   *
   * @param host the host
   * @param port the port
   * @param localHost ignored
   * @param localPort ignored
   * @return the connected socket
   * @throws IOException when refused or the connection fails
   */
  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return connected(new InetSocketAddress(host, port));
  }

  /**
   * Creates a socket connected to an address, after checking it.
   *
   * @param host the address
   * @param port the port
   * @return the connected socket
   * @throws IOException when refused or the connection fails
   */
  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port));
  }

  /**
   * Creates a socket connected to an address, after checking it; local binding is not
   * supported and ignored.
   *
   * @param address the address
   * @param port the port
   * @param localAddress ignored
   * @param localPort ignored
   * @return the connected socket
   * @throws IOException when refused or the connection fails
   */
  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress,
      int localPort) throws IOException {
    return connected(new InetSocketAddress(address, port));
  }

  private Socket connected(InetSocketAddress target) throws IOException {
    Socket socket = createSocket();
    try {
      socket.connect(target);
      return socket;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** A plain socket that refuses to connect to a disallowed address. */
  private static final class GuardedSocket extends Socket {
    private final SsrfPolicy policy;

    GuardedSocket(SsrfPolicy policy) {
      this.policy = policy;
    }

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
      if (endpoint instanceof InetSocketAddress) {
        InetSocketAddress target = (InetSocketAddress) endpoint;
        if (target.getAddress() != null) {
          // getHostString() is the name the address was resolved from, or the literal.
          policy.check(target.getHostString(), target.getAddress());
        }
      }
      super.connect(endpoint, timeout);
    }
  }
}
