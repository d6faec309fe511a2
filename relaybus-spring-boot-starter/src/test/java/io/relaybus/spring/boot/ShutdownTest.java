package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.spring.boot.internal.SubscriptionContainer;
import io.relaybus.test.PostgresServer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Closing the context: subscriptions stop first and wait for handlers in flight, which can still
 * use the DataSource; then the bus, then the DataSource. A handler that outlives the close
 * timeout does not hold the shutdown.
 */
class ShutdownTest {

  private static PostgresServer db;

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(BootAutoConfigurations.dataSource(),
          RelaybusAutoConfiguration.class))
      .withUserConfiguration(SlowHandler.class);

  @BeforeAll
  static void database() {
    db = TestDatabases.fresh("boot_shutdown");
  }

  @Test
  void aHandlerInFlightFinishesAndUsesTheDataSourceDuringShutdown() {
    runner.withPropertyValues(TestDatabases.springDataSource(db)).run(context -> {
      SlowHandler handler = context.getBean(SlowHandler.class);
      SubscriptionContainer container = context.getBean(SubscriptionContainer.class);
      EventBus bus = context.getBean(EventBus.class);
      bus.publish("orders", Event.builder().source("/t").type("t").text("x").build()).join();
      assertThat(handler.started.await(10, TimeUnit.SECONDS)).isTrue();

      Thread closer = new Thread(context::close, "test-close");
      closer.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> !container.isRunning());
      assertThat(closer.isAlive()).isTrue();
      assertThat(bus.isClosed()).isFalse();
      assertThat(handler.finished).isFalse();

      handler.release.countDown();
      closer.join(Duration.ofSeconds(30).toMillis());
      assertThat(closer.isAlive()).isFalse();
      assertThat(handler.finished).isTrue();
      assertThat(handler.queried.get()).isEqualTo(1);
      assertThat(bus.isClosed()).isTrue();
    });
  }

  @Test
  void aHandlerOutlivingTheCloseTimeoutDoesNotHoldTheShutdown() {
    runner.withPropertyValues(TestDatabases.springDataSource(db))
        .withPropertyValues("relaybus.subscriber.close-timeout=500ms").run(context -> {
          SlowHandler handler = context.getBean(SlowHandler.class);
          try {
            context.getBean(EventBus.class)
                .publish("orders", Event.builder().source("/t").type("t").text("x").build())
                .join();
            assertThat(handler.started.await(10, TimeUnit.SECONDS)).isTrue();
            long start = System.nanoTime();
            context.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isLessThan(Duration.ofSeconds(10));
            assertThat(handler.finished).isFalse();
          } finally {
            handler.release.countDown();
          }
        });
  }

  @Configuration(proxyBeanMethods = false)
  static class SlowHandler {
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicReference<Integer> queried = new AtomicReference<>();
    volatile boolean finished;

    @Bean
    RelaybusSubscription slow(DataSource dataSource) {
      AtomicBoolean once = new AtomicBoolean();
      return RelaybusSubscription.of("orders", "slow", d -> {
        if (!once.compareAndSet(false, true)) {
          return;
        }
        started.countDown();
        if (release.await(60, TimeUnit.SECONDS)) {
          queried.set(new JdbcTemplate(dataSource).queryForObject("select 1", Integer.class));
          finished = true;
        }
      });
    }
  }
}
