package io.relaybus.webhook.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import okhttp3.Dns;

/**
 * An OkHttp {@link Dns} that resolves a host and refuses it when <em>any</em> of its addresses
 * is refused by the {@link SsrfPolicy} (so a name with one public and one private address
 * cannot be used to reach the private one). The check runs on every connection OkHttp opens,
 * so a name that is re-pointed to an internal address after registration (DNS rebinding) is
 * still refused.
 *
 * <p>OkHttp does not ask DNS for IP-literal URLs: check those with {@link
 * SsrfPolicy#checkUrl(String)} and install {@link SsrfGuardSocketFactory} as well. Through an
 * HTTP proxy, only the proxy's address is resolved here; the proxy must enforce its own policy.
 */
public final class SsrfGuardDns implements Dns {

  private final SsrfPolicy policy;
  private final Dns delegate;

  /**
   * Guards the system resolver.
   *
   * @param policy what is allowed
   */
  public SsrfGuardDns(SsrfPolicy policy) {
    this(policy, Dns.SYSTEM);
  }

  /**
   * Guards another resolver.
   *
   * @param policy what is allowed
   * @param delegate the resolver that does the lookups
   */
  public SsrfGuardDns(SsrfPolicy policy, Dns delegate) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /**
   * Resolves the host and checks every address.
   *
   * @param hostname the host to resolve
   * @return all its addresses, every one allowed
   * @throws UnknownHostException when the host cannot be resolved, or a {@link
   *     BlockedAddressException} naming the host, address, category and configuration key when
   *     an address is refused
   */
  @Override
  public List<InetAddress> lookup(String hostname) throws UnknownHostException {
    List<InetAddress> addresses = delegate.lookup(hostname);
    if (policy.isHostAllowed(hostname)) {
      return addresses;
    }
    for (InetAddress address : addresses) {
      policy.check(hostname, address);
    }
    return addresses;
  }

  @Override
  public String toString() {
    return "SsrfGuardDns{" + policy + "}";
  }
}
