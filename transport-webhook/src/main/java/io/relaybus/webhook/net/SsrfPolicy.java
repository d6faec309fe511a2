package io.relaybus.webhook.net;

import io.relaybus.spi.Settings;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Which addresses webhook requests may connect to. The default ({@link #defaults()}) allows
 * only {@link AddressCategory#PUBLIC} addresses; anything else must be allowed explicitly, by
 * category, by CIDR range, or by host name. Immutable and thread-safe.
 *
 * <p>Configuration keys (under {@value #DEFAULT_KEY_PREFIX}, see {@link #fromSettings}):
 * <ul>
 *   <li>{@code allow-categories}: comma-separated {@linkplain AddressCategory#configName()
 *       category names}, such as {@code loopback,private};</li>
 *   <li>{@code allow-cidrs}: comma-separated ranges, such as {@code 10.20.0.0/16,fd00:1::/64};</li>
 *   <li>{@code allow-hosts}: comma-separated host names, exact ({@code hooks.internal}) or a
 *       subdomain wildcard ({@code *.svc.cluster.local}); a host allowed by name may resolve
 *       to any address.</li>
 * </ul>
 *
 * <pre>{@code
 * SsrfPolicy policy = SsrfPolicy.builder().allow(AddressCategory.LOOPBACK).build();
 * OkHttpClient client = new OkHttpClient.Builder()
 *     .dns(new SsrfGuardDns(policy))
 *     .socketFactory(new SsrfGuardSocketFactory(policy))
 *     .build();
 * }</pre>
 */
public final class SsrfPolicy {

  /** Where the guard's keys live in Relaybus configuration. */
  public static final String DEFAULT_KEY_PREFIX = "relaybus.webhook.ssrf.";

  /** Key suffix: categories to allow. */
  public static final String ALLOW_CATEGORIES = "allow-categories";

  /** Key suffix: CIDR ranges to allow. */
  public static final String ALLOW_CIDRS = "allow-cidrs";

  /** Key suffix: host names to allow. */
  public static final String ALLOW_HOSTS = "allow-hosts";

  private static final SsrfPolicy DEFAULTS = builder().build();

  private final Set<AddressCategory> categories;
  private final List<CidrRange> cidrs;
  private final List<String> hosts;
  private final String keyPrefix;

  private SsrfPolicy(Builder b) {
    this.categories = EnumSet.copyOf(b.categories);
    this.cidrs = List.copyOf(b.cidrs);
    this.hosts = List.copyOf(b.hosts);
    this.keyPrefix = b.keyPrefix;
  }

  /**
   * The default policy: public addresses only.
   *
   * @return the strict policy
   */
  public static SsrfPolicy defaults() {
    return DEFAULTS;
  }

  /**
   * A policy that allows every address. For tests and fully trusted endpoint lists only.
   *
   * @return the permissive policy
   */
  public static SsrfPolicy allowAll() {
    return builder().allow(AddressCategory.values()).build();
  }

  /**
   * Starts a policy that allows public addresses plus whatever is added.
   *
   * @return a builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads a policy from configuration keys {@code <prefix>allow-categories}, {@code
   * <prefix>allow-cidrs} and {@code <prefix>allow-hosts}. Bad values are recorded on the
   * reader, each naming its key; call {@link Settings.Reader#validate()} afterwards.
   *
   * @param reader the reader of the transport's settings
   * @param keyPrefix the prefix, usually {@value #DEFAULT_KEY_PREFIX}; it is also named in
   *     the errors the guard raises
   * @return the policy (without the bad values)
   */
  public static SsrfPolicy fromSettings(Settings.Reader reader, String keyPrefix) {
    Objects.requireNonNull(reader, "reader");
    Builder b = builder().keyPrefix(keyPrefix);
    for (String name : list(reader.string(keyPrefix + ALLOW_CATEGORIES, ""))) {
      try {
        b.allow(AddressCategory.fromConfigName(name));
      } catch (IllegalArgumentException e) {
        reader.problem(keyPrefix + ALLOW_CATEGORIES + ": " + e.getMessage());
      }
    }
    for (String cidr : list(reader.string(keyPrefix + ALLOW_CIDRS, ""))) {
      try {
        b.allowCidr(cidr);
      } catch (IllegalArgumentException e) {
        reader.problem(keyPrefix + ALLOW_CIDRS + ": " + e.getMessage());
      }
    }
    for (String host : list(reader.string(keyPrefix + ALLOW_HOSTS, ""))) {
      try {
        b.allowHost(host);
      } catch (IllegalArgumentException e) {
        reader.problem(keyPrefix + ALLOW_HOSTS + ": " + e.getMessage());
      }
    }
    return b.build();
  }

  private static List<String> list(String csv) {
    List<String> items = new ArrayList<>();
    for (String item : csv.split(",")) {
      if (!item.isBlank()) {
        items.add(item.strip());
      }
    }
    return items;
  }

  /**
   * Whether the host is allowed by name, whatever it resolves to.
   *
   * @param host a host name
   * @return whether an {@code allow-hosts} entry matches it
   */
  public boolean isHostAllowed(String host) {
    String h = normaliseHost(host);
    for (String allowed : hosts) {
      if (allowed.startsWith("*.") ? h.endsWith(allowed.substring(1)) : h.equals(allowed)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a connection to the address is allowed: its category is allowed, or it lies in an
   * allowed range. Does not consider host names.
   *
   * @param address the address
   * @return whether it is allowed
   */
  public boolean isAddressAllowed(InetAddress address) {
    if (categories.contains(AddressCategory.of(address))) {
      return true;
    }
    for (CidrRange range : cidrs) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks one resolved address of a host.
   *
   * @param host the host name being connected to (used for {@code allow-hosts} and the
   *     message)
   * @param address one address it resolved to
   * @throws BlockedAddressException when neither the host nor the address is allowed
   */
  public void check(String host, InetAddress address) throws BlockedAddressException {
    Objects.requireNonNull(address, "address");
    if (isAddressAllowed(address) || (host != null && isHostAllowed(host))) {
      return;
    }
    AddressCategory category = AddressCategory.of(address);
    throw new BlockedAddressException(refusal(host, address, category), host, address,
        category);
  }

  /**
   * Checks an endpoint URL at registration: scheme {@code http} or {@code https}, a host, and,
   * when the host is an IP literal (which OkHttp connects to without asking DNS) or a
   * {@code localhost} name, an allowed address. Other host names are checked at connect time
   * by {@link SsrfGuardDns}.
   *
   * @param url the endpoint URL
   * @throws BlockedEndpointException when the URL is refused, naming the host and the key that
   *     would allow it
   */
  public void checkUrl(String url) {
    Objects.requireNonNull(url, "url");
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw new BlockedEndpointException("Webhook endpoint URL is malformed: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new BlockedEndpointException("Webhook endpoint URL must use http or https, got "
          + "scheme '" + scheme + "'");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new BlockedEndpointException("Webhook endpoint URL has no valid host name");
    }
    byte[] literal = CidrRange.literal(host);
    InetAddress address;
    try {
      if (literal != null) {
        address = InetAddress.getByAddress(literal);
      } else if (isLocalhostName(host)) {
        address = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
      } else {
        return;
      }
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // 4 or 16 bytes never fail
    }
    if (!isAddressAllowed(address) && !isHostAllowed(host)) {
      throw new BlockedEndpointException(refusal(host, address, AddressCategory.of(address)));
    }
  }

  /** RFC 6761: {@code localhost} and {@code *.localhost} are always loopback. */
  private static boolean isLocalhostName(String host) {
    String h = normaliseHost(host);
    return h.equals("localhost") || h.endsWith(".localhost");
  }

  private String refusal(String host, InetAddress address, AddressCategory category) {
    String shownHost = host == null ? address.getHostAddress() : host;
    return "Webhook host '" + shownHost + "' resolves to " + address.getHostAddress() + ", a "
        + category.configName() + " address; the SSRF guard refuses it. To allow it set "
        + keyPrefix + ALLOW_CATEGORIES + "=" + category.configName() + ", or "
        + keyPrefix + ALLOW_CIDRS + "=" + address.getHostAddress()
        + (address.getAddress().length == 4 ? "/32" : "/128")
        + (host == null ? "" : ", or " + keyPrefix + ALLOW_HOSTS + "=" + shownHost);
  }

  private static String normaliseHost(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return h;
  }

  /**
   * Describes what is allowed.
   *
   * @return categories, ranges and hosts
   */
  @Override
  public String toString() {
    return "SsrfPolicy{categories=" + categories + ", cidrs=" + cidrs + ", hosts=" + hosts + "}";
  }

  /** Builds an {@link SsrfPolicy}. Not thread-safe; the built policy is. */
  public static final class Builder {
    private final Set<AddressCategory> categories = EnumSet.of(AddressCategory.PUBLIC);
    private final Set<CidrRange> cidrs = new LinkedHashSet<>();
    private final Set<String> hosts = new LinkedHashSet<>();
    private String keyPrefix = DEFAULT_KEY_PREFIX;

    private Builder() {}

    /**
     * Allows address categories.
     *
     * @param categories the categories
     * @return this builder
     */
    public Builder allow(AddressCategory... categories) {
      for (AddressCategory c : categories) {
        this.categories.add(Objects.requireNonNull(c, "category"));
      }
      return this;
    }

    /**
     * Allows a CIDR range.
     *
     * @param cidr such as {@code 10.20.0.0/16}
     * @return this builder
     * @throws IllegalArgumentException when the range is malformed
     */
    public Builder allowCidr(String cidr) {
      cidrs.add(CidrRange.parse(cidr));
      return this;
    }

    /**
     * Allows a host name, whatever it resolves to: exact, or {@code *.example.com} for its
     * subdomains.
     *
     * @param host the host name
     * @return this builder
     * @throws IllegalArgumentException when blank
     */
    public Builder allowHost(String host) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank() || host.strip().equals("*.")) {
        throw new IllegalArgumentException("Allowed host name must not be blank, got '"
            + host + "'");
      }
      hosts.add(normaliseHost(host));
      return this;
    }

    /**
     * Sets the configuration prefix named in refusal messages; default
     * {@value #DEFAULT_KEY_PREFIX}.
     *
     * @param keyPrefix the prefix, ending with {@code .}
     * @return this builder
     */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     */
    public SsrfPolicy build() {
      return new SsrfPolicy(this);
    }
  }
}
