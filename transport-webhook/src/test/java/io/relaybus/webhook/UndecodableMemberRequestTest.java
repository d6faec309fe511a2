package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import io.relaybus.webhook.internal.outbox.JdbcOutbox;
import io.relaybus.webhook.internal.outbox.MemoryOutbox;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.Route;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookSigner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A correctly signed request to a group member whose body is not a readable event (here: a
 * newer Relaybus sender's envelope) goes to the bus like any other delivery, and the bus
 * decides: dead letter {@code UNDECODABLE} after one attempt, without calling the handler, or
 * dropped when the subscription keeps no dead letters. Either way the member answers 2xx, so the
 * sender's delivery is finished instead of being retried for good.
 */
class UndecodableMemberRequestTest {

  private static final String TOPIC = "orders";

  /** A newer sender's envelope: everything this member reads is there, the version is not. */
  private static final String FUTURE_BODY = "{\"type\":\"order.created\","
      + "\"timestamp\":\"2026-12-01T10:00:00Z\",\"relaybus\":{\"specversion\":\"2.0\","
      + "\"topic\":\"orders\",\"id\":\"order-17\",\"source\":\"/shop\","
      + "\"dataencoding\":\"zstd\"},\"data\":\"KLUv/QBYAQAA\"}";

  private final OkHttpClient http = new OkHttpClient.Builder()
      .callTimeout(Duration.ofSeconds(30)).retryOnConnectionFailure(false).build();

  /** A status and body as the sender saw them. */
  private record Answer(int statusCode, String body) {}

  @AfterEach
  void closeClient() {
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  @ParameterizedTest(name = "{0} outbox")
  @ValueSource(strings = {"memory", "jdbc"})
  @DisplayName("a signed but unreadable request to a member is dead-lettered by the bus "
      + "(UNDECODABLE, attempt 1, its own id, handler not called) and answered 2xx")
  void undecodableRequestIsDeadLettered(String outboxKind) throws Exception {
    Outbox outbox = outbox(outboxKind, "webhook_undecodable");
    AtomicInteger handled = new AtomicInteger();
    try (EventBus bus = bus(outbox);
        Subscription s = bus.subscribe(TOPIC, SubscribeOptions.builder().group("billing")
            .build(), d -> handled.incrementAndGet())) {
      Route route = groupRoute(outbox, "billing");
      byte[] body = FUTURE_BODY.getBytes(StandardCharsets.UTF_8);
      Answer answer = send(route, "msg_future", body, Map.of(
          "Content-Type", "application/json", WebhookHeaders.ATTEMPT, "1"));

      assertThat(answer.statusCode()).as("answer to the sender: %s", answer.body())
          .isBetween(200, 299);
      List<DeadLetter> dead = bus.deadLetters().list(TOPIC, "billing", 10);
      assertThat(dead).hasSize(1);
      DeadLetter d = dead.get(0);
      assertThat(d.reason()).isEqualTo(DeadLetterReason.UNDECODABLE);
      assertThat(d.attempts()).isEqualTo(1);
      assertThat(d.lastError()).startsWith("io.relaybus.DecodingException")
          .contains("relaybus.specversion");
      assertThat(d.event().id()).isEqualTo("order-17");
      assertThat(d.event().source()).isEqualTo("/shop");
      assertThat(d.event().type()).isEqualTo("order.created");
      assertThat(d.event().data()).as("the whole request body, for whoever can read it")
          .isEqualTo(body);
      assertThat(handled).hasValue(0);
    }
  }

  @ParameterizedTest(name = "{0} outbox")
  @ValueSource(strings = {"memory", "jdbc"})
  @DisplayName("an unreadable request without a readable event id is dead-lettered under its "
      + "webhook-id; a CloudEvents request under its ce-id")
  void standInIds(String outboxKind) throws Exception {
    Outbox outbox = outbox(outboxKind, "webhook_undecodable_ids");
    AtomicInteger handled = new AtomicInteger();
    try (EventBus bus = bus(outbox);
        Subscription s = bus.subscribe(TOPIC, SubscribeOptions.builder().group("billing")
            .build(), d -> handled.incrementAndGet())) {
      Route route = groupRoute(outbox, "billing");
      assertThat(send(route, "msg_no_envelope", "{\"relaybus\":5,\"data\":1}"
          .getBytes(StandardCharsets.UTF_8), Map.of("Content-Type", "application/json"))
          .statusCode()).isBetween(200, 299);
      assertThat(send(route, "msg_cloudevent", new byte[] {1, 2, 3}, Map.of(
          "ce-specversion", "2.0", "ce-id", "order%2018", "ce-source", "/shop",
          "ce-type", "order.created")).statusCode()).isBetween(200, 299);

      List<DeadLetter> dead = bus.deadLetters().list(TOPIC, "billing", 10);
      assertThat(dead).extracting(x -> x.event().id())
          .containsExactly("msg_no_envelope", "order 18");
      assertThat(dead).allSatisfy(x -> {
        assertThat(x.reason()).isEqualTo(DeadLetterReason.UNDECODABLE);
        assertThat(x.attempts()).isEqualTo(1);
      });
      assertThat(dead.get(1).event().data()).containsExactly(1, 2, 3);
      assertThat(handled).hasValue(0);
    }
  }

  @ParameterizedTest(name = "{0} outbox")
  @ValueSource(strings = {"memory", "jdbc"})
  @DisplayName("with dead letters off, a signed but unreadable request is dropped and still "
      + "answered 2xx")
  void undecodableRequestIsDroppedWithoutDeadLetters(String outboxKind) throws Exception {
    Outbox outbox = outbox(outboxKind, "webhook_undecodable_dropped");
    AtomicInteger handled = new AtomicInteger();
    try (EventBus bus = bus(outbox);
        Subscription s = bus.subscribe(TOPIC, SubscribeOptions.builder().group("audit")
            .deadLetters(false).build(), d -> handled.incrementAndGet())) {
      Route route = groupRoute(outbox, "audit");
      Answer answer = send(route, "msg_future",
          FUTURE_BODY.getBytes(StandardCharsets.UTF_8), Map.of("Content-Type",
              "application/json"));

      assertThat(answer.statusCode()).as("answer to the sender: %s", answer.body())
          .isBetween(200, 299);
      assertThat(bus.deadLetters().count(TOPIC, "audit")).isZero();
      assertThat(handled).hasValue(0);
    }
  }

  @ParameterizedTest(name = "{0} outbox")
  @ValueSource(strings = {"memory"})
  @DisplayName("a member still refuses unsigned (400), wrongly signed (401) and malformed-attempt "
      + "(400) requests, and unknown member ids (404)")
  void refusalsKeepTheirAnswers(String outboxKind) throws Exception {
    Outbox outbox = outbox(outboxKind, null);
    try (EventBus bus = bus(outbox);
        Subscription s = bus.subscribe(TOPIC, SubscribeOptions.builder().group("billing")
            .build(), d -> { })) {
      Route route = groupRoute(outbox, "billing");
      String url = route.members().get(0).url();
      byte[] body = FUTURE_BODY.getBytes(StandardCharsets.UTF_8);

      assertThat(post(url, Map.of("Content-Type", "application/json"), body).statusCode())
          .isEqualTo(400);
      Route wronglySigned = new Route(route.name(), null, route.topic(), route.group(),
          WebhookSecret.generate().format(), route.state(), null, route.members());
      assertThat(send(wronglySigned, "msg_future", body, Map.of()).statusCode())
          .isEqualTo(401);
      assertThat(send(route, "msg_future", body, Map.of(WebhookHeaders.ATTEMPT, "zero"))
          .statusCode()).isEqualTo(400);
      Route unknownMember = new Route(route.name(), null, route.topic(), route.group(),
          route.secret(), route.state(), null,
          List.of(new Route.Member(url.substring(0, url.lastIndexOf('/') + 1) + "gone", 1)));
      assertThat(send(unknownMember, "msg_future", body, Map.of()).statusCode())
          .isEqualTo(404);
      assertThat(bus.deadLetters().count(TOPIC, "billing")).isZero();
    }
  }

  /** Signs the body with the group's secret and posts it to the group's one member. */
  private Answer send(Route route, String webhookId, byte[] body,
      Map<String, String> extraHeaders) throws Exception {
    Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
    headers.putAll(WebhookSigner.of(WebhookSecret.parse(route.signingSecret()))
        .headers(webhookId, Instant.now(), body));
    assertThat(route.members()).hasSize(1);
    return post(route.members().get(0).url(), headers, body);
  }

  private Answer post(String url, Map<String, String> headers, byte[] body)
      throws Exception {
    Request.Builder request = new Request.Builder().url(url).post(RequestBody.create(body));
    headers.forEach(request::header);
    try (Response response = http.newCall(request.build()).execute()) {
      return new Answer(response.code(), response.body().string());
    }
  }

  /** The group's route as the senders read it: its secret and its members' URLs. */
  private static Route groupRoute(Outbox outbox, String group) {
    String name = Route.groupRoute(group, TOPIC);
    return outbox.routes().stream().filter(r -> r.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no route " + name + " in " + outbox.routes()));
  }

  private static Outbox outbox(String kind, String database) {
    if (kind.equals("memory")) {
      return new MemoryOutbox();
    }
    Map<String, String> db = TestDatabase.jdbcOutbox(database);
    PostgresServer server = PostgresServer.shared();
    HikariDataSource pool = JdbcOutbox.pool(db.get("relaybus.webhook.jdbc.url"), server.user(),
        server.password(), 4);
    return new JdbcOutbox(pool, pool, "relaybus_webhook");
  }

  /** A bus on the webhook transport over the given outbox, which the test reads too. */
  private static EventBus bus(Outbox outbox) {
    TransportProvider provider = new TransportProvider() {
      @Override
      public String name() {
        return WebhookTransportProvider.NAME;
      }

      @Override
      public Set<String> configKeys() {
        return WebhookSettings.KEYS;
      }

      @Override
      public Transport create(TransportContext context) {
        return new WebhookTransport(new WebhookSettings(context.settings(), false), context,
            outbox);
      }
    };
    return EventBus.builder().provider(provider)
        .properties(WebhookTestConfig.TCK)
        .build();
  }
}
