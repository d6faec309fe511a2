package io.relaybus.postgres;

import io.relaybus.spi.Settings;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

/** The validated {@code relaybus.postgres.*} settings. */
final class PostgresSettings {
  static final String PREFIX = "relaybus.postgres.";
  static final String URL = PREFIX + "url";
  static final String USER = PREFIX + "user";
  static final String PASSWORD = PREFIX + "password";
  static final String SCHEMA = PREFIX + "schema";
  static final String POOL_SIZE = PREFIX + "pool-size";
  static final String PARTITIONS = PREFIX + "partitions";
  static final String POLL_INTERVAL = PREFIX + "poll-interval";
  static final String LEASE_TIMEOUT = PREFIX + "lease-timeout";
  static final String RETENTION = PREFIX + "retention";
  static final String NOTIFY = PREFIX + "notify";
  static final String NOTIFY_INTERVAL = PREFIX + "notify-interval";
  static final String POLL_ONLY = PREFIX + "poll-only";
  static final String AUTO_DDL = PREFIX + "auto-ddl";
  static final String FETCH_SIZE = PREFIX + "fetch-size";
  static final String HEALTH_CHECK_INTERVAL = PREFIX + "health-check-interval";
  static final String COMMIT_INTERVAL = PREFIX + "commit-interval";
  static final String PACK_BATCHES = PREFIX + "pack-batches";
  static final String PUBLISH_WRITERS = PREFIX + "publish-writers";
  static final String MAX_EVENT_SIZE = PREFIX + "max-event-size";
  static final String CONNECT_TIMEOUT = PREFIX + "connect-timeout";

  /** The default {@link #MAX_EVENT_SIZE}: 4 MiB. */
  static final long DEFAULT_MAX_EVENT_SIZE = 4L << 20;
  /**
   * The largest {@link #MAX_EVENT_SIZE}, and the most one publish (and one statement of the
   * publish pipeline) holds: 64 MiB. A statement's parameters travel in one protocol message,
   * which PostgreSQL bounds at 1 GB, and bytea arrays may be sent and read back as hex text,
   * twice their size; 64 MiB keeps every statement and every pack row far below that.
   */
  static final long MAX_BATCH_SIZE = 64L << 20;

  private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,49}");

  /** How publishers wake subscribers. */
  enum NotifyMode {
    /** One coalesced NOTIFY per topic after commits, from a single notifier connection. */
    COALESCED,
    /** NOTIFY inside each publishing transaction (PostgreSQL folds duplicates per transaction). */
    TRANSACTIONAL,
    /** No NOTIFY from Relaybus publishers: subscribers find events by polling. */
    OFF
  }

  final String url;
  final String user;
  final String password;
  final String schema;
  final int poolSize;
  final int partitions;
  final Duration pollInterval;
  final Duration leaseTimeout;
  final Duration retention;
  final NotifyMode notifyMode;
  final Duration notifyInterval;
  final boolean pollOnly;
  final boolean autoDdl;
  final int fetchSize;
  final Duration healthCheckInterval;
  final Duration commitInterval;
  final boolean packBatches;
  final int publishWriters;
  final long maxEventSize;
  final Duration connectTimeout;

  PostgresSettings(Settings settings, boolean dataSourceGiven) {
    Settings.Reader r = settings.reader();
    this.url = dataSourceGiven ? r.string(URL, null)
        : r.requiredString(URL, "the JDBC URL of the database, e.g. "
            + "jdbc:postgresql://localhost:5432/app (or pass a DataSource in code)");
    if (url != null && !url.startsWith("jdbc:postgresql:")) {
      r.problem(URL + " must start with jdbc:postgresql:, got '" + url.split("\\?")[0] + "'");
    }
    this.user = r.string(USER, null);
    this.password = r.string(PASSWORD, null);
    String s = r.string(SCHEMA, "relaybus").toLowerCase(Locale.ROOT);
    if (!SCHEMA_NAME.matcher(s).matches()) {
      r.problem(SCHEMA + "='" + s + "' is invalid: use 1-50 characters from a-z, 0-9 and _, "
          + "not starting with a digit (its NOTIFY channel, <schema>_events, must fit "
          + "PostgreSQL's 63-byte identifiers)");
      s = "relaybus";
    }
    this.schema = s;
    this.poolSize = r.integer(POOL_SIZE, 16, 2, 500);
    this.partitions = r.integer(PARTITIONS, 8, 1, 1024);
    this.pollInterval = r.duration(POLL_INTERVAL, Duration.ofSeconds(1), Duration.ofMillis(10),
        Duration.ofMinutes(10));
    this.leaseTimeout = r.duration(LEASE_TIMEOUT, Duration.ofSeconds(30), Duration.ofSeconds(1),
        Duration.ofHours(1));
    this.retention = r.duration(RETENTION, Duration.ofDays(7), Duration.ZERO,
        Duration.ofDays(3650));
    this.pollOnly = r.bool(POLL_ONLY, false);
    this.notifyMode = r.enumValue(NOTIFY, NotifyMode.class,
        pollOnly ? NotifyMode.OFF : NotifyMode.COALESCED);
    // 2 ms: between processes, a delivery waits for the next NOTIFY (at a steady rate half an
    // interval on average), so a longer interval adds to every delivery's latency; 0 (a NOTIFY
    // per commit) queues the notifications themselves (benchmarks/RESULTS.md).
    this.notifyInterval = r.duration(NOTIFY_INTERVAL, Duration.ofMillis(2), Duration.ZERO,
        Duration.ofSeconds(1));
    this.autoDdl = r.bool(AUTO_DDL, true);
    this.fetchSize = r.integer(FETCH_SIZE, 500, 1, 100_000);
    this.healthCheckInterval = r.duration(HEALTH_CHECK_INTERVAL, Duration.ofSeconds(5),
        Duration.ofMillis(100), Duration.ofMinutes(10));
    this.commitInterval = r.duration(COMMIT_INTERVAL, Duration.ofMillis(100), Duration.ZERO,
        Duration.ofMinutes(1));
    this.packBatches = r.bool(PACK_BATCHES, true);
    // 2: one statement in flight while the next group forms. More writers split concurrent
    // callers into smaller statements, each its own commit (benchmarks/RESULTS.md).
    this.publishWriters = r.integer(PUBLISH_WRITERS, 2, 1, 64);
    this.maxEventSize = r.size(MAX_EVENT_SIZE, DEFAULT_MAX_EVENT_SIZE, 1024, MAX_BATCH_SIZE);
    // How long start-up waits for a database that refuses connections or does not answer; the
    // driver's own connect and socket timeouts are whole seconds, hence the 1 s minimum.
    this.connectTimeout = r.duration(CONNECT_TIMEOUT, Duration.ofSeconds(10),
        Duration.ofSeconds(1), Duration.ofMinutes(10));
    r.validate();
  }

  String channel() {
    return schema + "_events";
  }
}
