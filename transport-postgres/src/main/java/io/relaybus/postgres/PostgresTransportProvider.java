package io.relaybus.postgres;

import io.relaybus.spi.Settings;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import java.util.Objects;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Provides the PostgreSQL transport, {@code relaybus.transport=postgres}.
 *
 * <p>Settings ({@code relaybus.postgres.*}):
 * <ul>
 *   <li>{@code url} — JDBC URL, required unless a {@link DataSource} is given with
 *       {@link #withDataSource(DataSource)}; {@code user}, {@code password}.
 *   <li>{@code schema} (default {@code relaybus}) — where the tables live.
 *   <li>{@code auto-ddl} (default {@code true}) — create and migrate the schema on start; when
 *       {@code false} the schema must have been applied from {@code docs/postgres/schema.sql}.
 *   <li>{@code pool-size} (16) — connections of the built-in pool (URL mode); each subscription
 *       uses one while it fetches, publishers up to four, so allow subscriptions + 6.
 *   <li>{@code partitions} (8) — partitions of a topic created by this bus; a group's members
 *       share work by leasing partitions, so at most this many members of one group are busy.
 *   <li>{@code poll-interval} (1s) — how often members look for events without a notification.
 *   <li>{@code lease-timeout} (30s) — after this long without a heartbeat, a member's
 *       partitions and their unfinished events go to the other members.
 *   <li>{@code retention} (7d) — events every group consumed are deleted after this age.
 *   <li>{@code notify} ({@code coalesced}) — {@code coalesced}: one NOTIFY per topic for many
 *       commits, sent after them; {@code transactional}: NOTIFY inside each publishing
 *       transaction; {@code off}: subscribers poll.
 *   <li>{@code notify-interval} (2ms) — with {@code coalesced}, the shortest gap between two
 *       NOTIFYs: the first after a quiet spell goes at once, later ones gather what was
 *       committed meanwhile.
 *   <li>{@code poll-only} ({@code false}) — no LISTEN connection, for PgBouncer transaction
 *       pooling; implies {@code notify=off} unless set.
 *   <li>{@code fetch-size} (500), {@code health-check-interval} (5s), {@code commit-interval}
 *       (100ms) — batch size of a fetch, liveness check of the LISTEN connection and the health
 *       checks (pool, overdue heartbeats), and how often acknowledged positions are written.
 *   <li>{@code pack-batches} ({@code true}) — the events of one topic and partition that a
 *       publisher writes together (two or more, up to 64) share one row of the {@code packs}
 *       table instead of one {@code events} row each (ADR 0012): about twice the batch publish
 *       rate. Every process reading the schema must run a version that reads packs.
 *   <li>{@code max-event-size} (4 MiB, at most 64 MiB; bytes or with KiB, MiB) — the largest
 *       {@link io.relaybus.Event#size()} a publish accepts. One publish (a
 *       {@code publishAll}) holds at most 64 MiB in all, as it is written in one statement.
 * </ul>
 */
public final class PostgresTransportProvider implements TransportProvider {

  /** The transport name. */
  public static final String NAME = "postgres";

  private final DataSource dataSource;

  /** Creates the provider; used by {@link java.util.ServiceLoader}. */
  public PostgresTransportProvider() {
    this(null);
  }

  private PostgresTransportProvider(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * A provider that takes connections from the application's own {@code DataSource}, for
   * {@link io.relaybus.EventBus.Builder#provider(TransportProvider)}. The LISTEN connection is
   * taken from it too and held for the bus's lifetime.
   *
   * @param dataSource the data source
   * @return the provider
   */
  public static PostgresTransportProvider withDataSource(DataSource dataSource) {
    return new PostgresTransportProvider(Objects.requireNonNull(dataSource, "dataSource"));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> configKeys() {
    return Set.of(PostgresSettings.URL, PostgresSettings.USER, PostgresSettings.PASSWORD,
        PostgresSettings.SCHEMA, PostgresSettings.POOL_SIZE, PostgresSettings.PARTITIONS,
        PostgresSettings.POLL_INTERVAL, PostgresSettings.LEASE_TIMEOUT,
        PostgresSettings.RETENTION, PostgresSettings.NOTIFY, PostgresSettings.NOTIFY_INTERVAL,
        PostgresSettings.POLL_ONLY,
        PostgresSettings.AUTO_DDL, PostgresSettings.FETCH_SIZE,
        PostgresSettings.HEALTH_CHECK_INTERVAL, PostgresSettings.COMMIT_INTERVAL,
        PostgresSettings.PACK_BATCHES, PostgresSettings.PUBLISH_WRITERS,
        PostgresSettings.MAX_EVENT_SIZE, PostgresSettings.CONNECT_TIMEOUT);
  }

  /** Reads every {@code relaybus.postgres.*} key; connects to nothing. */
  @Override
  public void validate(Settings settings) {
    new PostgresSettings(settings, dataSource != null);
  }

  @Override
  public Transport create(TransportContext context) {
    PostgresSettings settings = new PostgresSettings(context.settings(), dataSource != null);
    return PostgresTransport.start(settings, dataSource, context);
  }
}
