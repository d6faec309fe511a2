package io.relaybus.webhook;

import io.relaybus.spi.HealthGrace;
import io.relaybus.spi.Settings;
import io.relaybus.webhook.internal.dispatch.DispatcherConfig;
import io.relaybus.webhook.internal.dispatch.RetrySchedule;
import io.relaybus.webhook.net.BlockedEndpointException;
import io.relaybus.webhook.net.SsrfPolicy;
import io.relaybus.webhook.internal.outbox.JdbcOutbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** The validated {@code relaybus.webhook.*} settings. */
final class WebhookSettings {
  static final String PREFIX = "relaybus.webhook.";
  static final String OUTBOX = PREFIX + "outbox";
  static final String JDBC_URL = PREFIX + "jdbc.url";
  static final String JDBC_USER = PREFIX + "jdbc.user";
  static final String JDBC_PASSWORD = PREFIX + "jdbc.password";
  static final String JDBC_SCHEMA = PREFIX + "jdbc.schema";
  static final String JDBC_POOL_SIZE = PREFIX + "jdbc.pool-size";
  static final String JDBC_POLL_ONLY = PREFIX + "jdbc.poll-only";
  static final String JDBC_PACKS = PREFIX + "jdbc.packs";
  static final String JDBC_PUBLISH_WRITERS = PREFIX + "jdbc.publish-writers";
  static final String RETRY_SCHEDULE = PREFIX + "retry.schedule";
  static final String RETRY_JITTER = PREFIX + "retry.jitter";
  static final String RETRY_AFTER_MAX = PREFIX + "retry.retry-after-max";
  static final String POLL_INTERVAL = PREFIX + "poll-interval";
  static final String ROUTE_REFRESH = PREFIX + "route-refresh";
  static final String LEASE = PREFIX + "lease";
  static final String CONNECT_TIMEOUT = PREFIX + "connect-timeout";
  static final String BREAKER_THRESHOLD = PREFIX + "breaker.threshold";
  static final String BREAKER_OPEN_DURATION = PREFIX + "breaker.open-duration";
  static final String BATCH = PREFIX + "batch";
  static final String ATTEMPT_RETENTION = PREFIX + "attempt-retention";
  static final String SSRF_PREFIX = PREFIX + "ssrf.";
  static final String RECEIVER_HOST = PREFIX + "receiver.host";
  static final String RECEIVER_PORT = PREFIX + "receiver.port";
  static final String RECEIVER_PUBLIC_URL = PREFIX + "receiver.public-url";
  static final String GROUP_TIMEOUT = PREFIX + "subscriber.call-timeout";
  static final String MEMBER_TTL = PREFIX + "subscriber.member-ttl";
  static final String ENDPOINTS = PREFIX + "endpoints.";
  static final String MAX_EVENT_SIZE = PREFIX + "max-event-size";

  /**
   * The default {@link #MAX_EVENT_SIZE}, 2 MiB: as base64 in a Standard Webhooks body (the
   * widest common encoding, 4/3) it stays under the 4 MiB a {@code WebhookReceiver} accepts by
   * default.
   */
  static final long DEFAULT_MAX_EVENT_SIZE = 2L << 20;
  /**
   * The largest {@link #MAX_EVENT_SIZE}, 64 MiB: every body it can take (at most 6 bytes per
   * data byte, text made of control characters, which JSON escapes in six characters each) stays
   * under the 1 GiB a subscribing bus's member receiver accepts.
   */
  static final long MAX_EVENT_SIZE_CEILING = 64L << 20;

  static final Set<String> KEYS = Set.of(OUTBOX, JDBC_URL, JDBC_USER, JDBC_PASSWORD, JDBC_SCHEMA,
      JDBC_POOL_SIZE, JDBC_POLL_ONLY, JDBC_PACKS, JDBC_PUBLISH_WRITERS,
      RETRY_SCHEDULE, RETRY_JITTER, RETRY_AFTER_MAX, POLL_INTERVAL, ROUTE_REFRESH,
      LEASE, CONNECT_TIMEOUT, BREAKER_THRESHOLD, BREAKER_OPEN_DURATION, BATCH, ATTEMPT_RETENTION,
      SSRF_PREFIX + SsrfPolicy.ALLOW_CATEGORIES, SSRF_PREFIX + SsrfPolicy.ALLOW_CIDRS,
      SSRF_PREFIX + SsrfPolicy.ALLOW_HOSTS, RECEIVER_HOST, RECEIVER_PORT, RECEIVER_PUBLIC_URL, GROUP_TIMEOUT, MEMBER_TTL,
      MAX_EVENT_SIZE);

  /** Per-endpoint keys after {@code relaybus.webhook.endpoints.<name>.}. */
  static final List<String> ENDPOINT_KEYS = List.of("url", "secret", "topics", "timeout",
      "rate-limit", "concurrency", "ordered", "payload-mode", "enabled");

  /** Where deliveries wait. */
  enum OutboxKind {
    /** In this JVM: lost on a crash. */
    MEMORY,
    /** In PostgreSQL: durable, shared by sender processes. */
    JDBC
  }

  final OutboxKind outbox;
  final String jdbcUrl;
  final String jdbcUser;
  final String jdbcPassword;
  final String jdbcSchema;
  final int jdbcPoolSize;
  /**
   * No LISTEN connection: deliveries other connections commit (a publish in a caller's
   * transaction, another process's) are found every poll-interval.
   */
  final boolean jdbcPollOnly;
  /**
   * Whether large publishes to unordered endpoints are stored as packs (ADR 0020); off, every
   * delivery is a row, as senders of earlier versions expect during a rolling upgrade.
   */
  final boolean jdbcPacks;
  /**
   * Statements writing publishes at once for topics no ordered endpoint or group takes; with
   * {@code jdbc.url}, at most a third of the pool, so that senders keep connections.
   */
  final int jdbcPublishWriters;
  final DispatcherConfig dispatcher;
  final SsrfPolicy ssrf;
  final String receiverHost;
  final int receiverPort;
  final String receiverPublicUrl;
  final Duration memberTtl;
  final long maxEventSize;
  final Map<String, WebhookEndpoint> endpoints;
  final Map<String, Boolean> endpointEnabled;
  /** The core's {@code relaybus.health.grace-period}, for the health components. */
  final Duration healthGracePeriod;

  WebhookSettings(Settings settings, boolean dataSourceGiven) {
    Settings.Reader r = settings.reader();
    this.outbox = r.enumValue(OUTBOX, OutboxKind.class,
        dataSourceGiven ? OutboxKind.JDBC : OutboxKind.MEMORY);
    this.jdbcUrl = r.string(JDBC_URL, null);
    if (outbox == OutboxKind.JDBC && jdbcUrl == null && !dataSourceGiven) {
      r.problem(JDBC_URL + " is required when " + OUTBOX + "=jdbc: the JDBC URL of the "
          + "PostgreSQL database, e.g. jdbc:postgresql://localhost:5432/app (or give a "
          + "DataSource with WebhookTransportProvider.withDataSource)");
    }
    if (jdbcUrl != null && !jdbcUrl.startsWith("jdbc:postgresql:")) {
      r.problem(JDBC_URL + "='" + jdbcUrl + "' is invalid: expected jdbc:postgresql://...");
    }
    this.jdbcUser = r.string(JDBC_USER, null);
    this.jdbcPassword = r.string(JDBC_PASSWORD, null);
    this.jdbcSchema = r.string(JDBC_SCHEMA, "relaybus_webhook");
    if (!JdbcOutbox.SCHEMA_NAME.matcher(jdbcSchema).matches()) {
      r.problem(JDBC_SCHEMA + "='" + jdbcSchema + "' is invalid: expected a lower-case "
          + "identifier [a-z_][a-z0-9_]{0,49}");
    }
    this.jdbcPoolSize = r.integer(JDBC_POOL_SIZE, 10, 2, 500);
    this.jdbcPollOnly = r.bool(JDBC_POLL_ONLY, false);
    this.jdbcPacks = r.bool(JDBC_PACKS, true);
    int writers = r.integer(JDBC_PUBLISH_WRITERS, JdbcOutbox.DEFAULT_PUBLISH_WRITERS, 1, 64);
    this.jdbcPublishWriters = dataSourceGiven ? writers
        : Math.min(writers, Math.max(1, jdbcPoolSize / 3));
    RetrySchedule schedule = new RetrySchedule(readSchedule(r),
        r.decimal(RETRY_JITTER, 0.2, 0, 1));
    Duration min = Duration.ofMillis(1);
    this.dispatcher = new DispatcherConfig(schedule,
        r.duration(RETRY_AFTER_MAX, Duration.ofHours(1), Duration.ZERO, Duration.ofDays(7)),
        r.duration(POLL_INTERVAL, Duration.ofSeconds(1), min, Duration.ofMinutes(10)),
        r.duration(ROUTE_REFRESH, Duration.ofSeconds(1), min, Duration.ofMinutes(10)),
        r.duration(LEASE, Duration.ofSeconds(60), Duration.ofMillis(100), Duration.ofDays(1)),
        r.duration(CONNECT_TIMEOUT, Duration.ofSeconds(10), min, Duration.ofMinutes(10)),
        r.duration(GROUP_TIMEOUT, Duration.ofMinutes(5), Duration.ofMillis(100),
            Duration.ofHours(24)),
        r.integer(BREAKER_THRESHOLD, 5, 0, 1_000_000),
        r.duration(BREAKER_OPEN_DURATION, Duration.ofSeconds(30), min, Duration.ofDays(1)),
        r.integer(BATCH, 64, 1, 10_000),
        r.duration(ATTEMPT_RETENTION, Duration.ofDays(7), Duration.ofMinutes(1),
            Duration.ofDays(3650)));
    this.ssrf = SsrfPolicy.fromSettings(r, SSRF_PREFIX);
    this.receiverHost = r.string(RECEIVER_HOST, "127.0.0.1");
    this.receiverPort = r.integer(RECEIVER_PORT, 0, 0, 65535);
    this.receiverPublicUrl = r.string(RECEIVER_PUBLIC_URL, null);
    if (receiverPublicUrl != null && !receiverPublicUrl.matches("https?://.+")) {
      r.problem(RECEIVER_PUBLIC_URL + "='" + receiverPublicUrl + "' is invalid: expected the "
          + "http(s) base URL other processes reach this bus's receiver at");
    }
    this.memberTtl = r.duration(MEMBER_TTL, Duration.ofSeconds(30), Duration.ofMillis(500),
        Duration.ofHours(1));
    this.maxEventSize = r.size(MAX_EVENT_SIZE, DEFAULT_MAX_EVENT_SIZE, 1024,
        MAX_EVENT_SIZE_CEILING);
    this.endpoints = new LinkedHashMap<>();
    this.endpointEnabled = new LinkedHashMap<>();
    readEndpoints(settings, r);
    r.validate();
    this.healthGracePeriod = HealthGrace.gracePeriod(settings);
  }

  private static List<Duration> readSchedule(Settings.Reader r) {
    String raw = r.string(RETRY_SCHEDULE, null);
    if (raw == null) {
      return RetrySchedule.STANDARD;
    }
    List<Duration> out = new ArrayList<>();
    String[] parts = raw.split(",");
    for (int i = 0; i < parts.length; i++) {
      String one = RETRY_SCHEDULE + "[" + i + "]";
      Duration d = Settings.of(Map.of(one, parts[i].trim())).reader().duration(one, null,
          Duration.ZERO, Duration.ofDays(7));
      if (d == null) {
        r.problem(RETRY_SCHEDULE + "='" + raw + "' is invalid: entry " + (i + 1) + " ('"
            + parts[i].trim() + "') is not a duration from 0 to 7d; expected a comma-separated "
            + "list such as 0s,5s,5m,30m,2h,5h,10h,10h");
        return RetrySchedule.STANDARD;
      }
      out.add(d);
    }
    return out;
  }

  /** The endpoint name and the per-endpoint key of a key under {@code endpoints.}, or null. */
  static String[] splitEndpointKey(String key) {
    String norm = Settings.normalise(key);
    String prefix = Settings.normalise(ENDPOINTS);
    if (!norm.startsWith(prefix)) {
      return null;
    }
    String rest = key.substring(ENDPOINTS.length());
    String restNorm = norm.substring(prefix.length());
    int headers = restNorm.indexOf("_HEADERS_");
    if (headers > 0) {
      return new String[] {rest.substring(0, headers), "headers",
          rest.substring(headers + "_HEADERS_".length())};
    }
    for (String suffix : ENDPOINT_KEYS) {
      String s = "_" + Settings.normalise(suffix);
      if (restNorm.endsWith(s) && restNorm.length() > s.length()) {
        return new String[] {rest.substring(0, rest.length() - s.length()), suffix, null};
      }
    }
    return null;
  }

  private void readEndpoints(Settings settings, Settings.Reader r) {
    Map<String, Map<String, String>> byName = new TreeMap<>();
    Map<String, Map<String, String>> headers = new TreeMap<>();
    for (String key : settings.keys()) {
      String[] parts = splitEndpointKey(key);
      if (parts == null) {
        continue;
      }
      if (parts[1].equals("headers")) {
        headers.computeIfAbsent(parts[0], k -> new LinkedHashMap<>())
            .put(parts[2], settings.get(key).orElse(""));
      } else {
        byName.computeIfAbsent(parts[0], k -> new LinkedHashMap<>()).put(parts[1], key);
      }
    }
    headers.keySet().forEach(n -> byName.computeIfAbsent(n, k -> new LinkedHashMap<>()));
    for (Map.Entry<String, Map<String, String>> e : byName.entrySet()) {
      String name = e.getKey();
      String p = ENDPOINTS + name + ".";
      Map<String, String> keys = e.getValue();
      if (!WebhookEndpoint.NAME.matcher(name).matches()) {
        r.problem(p + "* : endpoint name '" + name + "' is invalid: expected 1 to 100 letters, "
            + "digits, '_' or '-'");
        continue;
      }
      WebhookEndpoint.Builder b = WebhookEndpoint.builder(name);
      String url = r.requiredString(keys.getOrDefault("url", p + "url"),
          "the http(s) URL of endpoint '" + name + "'");
      String topics = r.requiredString(keys.getOrDefault("topics", p + "topics"),
          "comma-separated topics (or *) endpoint '" + name + "' receives");
      int problems = r.problems().size();
      attempt(r, keys.get("url"), () -> {
        if (url != null) {
          b.url(url);
        }
      });
      if (keys.containsKey("secret")) {
        attempt(r, keys.get("secret"), () -> b.secret(r.string(keys.get("secret"), null)));
      }
      attempt(r, keys.get("topics"), () -> {
        if (topics != null) {
          b.topics(Arrays.stream(topics.split(",")).map(String::trim)
              .filter(t -> !t.isEmpty()).toList());
        }
      });
      if (keys.containsKey("timeout")) {
        b.timeout(r.duration(keys.get("timeout"), Duration.ofSeconds(30), Duration.ofMillis(1),
            Duration.ofHours(1)));
      }
      if (keys.containsKey("rate-limit")) {
        b.rateLimit(r.decimal(keys.get("rate-limit"), 0, 0, 100_000));
      }
      if (keys.containsKey("concurrency")) {
        b.concurrency(r.integer(keys.get("concurrency"), 8, 1, 1024));
      }
      if (keys.containsKey("ordered")) {
        b.ordered(r.bool(keys.get("ordered"), false));
      }
      if (keys.containsKey("payload-mode")) {
        b.payloadMode(r.enumValue(keys.get("payload-mode"), PayloadMode.class,
            PayloadMode.STANDARD_WEBHOOKS));
      }
      endpointEnabled.put(name, keys.containsKey("enabled")
          ? r.bool(keys.get("enabled"), true) : true);
      headers.getOrDefault(name, Map.of()).forEach((h, v) ->
          attempt(r, p + "headers." + h, () -> b.header(h, v)));
      if (r.problems().size() == problems && url != null && topics != null) {
        try {
          ssrf.checkUrl(url);
          endpoints.put(name, b.build());
        } catch (BlockedEndpointException ex) {
          r.problem(keys.get("url") + " is refused: " + ex.getMessage());
        } catch (IllegalArgumentException ex) {
          r.problem(p + "*: " + ex.getMessage());
        }
      }
    }
  }

  private static void attempt(Settings.Reader r, String key, Runnable step) {
    try {
      step.run();
    } catch (IllegalArgumentException e) {
      r.problem(key + " is invalid: " + e.getMessage());
    }
  }

  /**
   * The per-endpoint key a misspelt {@code endpoints.<name>.<key>} (dotted form) was most likely
   * meant to be.
   */
  static Optional<String> suggestEndpointKey(String key) {
    if (!key.regionMatches(true, 0, ENDPOINTS, 0, ENDPOINTS.length())) {
      return Optional.empty();
    }
    int dot = key.indexOf('.', ENDPOINTS.length());
    if (dot < 0) {
      return Optional.empty();
    }
    String p = key.substring(0, dot + 1);
    return Settings.closest(key, ENDPOINT_KEYS.stream().map(k -> p + k).toList());
  }

  static boolean acceptsEndpointKey(String key) {
    return splitEndpointKey(key) != null;
  }
}
