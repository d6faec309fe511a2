package io.relaybus.spring.boot.internal;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;

/**
 * A publish through the Spring transaction's connection, on the transports that can write into
 * a caller's transaction. Each transport's call is in a nested class of its own, loaded only
 * when that transport publishes, so a class path without the other transport is fine.
 */
final class JoinedPublish {

  private JoinedPublish() {}

  /**
   * Publishes on the connection of the transaction bound to {@code dataSource}.
   *
   * @param transport the bus's transport name: {@code postgres} or {@code webhook}
   */
  static List<PublishReceipt> publish(String transport, EventBus bus, DataSource dataSource,
      String topic, Event event) {
    Connection connection = DataSourceUtils.getConnection(dataSource);
    try {
      return transport.equals("webhook") ? Webhook.publish(bus, connection, topic, event)
          : Postgres.publish(bus, connection, topic, event);
    } finally {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }

  private static final class Postgres {
    static List<PublishReceipt> publish(EventBus bus, Connection c, String topic, Event event) {
      return bus.unwrap(io.relaybus.postgres.PostgresTransport.class).publish(c, topic,
          List.of(event));
    }
  }

  private static final class Webhook {
    static List<PublishReceipt> publish(EventBus bus, Connection c, String topic, Event event) {
      return bus.unwrap(io.relaybus.webhook.WebhookTransport.class).publish(c, topic,
          List.of(event));
    }
  }
}
