package io.relaybus.webhook.net;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Thrown at connect time when a webhook host resolves to an address the {@link SsrfPolicy}
 * refuses. An {@link UnknownHostException}, so OkHttp fails the call as it would for an
 * unresolvable host; the sender records it as a failed attempt. The message names the host,
 * the address, its category and the configuration key that would allow it.
 */
public final class BlockedAddressException extends UnknownHostException {
  private static final long serialVersionUID = 1L;

  private final String host;
  private final transient InetAddress address;
  private final AddressCategory category;

  BlockedAddressException(String message, String host, InetAddress address,
      AddressCategory category) {
    super(message);
    this.host = host;
    this.address = address;
    this.category = category;
  }

  /**
   * The host name (or literal) that was being connected to.
   *
   * @return the host
   */
  public String host() {
    return host;
  }

  /**
   * The refused address.
   *
   * @return the address
   */
  public InetAddress address() {
    return address;
  }

  /**
   * The refused address's category.
   *
   * @return the category
   */
  public AddressCategory category() {
    return category;
  }
}
