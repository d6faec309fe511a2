package io.relaybus.examples.swap;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One application, written once against the Relaybus API: a shop publishes orders, a
 * {@code billing} group adds up what each customer owes and a {@code shipping} group counts the
 * parcels and checks that each customer's orders arrive in order. Nothing here names a
 * transport: the {@link EventBus} it is given decides.
 */
public final class OrderApp {
  /** The topic. */
  public static final String TOPIC = "shop.orders";
  private static final int CUSTOMERS = 8;

  private final EventBus bus;

  /**
   * Creates the application on a bus.
   *
   * @param bus any bus; the application does not know its transport
   */
  public OrderApp(EventBus bus) {
    this.bus = bus;
  }

  /**
   * An order.
   *
   * @param number the order's number, increasing per customer
   * @param customer the customer, also the event key
   * @param cents the amount
   */
  public record Order(int number, String customer, long cents) {}

  /**
   * What both groups computed. Equal across transports for the same input.
   *
   * @param billedCents total billed per customer
   * @param parcels parcels per customer
   * @param outOfOrder orders a group saw after a later order of the same customer
   */
  public record Result(Map<String, Long> billedCents, Map<String, Integer> parcels,
      int outOfOrder) {}

  /**
   * Publishes {@code orders} orders and waits until both groups handled all of them.
   *
   * @param orders how many orders
   * @param topic the topic to use (a run-specific name keeps runs on a shared server apart)
   * @param patience how long to wait for the groups
   * @return what the groups computed
   * @throws InterruptedException when interrupted while waiting
   */
  public Result run(int orders, String topic, Duration patience) throws InterruptedException {
    Map<String, Long> billed = new TreeMap<>();
    Map<String, Integer> parcels = new TreeMap<>();
    Map<String, Integer> lastSeen = new ConcurrentHashMap<>();
    Set<String> billedIds = ConcurrentHashMap.newKeySet();
    Set<String> shippedIds = ConcurrentHashMap.newKeySet();
    int[] outOfOrder = {0};
    CountDownLatch done = new CountDownLatch(2 * orders);
    List<Subscription> subscriptions = new ArrayList<>();
    subscriptions.add(bus.subscribe(topic, SubscribeOptions.group("billing"), d -> {
      Order o = d.data(Order.class);
      if (billedIds.add(d.event().id())) { // at-least-once: (source, id) is the dedup identity
        synchronized (billed) {
          billed.merge(o.customer(), o.cents(), Long::sum);
        }
        done.countDown();
      }
    }));
    subscriptions.add(bus.subscribe(topic, SubscribeOptions.group("shipping"), d -> {
      Order o = d.data(Order.class);
      if (shippedIds.add(d.event().id())) {
        synchronized (parcels) {
          parcels.merge(o.customer(), 1, Integer::sum);
          Integer previous = lastSeen.put(o.customer(), o.number());
          if (previous != null && previous > o.number()) {
            outOfOrder[0]++;
          }
        }
        done.countDown();
      }
    }));
    try {
      int[] next = new int[CUSTOMERS];
      List<Event> batch = new ArrayList<>();
      for (int i = 0; i < orders; i++) {
        int c = (i * 3) % CUSTOMERS;
        String customer = "customer-" + c;
        batch.add(Event.builder().source("/shop").type("order.placed").key(customer)
            .json(new Order(next[c]++, customer, 100L * (i % 50 + 1))).build());
        if (batch.size() == 25) {
          bus.publishAll(topic, batch).join();
          batch = new ArrayList<>();
        }
      }
      if (!batch.isEmpty()) {
        bus.publishAll(topic, batch).join();
      }
      if (!done.await(patience.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException((done.getCount()) + " deliveries missing after "
            + patience);
      }
    } finally {
      subscriptions.forEach(Subscription::close);
    }
    synchronized (billed) {
      synchronized (parcels) {
        return new Result(Collections.unmodifiableMap(new TreeMap<>(billed)),
            Collections.unmodifiableMap(new TreeMap<>(parcels)), outOfOrder[0]);
      }
    }
  }
}
