package io.relaybus.webhook;

import io.relaybus.spi.Names;
import io.relaybus.webhook.signature.WebhookSecret;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A receiver of webhooks: where deliveries of some topics go, how they are signed and sent.
 * Immutable; {@link #toString()} never shows the secret.
 */
public final class WebhookEndpoint {

  /** Endpoint names: letters, digits, {@code _} and {@code -}, 1 to 100 characters. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}");

  /** The topic pattern that matches every topic. */
  public static final String ALL_TOPICS = "*";

  private final String name;
  private final URI url;
  private final String secret;
  private final Set<String> topics;
  private final Duration timeout;
  private final double rateLimit;
  private final int concurrency;
  private final boolean ordered;
  private final PayloadMode payloadMode;
  private final Map<String, String> headers;

  private WebhookEndpoint(Builder b) {
    this.name = b.name;
    this.url = b.url;
    this.secret = b.secret;
    this.topics = Collections.unmodifiableSet(new LinkedHashSet<>(b.topics));
    this.timeout = b.timeout;
    this.rateLimit = b.rateLimit;
    this.concurrency = b.concurrency;
    this.ordered = b.ordered;
    this.payloadMode = b.payloadMode;
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
  }

  /**
   * Starts an endpoint.
   *
   * @param name the endpoint's name, see {@link #NAME}
   * @return a builder; not thread-safe
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * A builder holding this endpoint's values.
   *
   * @return a builder; not thread-safe
   */
  public Builder toBuilder() {
    Builder b = new Builder(name).url(url).secret(secret).timeout(timeout).rateLimit(rateLimit)
        .concurrency(concurrency).ordered(ordered).payloadMode(payloadMode).headers(headers);
    b.topics.addAll(topics);
    return b;
  }

  /**
   * The name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Where requests go.
   *
   * @return an http or https URL
   */
  public URI url() {
    return url;
  }

  /**
   * The signing secret ({@code whsec_<base64>}), or {@code null} for unsigned requests.
   *
   * @return the secret; never log it
   */
  public String secret() {
    return secret;
  }

  /**
   * The topics whose events this endpoint receives; {@link #ALL_TOPICS} matches every topic.
   *
   * @return an immutable set, never empty
   */
  public Set<String> topics() {
    return topics;
  }

  /**
   * Tells whether events of a topic go to this endpoint.
   *
   * @param topic a topic
   * @return {@code true} when subscribed
   */
  public boolean matches(String topic) {
    return topics.contains(topic) || topics.contains(ALL_TOPICS);
  }

  /**
   * The longest a single request may take, connecting included (the call timeout).
   *
   * @return the timeout
   */
  public Duration timeout() {
    return timeout;
  }

  /**
   * The most requests per second sent to this endpoint; 0 means unlimited.
   *
   * @return the rate limit
   */
  public double rateLimit() {
    return rateLimit;
  }

  /**
   * The most requests in flight to this endpoint at once.
   *
   * @return at least 1
   */
  public int concurrency() {
    return ordered ? 1 : concurrency;
  }

  /**
   * Whether deliveries are sent in publish order, each waiting until the previous one succeeded
   * or was dead-lettered.
   *
   * @return {@code true} for in-order delivery
   */
  public boolean ordered() {
    return ordered;
  }

  /**
   * How events are laid out in requests.
   *
   * @return the payload mode
   */
  public PayloadMode payloadMode() {
    return payloadMode;
  }

  /**
   * Extra headers sent with every request (for example an authorisation header of the
   * receiver); their values are never logged.
   *
   * @return an immutable map
   */
  public Map<String, String> headers() {
    return headers;
  }

  /**
   * Splits a secret setting into its secrets (rotation: several separated by spaces or commas).
   *
   * @param secret the setting
   * @return the secrets, in order
   */
  public static List<String> secretParts(String secret) {
    List<String> out = new java.util.ArrayList<>();
    for (String p : secret.split("[\\s,]+")) {
      if (!p.isEmpty()) {
        out.add(p);
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof WebhookEndpoint)) {
      return false;
    }
    WebhookEndpoint e = (WebhookEndpoint) o;
    return name.equals(e.name) && url.equals(e.url) && Objects.equals(secret, e.secret)
        && topics.equals(e.topics) && timeout.equals(e.timeout) && rateLimit == e.rateLimit
        && concurrency == e.concurrency && ordered == e.ordered && payloadMode == e.payloadMode
        && headers.equals(e.headers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, url, topics);
  }

  /** Shows every setting except the secret and header values. */
  @Override
  public String toString() {
    return "WebhookEndpoint{name=" + name + ", url=" + url + ", topics=" + topics
        + ", secret=" + (secret == null ? "none" : "****") + ", timeout=" + timeout
        + ", rateLimit=" + rateLimit + ", concurrency=" + concurrency() + ", ordered=" + ordered
        + ", payloadMode=" + payloadMode + ", headers=" + headers.keySet() + "}";
  }

  /** Builds a {@link WebhookEndpoint}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private URI url;
    private String secret;
    private final Set<String> topics = new LinkedHashSet<>();
    private Duration timeout = Duration.ofSeconds(30);
    private double rateLimit;
    private int concurrency = 8;
    private boolean ordered;
    private PayloadMode payloadMode = PayloadMode.STANDARD_WEBHOOKS;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("Invalid endpoint name '" + name
            + "': expected 1 to 100 letters, digits, '_' or '-'");
      }
      this.name = name;
    }

    /**
     * Sets the URL.
     *
     * @param url an absolute http or https URL
     * @return this builder
     * @throws IllegalArgumentException when the URL is not absolute http(s)
     */
    public Builder url(URI url) {
      Objects.requireNonNull(url, "url");
      String scheme = url.getScheme();
      if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          || url.getHost() == null) {
        throw new IllegalArgumentException("Invalid URL '" + url + "' of endpoint '" + name
            + "': expected an absolute http:// or https:// URL with a host");
      }
      this.url = url;
      return this;
    }

    /**
     * Sets the URL.
     *
     * @param url an absolute http or https URL
     * @return this builder
     * @throws IllegalArgumentException when the URL is not absolute http(s)
     */
    public Builder url(String url) {
      Objects.requireNonNull(url, "url");
      try {
        return url(URI.create(url));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("Invalid URL '" + url + "' of endpoint '" + name
            + "': " + e.getMessage(), e);
      }
    }

    /**
     * Sets the signing secret; several secrets separated by spaces or commas during key rotation
     * (requests then carry one signature per secret, so receivers holding either accept them).
     *
     * @param secret {@code whsec_} followed by base64 of 24 to 64 bytes, or {@code null} for
     *     unsigned requests
     * @return this builder
     * @throws IllegalArgumentException when a secret is malformed (the message omits it)
     */
    public Builder secret(String secret) {
      if (secret != null) {
        List<String> parts = secretParts(secret);
        if (parts.isEmpty()) {
          throw new IllegalArgumentException("Empty secret of endpoint '" + name + "'");
        }
        for (String part : parts) {
          try {
            WebhookSecret.parse(part);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid secret of endpoint '" + name + "': "
                + e.getMessage());
          }
        }
      }
      this.secret = secret;
      return this;
    }

    /**
     * Adds topics; {@link #ALL_TOPICS} subscribes to every topic.
     *
     * @param topics topic names
     * @return this builder
     * @throws io.relaybus.InvalidNameException when a topic name is invalid
     */
    public Builder topics(String... topics) {
      return topics(List.of(topics));
    }

    /**
     * Adds topics; {@link #ALL_TOPICS} subscribes to every topic.
     *
     * @param topics topic names
     * @return this builder
     * @throws io.relaybus.InvalidNameException when a topic name is invalid
     */
    public Builder topics(List<String> topics) {
      for (String t : topics) {
        Objects.requireNonNull(t, "topic");
        if (!t.equals(ALL_TOPICS)) {
          Names.requireTopic(t);
        }
        this.topics.add(t);
      }
      return this;
    }

    /**
     * Sets the call timeout (default 30 s).
     *
     * @param timeout from 1 ms to 1 hour
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("Invalid timeout " + timeout + " of endpoint '" + name
            + "': expected from 1ms to 1h");
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Sets the rate limit (default 0, unlimited).
     *
     * @param requestsPerSecond 0 for unlimited, else from 0.001 to 100000
     * @return this builder
     */
    public Builder rateLimit(double requestsPerSecond) {
      if (!(requestsPerSecond == 0 || (requestsPerSecond >= 0.001
          && requestsPerSecond <= 100_000))) {
        throw new IllegalArgumentException("Invalid rate limit " + requestsPerSecond
            + " of endpoint '" + name + "': expected 0 (unlimited) or 0.001 to 100000 per second");
      }
      this.rateLimit = requestsPerSecond;
      return this;
    }

    /**
     * Sets the most requests in flight at once (default 8; 1 when ordered).
     *
     * @param concurrency from 1 to 1024
     * @return this builder
     */
    public Builder concurrency(int concurrency) {
      if (concurrency < 1 || concurrency > 1024) {
        throw new IllegalArgumentException("Invalid concurrency " + concurrency
            + " of endpoint '" + name + "': expected 1 to 1024");
      }
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Turns in-order delivery on or off (default off).
     *
     * @param ordered {@code true} to send one delivery at a time in publish order
     * @return this builder
     */
    public Builder ordered(boolean ordered) {
      this.ordered = ordered;
      return this;
    }

    /**
     * Sets the payload mode (default {@link PayloadMode#STANDARD_WEBHOOKS}).
     *
     * @param payloadMode the mode
     * @return this builder
     */
    public Builder payloadMode(PayloadMode payloadMode) {
      this.payloadMode = Objects.requireNonNull(payloadMode, "payloadMode");
      return this;
    }

    /**
     * Adds a header sent with every request.
     *
     * @param name the header name
     * @param value the value
     * @return this builder
     */
    public Builder header(String name, String value) {
      Objects.requireNonNull(name, "header name");
      Objects.requireNonNull(value, "header value");
      if (!name.matches("[A-Za-z0-9-]{1,100}")) {
        throw new IllegalArgumentException("Invalid header name '" + name + "' of endpoint '"
            + this.name + "': expected letters, digits and '-'");
      }
      headers.put(name, value);
      return this;
    }

    /**
     * Adds headers sent with every request.
     *
     * @param headers names and values
     * @return this builder
     */
    public Builder headers(Map<String, String> headers) {
      headers.forEach(this::header);
      return this;
    }

    /**
     * Builds the endpoint.
     *
     * @return the endpoint
     * @throws IllegalArgumentException when the URL or the topics are missing
     */
    public WebhookEndpoint build() {
      if (url == null) {
        throw new IllegalArgumentException("Endpoint '" + name + "' needs a url");
      }
      if (topics.isEmpty()) {
        throw new IllegalArgumentException("Endpoint '" + name
            + "' needs at least one topic (or '*' for all)");
      }
      return new WebhookEndpoint(this);
    }
  }
}
