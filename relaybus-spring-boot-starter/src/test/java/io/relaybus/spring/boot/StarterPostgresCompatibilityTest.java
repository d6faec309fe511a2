package io.relaybus.spring.boot;

import io.relaybus.Capabilities;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventHandler;
import io.relaybus.PublishReceipt;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.ops.Operations;
import io.relaybus.tck.TransportCompatibilityKit;
import io.relaybus.test.PostgresServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * The compatibility kit through a bus the starter creates on PostgreSQL, on the application's
 * DataSource: the auto-configured bus keeps the contract.
 */
class StarterPostgresCompatibilityTest extends TransportCompatibilityKit {

  private static PostgresServer db;

  @BeforeAll
  static void database() {
    db = TestDatabases.fresh("boot_tck");
  }

  @Override
  protected EventBus createBus(Map<String, String> overrides) {
    List<String> args = new ArrayList<>(List.of(TestDatabases.springDataSource(db)));
    args.add("spring.datasource.hikari.maximum-pool-size=40");
    args.add("relaybus.transport=postgres");
    args.add("relaybus.postgres.poll-interval=200ms");
    args.add("relaybus.postgres.health-check-interval=500ms");
    overrides.forEach((k, v) -> args.add(k + "=" + v));
    ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
        .web(WebApplicationType.NONE).properties(args.toArray(String[]::new))
        .logStartupInfo(false).run();
    return new ContextBus(context.getBean(EventBus.class), context);
  }

  @Override
  protected Duration patience() {
    return Duration.ofSeconds(90);
  }

  @Configuration(proxyBeanMethods = false)
  @ImportAutoConfiguration({DataSourceAutoConfiguration.class, RelaybusAutoConfiguration.class})
  static class App {}

  /** The starter's bus; closing it closes its application context. */
  private record ContextBus(EventBus bus, ConfigurableApplicationContext context)
      implements EventBus {
    @Override
    public String transportName() {
      return bus.transportName();
    }

    @Override
    public Capabilities capabilities() {
      return bus.capabilities();
    }

    @Override
    public DeadLetters deadLetters() {
      return bus.deadLetters();
    }

    @Override
    public Operations operations() {
      return bus.operations();
    }

    @Override
    public <T> T unwrap(Class<T> type) {
      return bus.unwrap(type);
    }

    @Override
    public boolean isClosed() {
      return bus.isClosed();
    }

    @Override
    public void close() {
      bus.close();
      context.close();
    }

    @Override
    public CompletableFuture<PublishReceipt> publish(String topic, Event event) {
      return bus.publish(topic, event);
    }

    @Override
    public CompletableFuture<List<PublishReceipt>> publishAll(String topic, List<Event> events) {
      return bus.publishAll(topic, events);
    }

    @Override
    public Subscription subscribe(String topic, SubscribeOptions options, EventHandler handler) {
      return bus.subscribe(topic, options, handler);
    }
  }
}
