package io.relaybus.webhook.net;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * What kind of address a webhook target resolves to. Everything except {@link #PUBLIC} is
 * refused by the default {@link SsrfPolicy}.
 *
 * <p>IPv6 forms that embed an IPv4 address (IPv4-mapped {@code ::ffff:a.b.c.d}, IPv4-compatible
 * {@code ::a.b.c.d}, NAT64 {@code 64:ff9b::/96} and {@code 64:ff9b:1::/48}, 6to4
 * {@code 2002::/16}) are classified by the embedded IPv4 address, so {@code ::ffff:127.0.0.1} is
 * {@link #LOOPBACK}.
 */
public enum AddressCategory {

  /** Globally routable: allowed by default. */
  PUBLIC,
  /** {@code 127.0.0.0/8}, {@code ::1}. */
  LOOPBACK,
  /** {@code 10.0.0.0/8}, {@code 172.16.0.0/12}, {@code 192.168.0.0/16}, {@code fc00::/7},
   * {@code fec0::/10}. */
  PRIVATE,
  /** {@code 169.254.0.0/16}, {@code fe80::/10} (except the metadata addresses). */
  LINK_LOCAL,
  /** Carrier-grade NAT shared space {@code 100.64.0.0/10} (except the metadata address). */
  CGNAT,
  /**
   * Cloud instance metadata services: {@code 169.254.169.254} (AWS, GCP, Azure, OpenStack...),
   * {@code fd00:ec2::254} (AWS IPv6), {@code 169.254.170.2} (AWS ECS task metadata),
   * {@code 100.100.100.200} (Alibaba Cloud) and {@code 168.63.129.16} (Azure host). A category
   * of its own, so allowing {@link #LINK_LOCAL} or {@link #CGNAT} does not expose them.
   */
  METADATA,
  /** {@code 0.0.0.0/8} and {@code ::}, which reach the local host on many systems. */
  UNSPECIFIED,
  /** {@code 224.0.0.0/4}, {@code ff00::/8}. */
  MULTICAST,
  /**
   * Special-purpose ranges that are not valid webhook targets: broadcast, {@code 240.0.0.0/4},
   * {@code 192.0.0.0/24}, documentation ranges ({@code 192.0.2.0/24}, {@code 198.51.100.0/24},
   * {@code 203.0.113.0/24}, {@code 2001:db8::/32}), benchmarking {@code 198.18.0.0/15},
   * discard {@code 100::/64} and Teredo {@code 2001::/32}.
   */
  RESERVED;

  /**
   * The name used in configuration: lower case with {@code -}, such as {@code link-local}.
   *
   * @return the configuration name
   */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Finds a category by its {@linkplain #configName() configuration name} (case-insensitive,
   * {@code _} accepted for {@code -}).
   *
   * @param name the name
   * @return the category
   * @throws IllegalArgumentException naming the allowed names
   */
  public static AddressCategory fromConfigName(String name) {
    Objects.requireNonNull(name, "name");
    String wanted = name.strip().toLowerCase(Locale.ROOT).replace('_', '-');
    for (AddressCategory c : values()) {
      if (c.configName().equals(wanted)) {
        return c;
      }
    }
    StringBuilder allowed = new StringBuilder();
    for (AddressCategory c : values()) {
      allowed.append(allowed.length() == 0 ? "" : ", ").append(c.configName());
    }
    throw new IllegalArgumentException("Unknown address category '" + name + "'; allowed: "
        + allowed);
  }

  /**
   * Classifies an address.
   *
   * @param address an IPv4 or IPv6 address
   * @return its category
   */
  public static AddressCategory of(InetAddress address) {
    Objects.requireNonNull(address, "address");
    byte[] b = address.getAddress();
    return b.length == 4 ? ofIpv4(b, 0) : ofIpv6(b);
  }

  private static AddressCategory ofIpv4(byte[] bytes, int offset) {
    int a = bytes[offset] & 0xff;
    int b = bytes[offset + 1] & 0xff;
    int c = bytes[offset + 2] & 0xff;
    int d = bytes[offset + 3] & 0xff;
    if ((a == 169 && b == 254 && c == 169 && d == 254)
        || (a == 169 && b == 254 && c == 170 && d == 2)
        || (a == 100 && b == 100 && c == 100 && d == 200)
        || (a == 168 && b == 63 && c == 129 && d == 16)) {
      return METADATA;
    }
    if (a == 0) {
      return UNSPECIFIED;
    }
    if (a == 127) {
      return LOOPBACK;
    }
    if (a == 10 || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168)) {
      return PRIVATE;
    }
    if (a == 169 && b == 254) {
      return LINK_LOCAL;
    }
    if (a == 100 && b >= 64 && b <= 127) {
      return CGNAT;
    }
    if (a >= 224 && a <= 239) {
      return MULTICAST;
    }
    if (a >= 240 || (a == 192 && b == 0 && (c == 0 || c == 2)) || (a == 198 && (b == 18
        || b == 19)) || (a == 198 && b == 51 && c == 100) || (a == 203 && b == 0 && c == 113)) {
      return RESERVED;
    }
    return PUBLIC;
  }

  private static AddressCategory ofIpv6(byte[] b) {
    if (isAwsMetadataV6(b)) {
      return METADATA;
    }
    if (allZero(b, 0, 10)) {
      if ((b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
        return ofIpv4(b, 12); // IPv4-mapped
      }
      if (b[10] == 0 && b[11] == 0) {
        if (allZero(b, 12, 15)) {
          return b[15] == 0 ? UNSPECIFIED : b[15] == 1 ? LOOPBACK : ofIpv4(b, 12);
        }
        return ofIpv4(b, 12); // IPv4-compatible (deprecated)
      }
    }
    int w0 = (b[0] & 0xff) << 8 | (b[1] & 0xff);
    int w1 = (b[2] & 0xff) << 8 | (b[3] & 0xff);
    if (w0 == 0x0064 && w1 == 0xff9b && (allZero(b, 4, 12) || (b[4] == 0 && b[5] == 1))) {
      return ofIpv4(b, 12); // NAT64 well-known and local-use prefixes
    }
    if (w0 == 0x2002) {
      return ofIpv4(b, 2); // 6to4
    }
    if ((b[0] & 0xfe) == 0xfc || (w0 & 0xffc0) == 0xfec0) {
      return PRIVATE;
    }
    if ((w0 & 0xffc0) == 0xfe80) {
      return LINK_LOCAL;
    }
    if ((b[0] & 0xff) == 0xff) {
      return MULTICAST;
    }
    if ((w0 == 0x2001 && w1 == 0x0db8) || (w0 == 0x2001 && w1 == 0)
        || (w0 == 0x0100 && allZero(b, 2, 8))) {
      return RESERVED;
    }
    return PUBLIC;
  }

  /** {@code fd00:ec2::254}. */
  private static boolean isAwsMetadataV6(byte[] b) {
    return (b[0] & 0xff) == 0xfd && b[1] == 0 && b[2] == 0x0e && (b[3] & 0xff) == 0xc2
        && allZero(b, 4, 14) && b[14] == 0x02 && b[15] == 0x54;
  }

  /** Whether bytes [from, to) are all zero. */
  private static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
