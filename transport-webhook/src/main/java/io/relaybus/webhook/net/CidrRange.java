package io.relaybus.webhook.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address range in CIDR notation, such as {@code 10.1.0.0/16} or
 * {@code fd12:3456::/32}. Parsing never performs a DNS lookup. Immutable.
 */
public final class CidrRange {

  private static final Pattern IPV4 =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

  private final byte[] network;
  private final int prefixLength;
  private final String text;

  private CidrRange(byte[] network, int prefixLength) {
    this.network = network;
    this.prefixLength = prefixLength;
    String address;
    try {
      address = InetAddress.getByAddress(network).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // 4 or 16 bytes never fail
    }
    this.text = address + "/" + prefixLength;
  }

  /**
   * Parses {@code address/prefix}; a bare address means a single host ({@code /32} or
   * {@code /128}). Host bits below the prefix are cleared.
   *
   * @param cidr the range
   * @return the range
   * @throws IllegalArgumentException when the text is not an IP literal with a valid prefix
   */
  public static CidrRange parse(String cidr) {
    Objects.requireNonNull(cidr, "cidr");
    String text = cidr.strip();
    int slash = text.indexOf('/');
    String addressText = slash < 0 ? text : text.substring(0, slash);
    byte[] bytes = literal(addressText);
    if (bytes == null) {
      throw new IllegalArgumentException("'" + cidr + "' is not a CIDR range such as "
          + "10.0.0.0/8 or fd00::/8 (an IPv4 or IPv6 literal, optionally with /prefix)");
    }
    int max = bytes.length * 8;
    int prefix = max;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > max) {
        throw new IllegalArgumentException("'" + cidr + "' has an invalid prefix length; "
            + "allowed 0 to " + max);
      }
    }
    for (int bit = prefix; bit < max; bit++) {
      bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    return new CidrRange(bytes, prefix);
  }

  /**
   * Parses an IP literal without DNS: dotted-quad IPv4, or IPv6 (optionally in brackets).
   *
   * @return the address bytes, or {@code null} when the text is not such a literal
   */
  static byte[] literal(String text) {
    String t = text;
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    if (!IPV4.matcher(t).matches() && (t.indexOf(':') < 0 || t.indexOf('%') >= 0)) {
      return null;
    }
    try {
      // Only literals reach here; InetAddress parses those without a lookup.
      byte[] b = InetAddress.getByName(t).getAddress();
      if (b.length == 4 && t.indexOf(':') >= 0) {
        // Java turns ::ffff:a.b.c.d into IPv4; keep the IPv6 form so /prefix lengths apply.
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(b, 0, mapped, 12, 4);
        return mapped;
      }
      return b;
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /**
   * Whether the address lies in this range. IPv4-mapped IPv6 addresses match IPv4 ranges.
   *
   * @param address the address
   * @return whether it is inside
   */
  public boolean contains(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length != network.length) {
      if (b.length == 16 && network.length == 4 && isMapped(b)) {
        b = java.util.Arrays.copyOfRange(b, 12, 16);
      } else if (b.length == 4 && network.length == 16 && isMapped(network)) {
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(b, 0, m, 12, 4);
        b = m;
      } else {
        return false;
      }
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (b[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff00 >>> rest & 0xff;
    return (b[full] & mask) == (network[full] & mask);
  }

  private static boolean isMapped(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
  }

  /**
   * The canonical text, such as {@code 10.0.0.0/8}.
   *
   * @return the range as text
   */
  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CidrRange && text.equals(((CidrRange) o).text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
