package io.relaybus.examples.webhooks;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.examples.Console;
import io.relaybus.examples.PostgresServer;
import io.relaybus.examples.WebhookSetup;
import io.relaybus.examples.webhooks.PartnerService.Delivered;
import io.relaybus.webhook.DeliveryAttempt;
import io.relaybus.webhook.EndpointStatus;
import io.relaybus.webhook.WebhookEndpoints;
import io.relaybus.webhook.WebhookTransport;
import io.relaybus.webhook.payload.PayloadFormat;
import io.relaybus.webhook.payload.WebhookPayload;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.receiver.WebhookReceiver;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookSigner;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The seed write-up's webhook scenario: a sender and a partner with Standard Webhooks
 * signatures. The sender is an {@link EventBus} on the webhook transport with the partner as a
 * configured endpoint (its URL, a {@code whsec_} secret, its topic) and the durable JDBC outbox,
 * into which the billing service writes its webhooks in the transaction that stores the paid
 * invoices;
 * the partner ({@link PartnerService}) verifies every request and fails each event's first two
 * calls. The run shows the retries and the final delivery from both sides — the partner's log
 * and the sender's attempt log from the endpoint API — each event handled exactly once, and
 * then a forged request, a tampered body, an unsigned request and a replayed request, with the
 * statuses the partner answered.
 *
 * <pre>
 * java -cp examples/target/relaybus-examples.jar io.relaybus.examples.webhooks.Webhooks
 * </pre>
 *
 * <p>Uses {@code RELAYBUS_POSTGRES_URL} when set, else an embedded PostgreSQL 17; the partner
 * always runs in this JVM on loopback. Exits 0 when the outcome is the expected one, 1
 * otherwise.
 */
public final class Webhooks {
  /** Events published. */
  public static final int EVENTS = 5;
  /**
   * The demo's retry schedule: waits before each attempt, so 5 attempts within seconds. The
   * default is Standard Webhooks' {@code 0s,5s,5m,30m,2h,5h,10h,10h}, far too slow to watch.
   */
  public static final String RETRY_SCHEDULE = "0s,1s,2s,2s,2s";
  /** The one address the SSRF guard is told to allow: the partner's. */
  public static final String ALLOWED_CIDR = "127.0.0.1/32";
  /** A request signed with a secret that is not the endpoint's. */
  public static final String WRONG_SECRET = "signed with a wrong secret";
  /** A delivered request whose body was changed after signing. */
  public static final String TAMPERED_BODY = "a delivered request, amount changed in the body";
  /** A request without a signature header. */
  public static final String UNSIGNED = "no webhook-signature header";
  /** A delivered request sent again exactly as captured. */
  public static final String REPLAYED = "a delivered request replayed as captured";
  /** What the partner must answer to each of the requests above. */
  public static final Map<String, Integer> EXPECTED_ANSWERS = expectedAnswers();
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private Webhooks() {}

  private static Map<String, Integer> expectedAnswers() {
    Map<String, Integer> expected = new LinkedHashMap<>();
    expected.put(WRONG_SECRET, 401);
    expected.put(TAMPERED_BODY, 401);
    expected.put(UNSIGNED, 400);
    expected.put(REPLAYED, 204);
    return java.util.Collections.unmodifiableMap(expected);
  }

  /**
   * What happened.
   *
   * @param topic the topic of this run
   * @param endpoint the endpoint's name in this run
   * @param published events published
   * @param handled event id → how many times the partner handled it successfully
   * @param partnerAnswers webhook-id → what the partner's handler answered, call by call
   * @param senderAttempts delivery id → HTTP statuses the sender recorded, attempt by attempt
   * @param forged request → status the partner answered
   * @param replayMarkedDuplicate whether the replay was answered {@code webhook-duplicate: true}
   * @param handlerCallsDuringForgery handler calls caused by the forged and replayed requests
   * @param pendingAfter deliveries still pending for the endpoint at the end
   */
  public record Outcome(String topic, String endpoint, int published, Map<String, Integer> handled,
      Map<String, List<Integer>> partnerAnswers, Map<Long, List<Integer>> senderAttempts,
      Map<String, Integer> forged, boolean replayMarkedDuplicate, int handlerCallsDuringForgery,
      long pendingAfter) {

    /**
     * How many events the partner handled.
     *
     * @return distinct events handled
     */
    public int delivered() {
      return handled.size();
    }

    /**
     * Whether the run shows what it should: every event delivered and handled exactly once,
     * after exactly {@code 500, 503, 204} on both the partner's and the sender's side; nothing
     * pending; the wrong secret and the tampered body refused with 401, the unsigned request
     * with 400; the replay acknowledged as a duplicate; no handler call for any of them.
     *
     * @return true when all of it holds
     */
    public boolean asExpected() {
      return delivered() == published
          && handled.values().stream().allMatch(n -> n == 1)
          && partnerAnswers.size() == published
          && partnerAnswers.values().stream().allMatch(PartnerService.ANSWERS::equals)
          && senderAttempts.size() == published
          && senderAttempts.values().stream().allMatch(PartnerService.ANSWERS::equals)
          && forged.equals(EXPECTED_ANSWERS) && replayMarkedDuplicate
          && handlerCallsDuringForgery == 0 && pendingAfter == 0;
    }
  }

  /**
   * Runs the example on the configured or an embedded PostgreSQL.
   *
   * @param args ignored
   * @throws Exception when the example cannot run
   */
  public static void main(String[] args) throws Exception {
    Console console = new Console(System.out, "webhooks");
    boolean ok;
    try (PostgresServer server = PostgresServer.startOrConnect(console)) {
      ok = run(server, console).asExpected();
    }
    System.exit(ok ? 0 : 1);
  }

  /**
   * Runs the scenario and prints its progress and report.
   *
   * @param server the database of the sender's outbox
   * @param console where progress goes
   * @return what happened
   * @throws Exception when the database or the loopback network fails
   */
  public static Outcome run(PostgresServer server, Console console) throws Exception {
    String runId = Long.toString(System.currentTimeMillis());
    String topic = "partner.invoices.run-" + runId;
    // One name per run: with a shared server, the attempt log then holds this run's only.
    String endpoint = "partner-" + runId;
    WebhookSecret secret = WebhookSecret.generate();
    try (PartnerService partner = PartnerService.start(secret, topic, console)) {
      console.step("partner service started in this JVM at %s: it verifies every request with "
          + "the endpoint's secret, dedupes on webhook-id, and fails each event's first two "
          + "calls (500, then 503 with Retry-After: 1); its receiver logs a WARN line for each "
          + "500, as it would in production", partner.url());

      Map<String, String> config = WebhookSetup.jdbcOutbox(server);
      String p = "relaybus.webhook.endpoints." + endpoint + ".";
      config.put(p + "url", partner.url().toString());
      config.put(p + "topics", topic);
      config.put(p + "secret", secret.format());
      config.put("relaybus.webhook.retry.schedule", RETRY_SCHEDULE);
      config.put("relaybus.webhook.poll-interval", "200ms");
      config.put("relaybus.webhook.breaker.threshold", "0");
      config.put("relaybus.webhook.ssrf.allow-cidrs", ALLOWED_CIDR);
      console.step("sender: relaybus.transport=webhook, durable JDBC outbox in PostgreSQL, "
          + "endpoint '%s' = %s for topic %s, signed with a whsec_ secret (not printed)",
          endpoint, partner.url(), topic);
      console.step("sender: retry schedule %s for the demo (seconds, not minutes; the default "
          + "is Standard Webhooks' 0s,5s,5m,30m,2h,5h,10h,10h); circuit breaker off, since "
          + "this partner fails on purpose", RETRY_SCHEDULE);
      console.step("sender: relaybus.webhook.ssrf.allow-cidrs=%s, because the SSRF guard "
          + "refuses loopback and private addresses by default (a configured URL must not "
          + "reach into the sender's own network) and the demo partner listens on 127.0.0.1 "
          + "only", ALLOWED_CIDR);

      try (EventBus bus = EventBus.create(config)) {
        WebhookTransport webhooks = bus.unwrap(WebhookTransport.class);
        WebhookEndpoints endpoints = webhooks.endpoints();
        List<InvoicePaid> invoices = new ArrayList<>();
        for (int i = 1; i <= EVENTS; i++) {
          invoices.add(new InvoicePaid(String.format(Locale.ROOT, "INV-%04d", i),
              "customer-" + i, 1_000L * i + 99));
        }
        recordPaid(server, webhooks, runId, topic, invoices);
        console.step("billing stored %d paid invoices and published their invoice.paid events "
            + "in one transaction (WebhookTransport.publish(Connection, ...)): the deliveries "
            + "were committed with the invoice rows, both or neither, without waiting for HTTP; "
            + "the sender's LISTEN connection learned of them at the commit", EVENTS);

        boolean done = awaitDelivered(partner, endpoints, endpoint);
        console.step(done ? "all %d events delivered" : "only %d events delivered after "
            + PATIENCE.getSeconds() + " s", partner.handled().size());

        Map<Long, List<DeliveryAttempt>> attempts = endpoints.attempts(endpoint, 1000).stream()
            .collect(Collectors.groupingBy(DeliveryAttempt::deliveryId, TreeMap::new,
                Collectors.toList()));
        printAttemptLog(console, endpoint, attempts);

        Map<String, Integer> forged = new LinkedHashMap<>();
        boolean[] duplicate = {false};
        int callsBefore = partner.calls();
        List<Delivered> delivered = partner.delivered();
        if (!delivered.isEmpty()) {
          attack(console, partner.url(), topic, delivered.get(0), forged, duplicate);
        }
        int callsDuringForgery = partner.calls() - callsBefore;
        console.step("partner handler calls caused by these requests: %d", callsDuringForgery);

        EndpointStatus status = endpoints.get(endpoint).orElseThrow();
        console.step("endpoint API: %s is %s, circuit %s, %d deliveries pending", endpoint,
            status.state(), status.circuit(), status.pending());
        long pending = status.pending();
        endpoints.remove(endpoint); // leaves nothing behind on a shared server
        Map<Long, List<Integer>> senderStatuses = new TreeMap<>();
        attempts.forEach((id, list) -> senderStatuses.put(id, list.stream()
            .sorted(java.util.Comparator.comparingInt(DeliveryAttempt::attempt))
            .map(DeliveryAttempt::status).collect(Collectors.toList())));
        Outcome outcome = new Outcome(topic, endpoint, EVENTS, partner.handled(),
            partner.answers(), senderStatuses, forged, duplicate[0], callsDuringForgery,
            pending);
        report(console, outcome);
        return outcome;
      }
    }
  }

  /**
   * The billing service's transaction: the paid invoices' rows and their webhooks, committed
   * together (the transactional outbox), so a partner is never told of an invoice that was not
   * stored, and no stored invoice goes unannounced when the process dies after the commit.
   */
  private static void recordPaid(PostgresServer server, WebhookTransport webhooks, String runId,
      String topic, List<InvoicePaid> invoices) throws SQLException {
    try (Connection c = server.connect()) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE SCHEMA IF NOT EXISTS billing_demo");
        st.execute("CREATE TABLE IF NOT EXISTS billing_demo.paid_invoices (run text, "
            + "invoice text, customer text NOT NULL, cents bigint NOT NULL, "
            + "PRIMARY KEY (run, invoice))");
      }
      c.setAutoCommit(false);
      try (PreparedStatement insert = c.prepareStatement(
          "INSERT INTO billing_demo.paid_invoices VALUES (?, ?, ?, ?)")) {
        List<Event> events = new ArrayList<>();
        for (InvoicePaid invoice : invoices) {
          insert.setString(1, runId);
          insert.setString(2, invoice.invoice());
          insert.setString(3, invoice.customer());
          insert.setLong(4, invoice.cents());
          insert.addBatch();
          events.add(Event.builder().source("/billing").type("invoice.paid")
              .key(invoice.customer()).json(invoice).build());
        }
        insert.executeBatch();
        webhooks.publish(c, topic, events);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static boolean awaitDelivered(PartnerService partner, WebhookEndpoints endpoints,
      String endpoint) throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      if (partner.handled().size() >= EVENTS
          && endpoints.get(endpoint).map(EndpointStatus::pending).orElse(-1L) == 0) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  private static void printAttemptLog(Console console, String endpoint,
      Map<Long, List<DeliveryAttempt>> attempts) {
    console.step("the sender's attempt log, from "
        + "bus.unwrap(WebhookTransport.class).endpoints().attempts(\"%s\", 1000):", endpoint);
    attempts.forEach((delivery, list) -> {
      Instant first = list.get(0).startedAt();
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  delivery %-4d",
          delivery));
      list.stream().sorted(java.util.Comparator.comparingInt(DeliveryAttempt::attempt))
          .forEach(a -> line.append(String.format(Locale.ROOT, "  #%d at +%.1fs -> %d%s",
              a.attempt(), Duration.between(first, a.startedAt()).toMillis() / 1000.0,
              a.status(), a.error() == null ? "" : " (" + a.error() + ")")));
      console.raw(line.toString());
    });
  }

  /** Sends the forged, tampered, unsigned and replayed requests, as an attacker would. */
  private static void attack(Console console, URI url, String topic, Delivered captured,
      Map<String, Integer> answers, boolean[] duplicate)
      throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    console.step("now an attacker who can reach the partner, but has no secret:");

    Event fake = Event.builder().source("/billing").type("invoice.paid")
        .json(new InvoicePaid("INV-6666", "attacker", 9_999_999L)).build();
    WebhookPayload payload = WebhookPayloads.encode(PayloadFormat.STANDARD_WEBHOOKS, topic, fake);
    Map<String, String> wrong = WebhookSigner.of(WebhookSecret.generate())
        .headers(payload.webhookId(), Instant.now(), payload.body());
    send(console, http, url, WRONG_SECRET, wrong, payload.body(), answers, null);

    // The captured request: its headers, and its body rebuilt from the delivered event (the
    // payload encoding is deterministic, so these are the bytes that were signed).
    byte[] original = WebhookPayloads.encode(PayloadFormat.STANDARD_WEBHOOKS, captured.topic(),
        captured.event()).body();
    InvoicePaid paid = captured.event().data(io.relaybus.Codecs.json(InvoicePaid.class));
    Event changed = captured.event().toBuilder()
        .json(new InvoicePaid(paid.invoice(), paid.customer(), paid.cents() * 1000)).build();
    byte[] tampered = WebhookPayloads.encode(PayloadFormat.STANDARD_WEBHOOKS, captured.topic(),
        changed).body();
    send(console, http, url, TAMPERED_BODY, captured.headers(), tampered, answers, null);

    Map<String, String> unsigned = new LinkedHashMap<>(captured.headers());
    unsigned.remove(WebhookHeaders.SIGNATURE);
    send(console, http, url, UNSIGNED, unsigned, original, answers, null);

    send(console, http, url, REPLAYED, captured.headers(), original, answers, duplicate);
  }

  private static void send(Console console, HttpClient http, URI url, String what,
      Map<String, String> headers, byte[] body, Map<String, Integer> answers,
      boolean[] duplicate) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(request::header);
    HttpResponse<String> response = http.send(request.build(),
        HttpResponse.BodyHandlers.ofString());
    answers.put(what, response.statusCode());
    String marker = response.headers().firstValue(WebhookReceiver.DUPLICATE_HEADER)
        .map(v -> ", " + WebhookReceiver.DUPLICATE_HEADER + ": " + v).orElse("");
    if (duplicate != null) {
      duplicate[0] = marker.endsWith("true");
    }
    console.step("attacker %-48s -> %d%s%s", what, response.statusCode(), marker,
        response.body().isBlank() ? "" : " (" + response.body().strip() + ")");
  }

  private static void report(Console console, Outcome o) {
    console.raw("");
    console.raw(String.format(Locale.ROOT, "  %-48s %s", "events published", o.published()));
    console.raw(String.format(Locale.ROOT, "  %-48s %d, each handled %s time(s)", "delivered",
        o.delivered(), o.handled().values().stream().distinct().map(String::valueOf)
            .collect(Collectors.joining("/"))));
    console.raw(String.format(Locale.ROOT, "  %-48s %s", "partner answers per event",
        o.partnerAnswers().values().stream().distinct().map(String::valueOf)
            .collect(Collectors.joining(" "))));
    console.raw(String.format(Locale.ROOT, "  %-48s %s", "sender attempts per event",
        o.senderAttempts().values().stream().distinct().map(String::valueOf)
            .collect(Collectors.joining(" "))));
    o.forged().forEach((what, status) -> console.raw(String.format(Locale.ROOT,
        "  %-48s %d (expected %d)", what,
        status, EXPECTED_ANSWERS.get(what))));
    console.raw(String.format(Locale.ROOT, "  %-48s %d", "still pending", o.pendingAfter()));
    console.raw("");
    console.step(o.asExpected() ? "OK: every event delivered once after its retries; forged "
        + "requests refused, the replay not handled twice" : "UNEXPECTED outcome (see above)");
  }
}
