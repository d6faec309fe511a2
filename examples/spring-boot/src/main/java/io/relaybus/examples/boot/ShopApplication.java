package io.relaybus.examples.boot;

import io.relaybus.test.PostgresServer;
import io.relaybus.test.RelaybusServers;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A shop on Spring Boot and Relaybus: {@code POST /orders} stores an order and publishes
 * {@code order.placed} in the same transaction; {@link Billing} bills it. The transport is a
 * profile: {@code postgres} (default), {@code memory}, {@code kafka}.
 *
 * <pre>
 * java -jar examples/spring-boot/target/relaybus-examples-spring-boot.jar [--spring.profiles.active=kafka]
 * curl -s localhost:8080/orders -H 'content-type: application/json' -d '{"id":"o-1","total":42}'
 * </pre>
 *
 * <p>Without {@code spring.datasource.url} the application starts the embedded PostgreSQL of
 * {@code relaybus-test} (or uses {@code RELAYBUS_TEST_POSTGRES_URL}), and with the {@code kafka}
 * profile and no {@code relaybus.kafka.bootstrap-servers} an embedded broker.
 */
@SpringBootApplication
public class ShopApplication {

  /**
   * Starts the shop.
   *
   * @param args Spring Boot arguments, such as {@code --spring.profiles.active=memory}
   */
  public static void main(String[] args) {
    start(args);
  }

  /**
   * Starts the shop with development servers where none is configured.
   *
   * @param args Spring Boot arguments
   * @return the running application
   */
  public static ConfigurableApplicationContext start(String... args) {
    SpringApplication app = new SpringApplication(ShopApplication.class);
    app.setDefaultProperties(developmentServers(args));
    return app.run(args);
  }

  /** Embedded servers for what the arguments and environment leave unset. */
  static Map<String, Object> developmentServers(String... args) {
    Map<String, Object> properties = new HashMap<>();
    String all = String.join(" ", args);
    if (!all.contains("spring.datasource.url") && System.getenv("SPRING_DATASOURCE_URL") == null) {
      PostgresServer db = RelaybusServers.postgres();
      properties.put("spring.datasource.url", db.jdbcUrl());
      properties.put("spring.datasource.username", db.user());
      properties.put("spring.datasource.password", db.password());
    }
    if (all.contains("kafka") && !all.contains("bootstrap-servers")
        && System.getenv("RELAYBUS_KAFKA_BOOTSTRAP_SERVERS") == null) {
      properties.put("relaybus.kafka.bootstrap-servers",
          RelaybusServers.kafka().bootstrapServers());
    }
    return properties;
  }
}
