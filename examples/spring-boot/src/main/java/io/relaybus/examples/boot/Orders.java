package io.relaybus.examples.boot;

import io.relaybus.spring.boot.RelaybusTemplate;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Places orders: the row and its event in one transaction. */
@Service
public class Orders {
  private final JdbcTemplate jdbc;
  private final RelaybusTemplate relaybus;

  Orders(JdbcTemplate jdbc, RelaybusTemplate relaybus) {
    this.jdbc = jdbc;
    this.relaybus = relaybus;
    jdbc.execute("create table if not exists shop_orders (id text primary key, total bigint)");
  }

  /**
   * Stores the order and publishes {@code order.placed}. On PostgreSQL the event joins this
   * transaction; on the other transports it is published after the commit.
   *
   * @param order the order
   * @throws IllegalArgumentException when the total is negative, after the insert and the
   *     publish: the transaction rolls back and no event is delivered
   */
  @Transactional
  public void place(Order order) {
    jdbc.update("insert into shop_orders (id, total) values (?, ?)", order.id(), order.total());
    relaybus.publish("orders", relaybus.event("order.placed", order).key(order.id()).build());
    if (order.total() < 0) {
      throw new IllegalArgumentException("order " + order.id() + ": negative total");
    }
  }
}
