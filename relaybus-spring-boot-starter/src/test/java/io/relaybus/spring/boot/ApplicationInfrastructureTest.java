package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import io.relaybus.test.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The application's own infrastructure: its DataSource for the PostgreSQL transport and the
 * webhook JDBC outbox, its ObjectMapper for JSON.
 */
class ApplicationInfrastructureTest {

  private static PostgresServer db;

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(BootAutoConfigurations.dataSource(),
          BootAutoConfigurations.jackson2(), RelaybusAutoConfiguration.class));

  private final ApplicationContextRunner withoutDataSource = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(BootAutoConfigurations.jackson2(),
          RelaybusAutoConfiguration.class));

  @BeforeAll
  static void database() {
    db = TestDatabases.fresh("boot_infra");
  }

  @Test
  void thePostgresTransportStoresInTheApplicationsDataSource() {
    runner.withPropertyValues(TestDatabases.springDataSource(db))
        .withPropertyValues("relaybus.transport=postgres", "relaybus.postgres.schema=app_events")
        .run(context -> {
          assertThat(context).hasNotFailed();
          EventBus bus = context.getBean(EventBus.class);
          List<String> got = new CopyOnWriteArrayList<>();
          bus.subscribe("orders", "billing", d -> got.add(d.data(String.class)));
          bus.publish("orders", RelaybusAutoConfigurationTest.event()).join();
          await().atMost(Duration.ofSeconds(30)).until(() -> got.contains("hello"));
          JdbcTemplate jdbc = new JdbcTemplate(context.getBean(javax.sql.DataSource.class));
          assertThat(jdbc.queryForObject("select count(*) from information_schema.tables"
              + " where table_schema = 'app_events'", Integer.class)).isPositive();
          // The LISTEN connection is one of the application's pool.
          assertThat(context.getBean(HikariDataSource.class).getHikariPoolMXBean()
              .getActiveConnections()).isPositive();
        });
  }

  @Test
  void withoutADataSourceThePostgresTransportAsksForItsUrl() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(RelaybusAutoConfiguration.class))
        .withPropertyValues("relaybus.transport=postgres").run(context ->
            assertThat(context).getFailure().rootCause()
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("relaybus.postgres.url"));
  }

  @Test
  void theWebhookJdbcOutboxStoresInTheApplicationsDataSource() {
    runner.withPropertyValues(TestDatabases.springDataSource(db))
        .withPropertyValues("relaybus.transport=webhook", "relaybus.webhook.outbox=jdbc",
            "relaybus.webhook.jdbc.schema=app_outbox")
        .run(context -> {
          assertThat(context).hasNotFailed();
          JdbcTemplate jdbc = new JdbcTemplate(context.getBean(javax.sql.DataSource.class));
          assertThat(jdbc.queryForObject("select count(*) from information_schema.tables"
              + " where table_schema = 'app_outbox'", Integer.class)).isPositive();
        });
  }

  @Test
  void jsonIsWrittenAndReadWithTheApplicationsObjectMapper() {
    withoutDataSource.withBean(ObjectMapper.class, () -> JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build())
        .run(context -> {
          RelaybusTemplate template = context.getBean(RelaybusTemplate.class);
          assertThat(context.getBean(ObjectMapper.class).getPropertyNamingStrategy())
              .isSameAs(PropertyNamingStrategies.SNAKE_CASE);
          List<String> raw = new CopyOnWriteArrayList<>();
          List<Order> decoded = new CopyOnWriteArrayList<>();
          template.bus().subscribe("orders", "billing", d -> {
            raw.add(new String(d.event().data(), StandardCharsets.UTF_8));
            decoded.add(d.data(template.json(Order.class)));
          });
          template.publish("orders", "order.placed", new Order("o-1", 3)).join();
          await().atMost(Duration.ofSeconds(10)).until(() -> decoded.size() == 1);
          assertThat(raw.get(0)).contains("\"order_id\":\"o-1\"");
          assertThat(decoded.get(0)).isEqualTo(new Order("o-1", 3));
        });
  }

  @Test
  void eventsOfTheTemplateCarryTheApplicationsNameAsSource() {
    withoutDataSource.withPropertyValues("spring.application.name=shop").run(context ->
        assertThat(context.getBean(RelaybusTemplate.class).event("order.placed",
            new Order("o-1", 1)).build().source()).isEqualTo("/shop"));
  }

  /** Data of the tests. */
  record Order(String orderId, int quantity) {}
}
