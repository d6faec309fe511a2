package io.relaybus.spring.boot.internal;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.postgres.PostgresTransport;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;

/** An insert through the Spring transaction's connection; loaded only for that. */
final class PostgresJoin {

  private PostgresJoin() {}

  static List<PublishReceipt> publish(EventBus bus, DataSource dataSource, String topic,
      Event event) {
    PostgresTransport transport = bus.unwrap(PostgresTransport.class);
    Connection connection = DataSourceUtils.getConnection(dataSource);
    try {
      return transport.publish(connection, topic, List.of(event));
    } finally {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }
}
