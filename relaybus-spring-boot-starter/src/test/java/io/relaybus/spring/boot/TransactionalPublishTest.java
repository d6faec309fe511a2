package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.test.PostgresServer;
import io.relaybus.webhook.payload.WebhookPayloads;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;

/**
 * Publishing from a {@code @Transactional} method: on PostgreSQL and the webhook JDBC outbox on
 * the application's DataSource the event joins the transaction; on memory it is published after
 * the commit. A
 * method that throws delivers nothing; one that commits delivers once.
 */
class TransactionalPublishTest {

  private static PostgresServer db;
  private static final ThreadLocal<String> TOPIC = new ThreadLocal<>();

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(BootAutoConfigurations.dataSource(),
          BootAutoConfigurations.dataSourceTransactionManager(),
          BootAutoConfigurations.transaction(), BootAutoConfigurations.jdbcTemplate(),
          RelaybusAutoConfiguration.class))
      .withUserConfiguration(Shop.class);

  @BeforeAll
  static void database() {
    db = TestDatabases.fresh("boot_tx");
    new JdbcTemplate(new org.springframework.jdbc.datasource.DriverManagerDataSource(
        db.jdbcUrl(), db.user(), db.password()))
        .execute("create table orders (id text primary key)");
  }

  @Test
  void onPostgresAPublishJoinsTheTransaction() {
    runner.withPropertyValues(TestDatabases.springDataSource(db))
        .withPropertyValues("relaybus.transport=postgres").run(context -> {
          assertThat(context).hasNotFailed();
          Orders orders = context.getBean(Orders.class);
          List<String> got = subscribe(context);

          assertThatThrownBy(() -> orders.place("pg-rolled-back", true))
              .hasMessage("payment declined");
          CompletableFuture<PublishReceipt> receipt = orders.place("pg-committed", false);
          // Joined: the receipt is there when the method returns, no after-commit step.
          assertThat(receipt).isCompleted();
          publishMarker(context);

          await().atMost(Duration.ofSeconds(30)).until(() -> got.contains("marker"));
          assertThat(got).containsExactly("pg-committed", "marker");
          assertThat(rows(context)).containsExactly("pg-committed");
        });
  }

  @Test
  void onPostgresTheEventIsWrittenOnTheTransactionsConnection() {
    runner.withPropertyValues(TestDatabases.springDataSource(db))
        .withPropertyValues("relaybus.transport=postgres").run(context -> {
          Orders orders = context.getBean(Orders.class);
          orders.topic("visible-inside");
          // Counted inside the transaction, on its connection: the event row is already there.
          assertThat(orders.placeAndCountOwnEvents("pg-visible-inside")).isOne();
        });
  }

  @Test
  void onPostgresTheTraceOfTheTransactionContinuesIntoTheListener() {
    OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider
        .builder().addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create()))
        .build()).build();
    String topic = "traced-" + java.util.UUID.randomUUID();
    runner.withConfiguration(AutoConfigurations.of(RelaybusObservabilityAutoConfiguration.class))
        .withBean(OpenTelemetry.class, () -> otel)
        .withUserConfiguration(TracedListener.class)
        .withPropertyValues(TestDatabases.springDataSource(db))
        .withPropertyValues("relaybus.transport=postgres", "traced.topic=" + topic)
        .run(context -> {
          Orders orders = context.getBean(Orders.class);
          orders.topic(topic);
          Span request = otel.getTracer("test").spanBuilder("POST /orders").startSpan();
          try (Scope ignored = request.makeCurrent()) {
            orders.place("pg-traced", false);
          } finally {
            request.end();
          }
          List<String> traces = context.getBean(TracedListener.class).traces;
          await().atMost(Duration.ofSeconds(30)).until(() -> traces.size() == 1);
          assertThat(traces).containsExactly(request.getSpanContext().getTraceId());
        });
  }

  @Test
  void onTheWebhookOutboxAPublishJoinsTheTransaction() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    HttpServer endpoint = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    endpoint.createContext("/hooks", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      received.add(new String(WebhookPayloads.decode(exchange.getRequestHeaders(), body).event()
          .data(), StandardCharsets.UTF_8)); // the event's text
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    endpoint.start();
    String topic = "webhook-orders-" + java.util.UUID.randomUUID();
    try {
      runner.withPropertyValues(TestDatabases.springDataSource(db))
          .withPropertyValues("relaybus.transport=webhook", "relaybus.webhook.outbox=jdbc",
              "relaybus.webhook.ssrf.allow-categories=loopback",
              "relaybus.webhook.endpoints.shop.url=http://127.0.0.1:"
                  + endpoint.getAddress().getPort() + "/hooks",
              "relaybus.webhook.endpoints.shop.topics=" + topic)
          .run(context -> {
            assertThat(context).hasNotFailed();
            Orders orders = context.getBean(Orders.class);
            orders.topic(topic);

            assertThatThrownBy(() -> orders.place("wh-rolled-back", true))
                .hasMessage("payment declined");
            CompletableFuture<PublishReceipt> receipt = orders.place("wh-committed", false);
            // Joined: the deliveries were written on the transaction's connection.
            assertThat(receipt).isCompleted();
            assertThat(receipt.join().position()).isEqualTo("deliveries=1");

            await().atMost(Duration.ofSeconds(30)).until(() -> received.contains("wh-committed")
                && deliveriesWaiting(context) == 0);
            assertThat(received).containsExactly("wh-committed");
            assertThat(context.getBean(JdbcTemplate.class).queryForList(
                "select id from orders where id like 'wh-%'", String.class))
                .containsExactly("wh-committed");
            // Counted inside the transaction, on its connection: the delivery is already there.
            assertThat(orders.placeAndCount("wh-visible-inside",
                "select count(*) from relaybus_webhook.delivery where event_id = ?")).isOne();
          });
    } finally {
      endpoint.stop(0);
    }
  }

  private static long deliveriesWaiting(ApplicationContext context) {
    return context.getBean(JdbcTemplate.class).queryForObject(
        "select count(*) from relaybus_webhook.delivery", Long.class);
  }

  @Test
  void onMemoryAPublishHappensAfterTheCommit() {
    runner.withPropertyValues(TestDatabases.springDataSource(db))
        .withPropertyValues("relaybus.transport=memory").run(context -> {
          Orders orders = context.getBean(Orders.class);
          List<String> got = subscribe(context);

          assertThatThrownBy(() -> orders.place("mem-rolled-back", true))
              .hasMessage("payment declined");
          // Published inside the transaction straight on the bus, the marker comes first: the
          // template's event waited for the commit.
          CompletableFuture<PublishReceipt> receipt =
              orders.placeThenPublishMarkerDirectly("mem-committed");
          assertThat(receipt.join()).isNotNull();

          await().atMost(Duration.ofSeconds(10)).until(() -> got.contains("mem-committed"));
          publishMarker(context);
          await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 3);
          assertThat(got).containsExactly("marker", "mem-committed", "marker");
        });
  }

  @Test
  void aRolledBackPublishCompletesItsFutureExceptionally() {
    runner.withPropertyValues(TestDatabases.springDataSource(db))
        .withPropertyValues("relaybus.transport=memory").run(context -> {
          Orders orders = context.getBean(Orders.class);
          orders.topic("failed");
          assertThatThrownBy(() -> orders.place("mem-failed", true));
          assertThat(orders.lastReceipt()).isCompletedExceptionally();
        });
  }

  @Test
  void outsideATransactionAPublishHappensAtOnce() {
    runner.withPropertyValues(TestDatabases.springDataSource(db))
        .withPropertyValues("relaybus.transport=memory").run(context -> {
          List<String> got = subscribe(context);
          context.getBean(RelaybusTemplate.class).publish(TOPIC.get(), keyed("outside")).join();
          await().atMost(Duration.ofSeconds(10)).until(() -> got.contains("outside"));
        });
  }

  /** A topic of its own for each test: the database is shared. */
  private static List<String> subscribe(ApplicationContext context) {
    String topic = "orders-" + java.util.UUID.randomUUID();
    context.getBean(Orders.class).topic(topic);
    TOPIC.set(topic);
    List<String> got = new CopyOnWriteArrayList<>();
    context.getBean(EventBus.class).subscribe(topic, "shipping",
        d -> got.add(d.data(String.class)));
    return got;
  }

  private static void publishMarker(ApplicationContext context) {
    context.getBean(EventBus.class).publish(TOPIC.get(), keyed("marker")).join();
  }

  private static List<String> rows(ApplicationContext context) {
    return context.getBean(JdbcTemplate.class).queryForList(
        "select id from orders where id like 'pg-%' order by id", String.class);
  }

  /** One key: a later event of the key is not delivered before an earlier one. */
  static Event keyed(String text) {
    return Event.builder().source("/shop").type("order.placed").key("one").text(text).build();
  }

  @Configuration(proxyBeanMethods = false)
  static class Shop {
    @Bean
    Orders orders(JdbcTemplate jdbc, RelaybusTemplate relaybus, EventBus bus) {
      return new Orders(jdbc, relaybus, bus);
    }
  }

  /** A listener that records the trace each delivery runs in. */
  @Configuration(proxyBeanMethods = false)
  static class TracedListener {
    final List<String> traces = new CopyOnWriteArrayList<>();

    @RelaybusListener(topic = "${traced.topic}", group = "traced")
    void on(String id) {
      traces.add(Span.current().getSpanContext().getTraceId());
    }
  }

  /** A service of the application: a business row and its event in one transaction. */
  static class Orders {
    private final JdbcTemplate jdbc;
    private final RelaybusTemplate relaybus;
    private final EventBus bus;
    private volatile CompletableFuture<PublishReceipt> lastReceipt;
    private volatile String topic;

    Orders(JdbcTemplate jdbc, RelaybusTemplate relaybus, EventBus bus) {
      this.jdbc = jdbc;
      this.relaybus = relaybus;
      this.bus = bus;
    }

    public CompletableFuture<PublishReceipt> lastReceipt() {
      return lastReceipt;
    }

    public void topic(String topic) {
      this.topic = topic;
    }

    @Transactional
    public CompletableFuture<PublishReceipt> place(String id, boolean fail) {
      jdbc.update("insert into orders (id) values (?)", id);
      lastReceipt = relaybus.publish(topic, keyed(id));
      if (fail) {
        throw new IllegalStateException("payment declined");
      }
      return lastReceipt;
    }

    @Transactional
    public CompletableFuture<PublishReceipt> placeThenPublishMarkerDirectly(String id) {
      CompletableFuture<PublishReceipt> receipt = place(id, false);
      bus.publish(topic, keyed("marker")).join();
      return receipt;
    }

    @Transactional
    public int placeAndCountOwnEvents(String id) {
      return placeAndCount(id, "select count(*) from relaybus.events where id = ?");
    }

    /** Publishes, then counts on the transaction's connection with the event's id. */
    @Transactional
    public int placeAndCount(String id, String countById) {
      Event event = keyed(id);
      relaybus.publish(topic, event);
      return jdbc.queryForObject(countById, Integer.class, event.id());
    }
  }
}
