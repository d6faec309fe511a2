package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
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
import org.junit.jupiter.api.Test;
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
  private static final String GROUP = "billing";

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
    try (Membership m = new Membership(outboxKind, "webhook_undecodable", true)) {
      byte[] body = FUTURE_BODY.getBytes(StandardCharsets.UTF_8);
      assertAnswered2xx(send(m.route, "msg_future", body, Map.of(
          "Content-Type", "application/json", WebhookHeaders.ATTEMPT, "1")));

      List<DeadLetter> dead = m.bus.deadLetters().list(TOPIC, GROUP, 10);
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
      assertThat(m.handled).hasValue(0);
    }
  }

  @ParameterizedTest(name = "{0} outbox")
  @ValueSource(strings = {"memory", "jdbc"})
  @DisplayName("an unreadable request without a readable event id is dead-lettered under its "
      + "webhook-id; a CloudEvents request under its ce-id")
  void standInIds(String outboxKind) throws Exception {
    try (Membership m = new Membership(outboxKind, "webhook_undecodable_ids", true)) {
      assertAnswered2xx(send(m.route, "msg_no_envelope", "{\"relaybus\":5,\"data\":1}"
          .getBytes(StandardCharsets.UTF_8), Map.of("Content-Type", "application/json")));
      assertAnswered2xx(send(m.route, "msg_cloudevent", new byte[] {1, 2, 3}, Map.of(
          "ce-specversion", "2.0", "ce-id", "order%2018", "ce-source", "/shop",
          "ce-type", "order.created")));

      List<DeadLetter> dead = m.bus.deadLetters().list(TOPIC, GROUP, 10);
      assertThat(dead).extracting(x -> x.event().id())
          .containsExactly("msg_no_envelope", "order 18");
      assertThat(dead).allSatisfy(x -> {
        assertThat(x.reason()).isEqualTo(DeadLetterReason.UNDECODABLE);
        assertThat(x.attempts()).isEqualTo(1);
      });
      assertThat(dead.get(1).event().data()).containsExactly(1, 2, 3);
      assertThat(m.handled).hasValue(0);
    }
  }

  @ParameterizedTest(name = "{0} outbox")
  @ValueSource(strings = {"memory", "jdbc"})
  @DisplayName("with dead letters off, a signed but unreadable request is dropped and still "
      + "answered 2xx")
  void undecodableRequestIsDroppedWithoutDeadLetters(String outboxKind) throws Exception {
    try (Membership m = new Membership(outboxKind, "webhook_undecodable_dropped", false)) {
      assertAnswered2xx(send(m.route, "msg_future", FUTURE_BODY.getBytes(StandardCharsets.UTF_8),
          Map.of("Content-Type", "application/json")));

      assertThat(m.bus.deadLetters().count(TOPIC, GROUP)).isZero();
      assertThat(m.handled).hasValue(0);
    }
  }

  @Test
  @DisplayName("a member still refuses unsigned (400), wrongly signed (401) and malformed-attempt "
      + "(400) requests, and unknown member ids (404)")
  void refusalsKeepTheirAnswers() throws Exception {
    try (Membership m = new Membership("memory", null, true)) {
      Route route = m.route;
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
      assertThat(m.bus.deadLetters().count(TOPIC, GROUP)).isZero();
      assertThat(m.handled).hasValue(0);
    }
  }

  private static void assertAnswered2xx(Answer answer) {
    assertThat(answer.statusCode()).as("answer to the sender: %s", answer.body())
        .isBetween(200, 299);
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

  /**
   * A bus on the webhook transport that is the one member of {@value #GROUP}, the group's route
   * as its senders read it from the outbox (secret and member URL), and the handler's calls.
   */
  private static final class Membership implements AutoCloseable {
    final EventBus bus;
    final Route route;
    final AtomicInteger handled = new AtomicInteger();

    Membership(String outboxKind, String database, boolean deadLetters) {
      Outbox outbox = outbox(outboxKind, database);
      this.bus = EventBus.builder().provider(provider(outbox))
          .properties(WebhookTestConfig.TCK)
          .build();
      bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP).deadLetters(deadLetters)
          .build(), d -> handled.incrementAndGet());
      String name = Route.groupRoute(GROUP, TOPIC);
      this.route = outbox.routes().stream().filter(r -> r.name().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError("no route " + name + " in " + outbox.routes()));
    }

    @Override
    public void close() {
      bus.close();
    }
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

  /** The webhook transport over the given outbox, which the test reads too. */
  private static TransportProvider provider(Outbox outbox) {
    return new TransportProvider() {
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
  }
}
