package io.relaybus.webhook;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.spi.Settings;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import io.relaybus.webhook.internal.outbox.JdbcOutbox;
import io.relaybus.webhook.internal.outbox.MemoryOutbox;
import io.relaybus.webhook.internal.outbox.Outbox;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Provides the webhook transport, {@code relaybus.transport=webhook}.
 *
 * <p>Settings ({@code relaybus.webhook.*}):
 * <ul>
 *   <li>{@code outbox} ({@code memory}) — {@code memory}: deliveries wait in this JVM and are
 *       <b>lost on a crash</b>; {@code jdbc}: they wait in PostgreSQL, survive crashes and are
 *       shared by every sender process on the database. A DataSource given with
 *       {@link #withDataSource(DataSource)} implies {@code jdbc}.
 *   <li>{@code jdbc.url}, {@code jdbc.user}, {@code jdbc.password}, {@code jdbc.schema}
 *       ({@code relaybus_webhook}), {@code jdbc.pool-size} (10), {@code jdbc.packs} (true),
 *       {@code jdbc.publish-writers} (2: statements writing publishes at once for topics no
 *       ordered endpoint or group takes).
 *   <li>{@code endpoints.<name>.url}, {@code .secret} ({@code whsec_…}), {@code .topics}
 *       (comma-separated, {@code *} for all), {@code .timeout} (30s), {@code .rate-limit}
 *       (requests per second, 0 = unlimited), {@code .concurrency} (8), {@code .ordered}
 *       (false), {@code .payload-mode} ({@code standard-webhooks} or {@code cloudevents-binary}),
 *       {@code .enabled} (true), {@code .headers.<Header-Name>}.
 *   <li>{@code retry.schedule} ({@code 0s,5s,5m,30m,2h,5h,10h,10h}) — the wait before each
 *       attempt; its length is the number of attempts before a dead letter.
 *       {@code retry.jitter} (0.2), {@code retry.retry-after-max} (1h).
 *   <li>{@code breaker.threshold} (5 consecutive failures, 0 = off),
 *       {@code breaker.open-duration} (30s).
 *   <li>{@code poll-interval} (1s), {@code route-refresh} (1s), {@code lease} (60s: how long
 *       a crashed sender's claims stay taken; renewed every third of it while requests run, and
 *       at most {@code subscriber.member-ttl} in a bus that subscribes), {@code connect-timeout}
 *       (10s),
 *       {@code batch} (64), {@code attempt-retention} (7d, recorded attempts are then deleted).
 *   <li>{@code ssrf.allow-categories}, {@code ssrf.allow-cidrs}, {@code ssrf.allow-hosts} — by
 *       default endpoints may only reach public addresses; these allow address categories
 *       ({@code loopback}, {@code private}, …), ranges or host names (see
 *       {@link io.relaybus.webhook.net.SsrfPolicy}).
 *   <li>{@code receiver.host} (127.0.0.1), {@code receiver.port} (0 = any),
 *       {@code receiver.public-url}, {@code subscriber.call-timeout} (5m),
 *       {@code subscriber.member-ttl} (30s) — the embedded receiver of subscribing buses.
 *   <li>{@code max-event-size} (2 MiB, at most 64 MiB; bytes or with KiB, MiB) — the largest
 *       {@link io.relaybus.Event#size()} a publish accepts. An endpoint's receiver must accept
 *       the bodies such events make: up to 4/3 of the size as base64, more for text with
 *       control characters (see {@code docs/webhooks.md}, "Sizes").
 * </ul>
 */
public final class WebhookTransportProvider implements TransportProvider {

  /** The transport name. */
  public static final String NAME = "webhook";

  private final DataSource dataSource;

  /** Creates the provider; used by {@link java.util.ServiceLoader}. */
  public WebhookTransportProvider() {
    this(null);
  }

  private WebhookTransportProvider(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * A provider whose JDBC outbox takes connections from the application's own DataSource, for
   * {@link io.relaybus.EventBus.Builder#provider(TransportProvider)}.
   *
   * @param dataSource a PostgreSQL data source
   * @return the provider
   */
  public static WebhookTransportProvider withDataSource(DataSource dataSource) {
    return new WebhookTransportProvider(Objects.requireNonNull(dataSource, "dataSource"));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> configKeys() {
    return WebhookSettings.KEYS;
  }

  @Override
  public boolean acceptsKey(String key) {
    return TransportProvider.super.acceptsKey(key) || WebhookSettings.acceptsEndpointKey(key);
  }

  /** Also suggests per-endpoint keys: {@code endpoints.billing.ulr} means {@code ...url}. */
  @Override
  public Optional<String> suggestKey(String key) {
    return WebhookSettings.suggestEndpointKey(key)
        .or(() -> TransportProvider.super.suggestKey(key));
  }

  /**
   * Reads every {@code relaybus.webhook.*} key, endpoints included; opens no outbox connection,
   * resolves no host and starts no receiver.
   */
  @Override
  public void validate(Settings settings) {
    new WebhookSettings(settings, dataSource != null);
  }

  @Override
  public Transport create(TransportContext context) {
    WebhookSettings settings = new WebhookSettings(context.settings(), dataSource != null);
    Outbox outbox;
    if (settings.outbox == WebhookSettings.OutboxKind.JDBC) {
      HikariDataSource pool = dataSource == null ? JdbcOutbox.pool(settings.jdbcUrl,
          settings.jdbcUser, settings.jdbcPassword, settings.jdbcPoolSize) : null;
      outbox = new JdbcOutbox(dataSource != null ? dataSource : pool, pool, settings.jdbcSchema,
          settings.jdbcPacks, settings.jdbcPublishWriters);
    } else {
      outbox = new MemoryOutbox();
    }
    return new WebhookTransport(settings, context, outbox);
  }
}
