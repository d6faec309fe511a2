package io.relaybus.examples.boot;

import io.relaybus.Delivery;
import io.relaybus.spring.boot.RelaybusListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Bills every placed order. */
@Component
public class Billing {
  private static final Logger LOG = LoggerFactory.getLogger(Billing.class);

  private final List<Order> billed = new CopyOnWriteArrayList<>();

  /**
   * Bills an order; an exception would be retried by the bus, then dead-lettered.
   *
   * @param order the order, decoded from the event's JSON
   * @param delivery the delivery, for its attempt and transport
   */
  @RelaybusListener(topic = "orders", group = "billing", concurrency = "${shop.billing.threads:2}")
  public void bill(Order order, Delivery delivery) {
    billed.add(order);
    LOG.info("billed order {} ({} cents), attempt {}, group {}", order.id(), order.total(),
        delivery.attempt(), delivery.group());
  }

  /**
   * The orders billed so far.
   *
   * @return the orders, in billing order
   */
  public List<Order> billed() {
    return List.copyOf(billed);
  }
}
