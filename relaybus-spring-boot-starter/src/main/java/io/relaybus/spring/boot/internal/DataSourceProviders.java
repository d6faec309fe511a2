package io.relaybus.spring.boot.internal;

import io.relaybus.spi.TransportProvider;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The transport provider that takes connections from the application's {@link DataSource}, when
 * the settings ask for a transport that stores in PostgreSQL and give no URL of their own.
 * Transport classes are named only in the nested holders, so a class path without them is fine.
 */
public final class DataSourceProviders {

  private DataSourceProviders() {}

  /**
   * The provider for these settings and data source.
   *
   * @param settings the settings, in the core's key forms
   * @param dataSource the application's data source
   * @return a provider on the data source, or empty when the settings name their own database or
   *     a transport that stores none
   */
  public static Optional<TransportProvider> forSettings(Map<String, String> settings,
      DataSource dataSource) {
    String transport = settings.getOrDefault("relaybus.transport", "memory").trim()
        .toLowerCase(Locale.ROOT);
    if (transport.equals("postgres") && !settings.containsKey("relaybus.postgres.url")
        && present("io.relaybus.postgres.PostgresTransportProvider")) {
      return Optional.of(Postgres.provider(dataSource));
    }
    if (transport.equals("webhook") && !settings.containsKey("relaybus.webhook.jdbc.url")
        && "jdbc".equalsIgnoreCase(settings.getOrDefault("relaybus.webhook.outbox", "").trim())
        && present("io.relaybus.webhook.WebhookTransportProvider")) {
      return Optional.of(Webhook.provider(dataSource));
    }
    return Optional.empty();
  }

  private static boolean present(String className) {
    try {
      Class.forName(className, false, DataSourceProviders.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  private static final class Postgres {
    static TransportProvider provider(DataSource dataSource) {
      return io.relaybus.postgres.PostgresTransportProvider.withDataSource(dataSource);
    }
  }

  private static final class Webhook {
    static TransportProvider provider(DataSource dataSource) {
      return io.relaybus.webhook.WebhookTransportProvider.withDataSource(dataSource);
    }
  }
}
