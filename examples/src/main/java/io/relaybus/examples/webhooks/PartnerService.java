package io.relaybus.examples.webhooks;

import io.relaybus.Codecs;
import io.relaybus.Event;
import io.relaybus.examples.Console;
import io.relaybus.webhook.receiver.EmbeddedWebhookServer;
import io.relaybus.webhook.receiver.ReceivedWebhook;
import io.relaybus.webhook.receiver.RetryLaterException;
import io.relaybus.webhook.receiver.WebhookReceiver;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookVerifier;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The demo's partner service: the receiving side of the webhooks, as a partner would run it.
 * An {@link EmbeddedWebhookServer} on loopback routes {@value #PATH} to a {@link
 * WebhookReceiver} that verifies every request with the endpoint's secret, refuses forged and
 * stale ones, and dedupes on {@code webhook-id}. Its handler is flaky on purpose: each event's
 * first call fails with {@code 500} (an exception), the second asks for a retry in one second
 * ({@code 503} + {@code Retry-After: 1}), the third succeeds ({@code 204}). Every call is printed
 * and recorded.
 */
public final class PartnerService implements AutoCloseable {
  /** The path the partner receives webhooks on. */
  public static final String PATH = "/webhooks/relaybus";
  /** What the partner answers to the calls of one event, in order. */
  public static final List<Integer> ANSWERS = List.of(500, 503, 204);
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final Console console;
  private final EmbeddedWebhookServer server;
  private final Map<String, List<Integer>> answers = new ConcurrentHashMap<>();
  private final Map<String, Integer> handled = new ConcurrentHashMap<>();
  private final List<Delivered> delivered = Collections.synchronizedList(new ArrayList<>());

  /**
   * A request the partner handled: what it needs to be sent again byte for byte.
   *
   * @param topic the topic
   * @param event the event, equal to the published one
   * @param headers the Standard Webhooks headers it came with (id, timestamp, signature)
   */
  public record Delivered(String topic, Event event, Map<String, String> headers) {}

  private PartnerService(WebhookSecret secret, String topic, Console console) {
    this.console = console;
    WebhookReceiver receiver = WebhookReceiver.builder()
        .verifier(WebhookVerifier.builder().secret(secret).build())
        .acceptTopics(topic)
        .handler(this::handle)
        .build();
    this.server = EmbeddedWebhookServer.builder()
        .bindAddress("127.0.0.1")
        .port(0)
        .threads(4)
        .route(PATH, receiver)
        .start();
  }

  /**
   * Starts the partner on a free loopback port.
   *
   * @param secret the endpoint's signing secret, shared with the sender
   * @param topic the only topic it accepts (others are answered {@code 400})
   * @param console where each call is printed
   * @return the running partner; close it when done
   */
  public static PartnerService start(WebhookSecret secret, String topic, Console console) {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(console, "console");
    return new PartnerService(secret, topic, console);
  }

  /**
   * The URL to configure as the endpoint.
   *
   * @return {@code http://127.0.0.1:<port>/webhooks/relaybus}
   */
  public URI url() {
    return server.uri(PATH);
  }

  private void handle(ReceivedWebhook webhook) throws Exception {
    String id = webhook.webhookId();
    // The receiver never runs two calls of one webhook-id at once, so this list needs no lock
    // of its own beyond the synchronized wrapper.
    List<Integer> calls = answers.computeIfAbsent(id,
        k -> Collections.synchronizedList(new ArrayList<>()));
    int call = calls.size() + 1;
    String attempt = webhook.attempt().isPresent()
        ? Integer.toString(webhook.attempt().getAsInt()) : "?";
    int answer = ANSWERS.get(Math.min(call, ANSWERS.size()) - 1);
    calls.add(answer);
    InvoicePaid paid = webhook.event().data(Codecs.json(InvoicePaid.class));
    String invoice = paid.invoice();
    switch (answer) {
      case 500:
        console.step("partner  %s %s webhook-attempt %s -> 500 (our database is busy)", id,
            invoice, attempt);
        throw new PartnerBusyException("partner database is busy (simulated)");
      case 503:
        console.step("partner  %s %s webhook-attempt %s -> 503, Retry-After: %d (catching up)",
            id, invoice, attempt, RETRY_AFTER.getSeconds());
        throw new RetryLaterException(RETRY_AFTER, "partner is catching up (simulated)");
      default:
        handled.merge(webhook.event().id(), 1, Integer::sum);
        delivered.add(new Delivered(webhook.topic().orElseThrow(), webhook.event(), Map.of(
            WebhookHeaders.ID, id,
            WebhookHeaders.TIMESTAMP, webhook.header(WebhookHeaders.TIMESTAMP).orElseThrow(),
            WebhookHeaders.SIGNATURE, webhook.header(WebhookHeaders.SIGNATURE).orElseThrow())));
        console.step("partner  %s %s webhook-attempt %s -> 204, handled: %s paid %d cents", id,
            invoice, attempt, paid.customer(), paid.cents());
    }
  }

  /**
   * What the handler answered, per {@code webhook-id}, in call order.
   *
   * @return webhook-id → statuses; a copy
   */
  public Map<String, List<Integer>> answers() {
    Map<String, List<Integer>> copy = new TreeMap<>();
    answers.forEach((id, calls) -> {
      synchronized (calls) {
        copy.put(id, List.copyOf(calls));
      }
    });
    return copy;
  }

  /**
   * How many times each event was handled successfully.
   *
   * @return event id → count; a copy
   */
  public Map<String, Integer> handled() {
    return new TreeMap<>(handled);
  }

  /**
   * How many times the handler ran, all events together.
   *
   * @return the number of calls
   */
  public int calls() {
    return answers.values().stream().mapToInt(List::size).sum();
  }

  /**
   * The requests handled so far, in the order they were handled.
   *
   * @return a copy
   */
  public List<Delivered> delivered() {
    synchronized (delivered) {
      return List.copyOf(delivered);
    }
  }

  /**
   * Which events were handled, in order, keyed by their {@code webhook-id}.
   *
   * @return webhook-id → event id
   */
  public Map<String, String> eventIds() {
    Map<String, String> ids = new LinkedHashMap<>();
    delivered().forEach(d -> ids.put(d.headers().get(WebhookHeaders.ID), d.event().id()));
    return ids;
  }

  @Override
  public void close() {
    server.close();
  }

  /** The simulated failure; without a stack trace, since the receiver logs it as a warning. */
  private static final class PartnerBusyException extends Exception {
    private static final long serialVersionUID = 1L;

    PartnerBusyException(String message) {
      super(message, null, false, false);
    }
  }
}
