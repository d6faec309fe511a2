package com.example.shop;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.postgres.PostgresTransport;
import io.relaybus.postgres.PostgresTransportProvider;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;

public class Orders implements AutoCloseable {
  record OrderPlaced(String orderId, String customer, int cents) {}

  private final DataSource dataSource; // the application's pool, e.g. HikariCP
  private final EventBus bus;
  private final PostgresTransport postgres;

  public Orders(DataSource dataSource) {
    this.dataSource = dataSource;
    this.bus = EventBus.builder() // one pool and one database configuration for both
        .provider(PostgresTransportProvider.withDataSource(dataSource))
        .build();
    this.postgres = bus.unwrap(PostgresTransport.class);
  }

  public EventBus bus() {
    return bus;
  }

  /** Stores the order and its event in one transaction: both or neither. */
  public void place(String orderId, String customer, int cents) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement insert = c.prepareStatement(
          "INSERT INTO orders (id, customer, cents) VALUES (?, ?, ?)")) {
        insert.setString(1, orderId);
        insert.setString(2, customer);
        insert.setInt(3, cents);
        insert.executeUpdate(); // the business row
        postgres.publish(c, "orders", List.of(Event.builder() // the event, same transaction
            .source("/shop").type("order.placed").key(customer)
            .json(new OrderPlaced(orderId, customer, cents))
            .build()));
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  @Override
  public void close() {
    bus.close();
  }
}
