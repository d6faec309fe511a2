package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code @RelaybusListener} methods and {@link RelaybusSubscription} beans: typed payloads,
 * options from properties, failures through the bus's one retry layer.
 */
class RelaybusListenerTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(RelaybusAutoConfiguration.class))
      .withPropertyValues("relaybus.retry.initial-delay=10ms", "relaybus.retry.max-delay=20ms",
          "shop.topic=orders", "shop.group=billing", "shop.threads=3");

  @Test
  void aListenerGetsTheTypedPayloadTheDeliveryAndTheEventWithOptionsFromProperties() {
    runner.withUserConfiguration(Listeners.class).run(context -> {
      Listeners listeners = context.getBean(Listeners.class);
      context.getBean(RelaybusTemplate.class)
          .publish("orders", "order.placed", new Order("o-1", 2)).join();
      await().atMost(Duration.ofSeconds(10)).until(() -> listeners.orders.size() == 1);
      assertThat(listeners.orders).containsExactly(new Order("o-1", 2));
      assertThat(listeners.deliveries.get(0).group()).isEqualTo("billing");
      assertThat(listeners.deliveries.get(0).attempt()).isEqualTo(1);
      assertThat(listeners.events.get(0).type()).isEqualTo("order.placed");
      EventBus bus = context.getBean(EventBus.class);
      assertThat(bus.operations().groups("orders")).isNotEmpty();
    });
  }

  @Test
  void genericPayloadsAreDecodedWithTheirTypeArguments() {
    runner.withUserConfiguration(Listeners.class).run(context -> {
      Listeners listeners = context.getBean(Listeners.class);
      context.getBean(RelaybusTemplate.class).publish("batches", "orders.placed",
          List.of(new Order("o-1", 1), new Order("o-2", 2))).join();
      await().atMost(Duration.ofSeconds(10)).until(() -> listeners.batches.size() == 1);
      assertThat(listeners.batches.get(0)).containsExactly(new Order("o-1", 1),
          new Order("o-2", 2));
    });
  }

  @Test
  void aFailingListenerIsRetriedByTheBusThenDeadLettered() {
    runner.withUserConfiguration(Listeners.class).run(context -> {
      Listeners listeners = context.getBean(Listeners.class);
      EventBus bus = context.getBean(EventBus.class);
      bus.publish("payments", Event.builder().source("/t").type("p").text("x").build()).join();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> bus.deadLetters().count("payments", "charging") == 1);
      DeadLetter dead = bus.deadLetters().list("payments", "charging", 10).get(0);
      assertThat(dead.reason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
      assertThat(dead.attempts()).isEqualTo(3);
      assertThat(dead.lastError()).contains("card declined");
      assertThat(listeners.paymentAttempts).containsExactly(1, 2, 3);
      // The bus's backoff (10ms, 20ms) between them, not RetryPolicy's default (500ms, 1s).
      assertThat(Duration.ofNanos(listeners.paymentTimes.get(2) - listeners.paymentTimes.get(0)))
          .isLessThan(Duration.ofMillis(400));
    });
  }

  @Test
  void dataThatCannotBeDecodedIsADeadLetterAndTheMethodIsNotCalled() {
    runner.withUserConfiguration(Listeners.class).run(context -> {
      Listeners listeners = context.getBean(Listeners.class);
      EventBus bus = context.getBean(EventBus.class);
      bus.publish("orders", Event.builder().source("/t").type("order.placed")
          .data("{not json".getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .build()).join();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> bus.deadLetters().count("orders", "billing") == 1);
      assertThat(bus.deadLetters().list("orders", "billing", 1).get(0).reason())
          .isEqualTo(DeadLetterReason.UNDECODABLE);
      assertThat(listeners.orders).isEmpty();
    });
  }

  @Test
  void aSubscriptionBeanIsSubscribed() {
    List<String> got = new CopyOnWriteArrayList<>();
    runner.withBean("shipping", RelaybusSubscription.class,
            () -> RelaybusSubscription.of("orders", "shipping", d -> got.add(d.event().type())))
        .run(context -> {
          context.getBean(EventBus.class).publish("orders",
              Event.builder().source("/t").type("order.placed").json(new Order("o", 1)).build())
              .join();
          await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
        });
  }

  @Test
  void aBadListenerAttributeFailsStartUpNamingTheMethod() {
    runner.withUserConfiguration(BadListener.class).run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("badListener.listen")
            .hasMessageContaining("many"));
  }

  @Test
  void twoPayloadParametersFailStartUp() {
    runner.withUserConfiguration(TwoPayloads.class).run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("twoPayloads.listen")
            .hasMessageContaining("more than one payload"));
  }

  /** Data of the tests. */
  record Order(String id, int quantity) {}

  @Configuration(proxyBeanMethods = false)
  static class Listeners {
    final List<Order> orders = new CopyOnWriteArrayList<>();
    final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    final List<Event> events = new CopyOnWriteArrayList<>();
    final List<List<Order>> batches = new CopyOnWriteArrayList<>();
    final List<Integer> paymentAttempts = new CopyOnWriteArrayList<>();
    final List<Long> paymentTimes = new CopyOnWriteArrayList<>();

    @RelaybusListener(topic = "${shop.topic}", group = "${shop.group}",
        concurrency = "${shop.threads}", maxAttempts = "1")
    void bill(Delivery delivery, Order order, Event event) {
      deliveries.add(delivery);
      orders.add(order);
      events.add(event);
    }

    @RelaybusListener(topic = "batches", group = "billing")
    void batch(List<Order> batch) {
      batches.add(batch);
    }

    @RelaybusListener(topic = "payments", group = "charging", maxAttempts = "3")
    void charge(Delivery delivery) throws Exception {
      paymentTimes.add(System.nanoTime());
      paymentAttempts.add(delivery.attempt());
      throw new Exception("card declined");
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class BadListener {
    @Bean
    Object badListener() {
      return new Object() {
        @RelaybusListener(topic = "orders", concurrency = "many")
        void listen(String text) {}
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class TwoPayloads {
    @Bean
    Object twoPayloads() {
      return new Object() {
        @RelaybusListener(topic = "orders")
        void listen(String text, Order order) {}
      };
    }
  }
}
