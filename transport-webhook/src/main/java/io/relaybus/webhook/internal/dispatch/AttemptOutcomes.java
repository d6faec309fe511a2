package io.relaybus.webhook.internal.dispatch;

import io.relaybus.DeadLetterReason;
import io.relaybus.webhook.EndpointState;
import io.relaybus.webhook.internal.outbox.AttemptRecord;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import io.relaybus.webhook.internal.outbox.Route;
import io.relaybus.webhook.payload.WebhookPayloads;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the result of one attempt means, and its record: 2xx succeeds; a group member's release
 * gives the delivery back without counting a handler attempt; 410 marks the endpoint {@link
 * EndpointState#GONE}; 429 and 503 wait for {@code Retry-After} (capped) when given; anything
 * else waits for the retry schedule, and an endpoint's delivery becomes a dead letter after its
 * last attempt. Deliveries to consumer groups are never dead-lettered here (the receiving bus
 * decides), and their waits are capped at the poll interval.
 */
final class AttemptOutcomes {

  private static final Logger LOG = LoggerFactory.getLogger(AttemptOutcomes.class);
  private static final int MAX_ERROR = 500;

  private final OutboxDispatcher dispatcher;
  private final Outbox outbox;
  private final DispatcherConfig config;
  private final InFlightLeases leases;
  private final OutcomeRecorder recorder;
  /** Whether successes are queued and recorded in batches (a durable outbox). */
  private final boolean batchSuccesses;

  AttemptOutcomes(OutboxDispatcher dispatcher, Outbox outbox, DispatcherConfig config,
      InFlightLeases leases, OutcomeRecorder recorder) {
    this.dispatcher = dispatcher;
    this.outbox = outbox;
    this.config = config;
    this.leases = leases;
    this.recorder = recorder;
    this.batchSuccesses = outbox.durable();
  }

  /**
   * Records the outcome of an attempt that started at {@code started} ({@code t0} in nanos):
   * its response, or the failure that prevented one.
   */
  void completed(Lane lane, Route r, OutboxDelivery d, Instant started, long t0,
      Response response, Exception failure) {
    boolean queued = false;
    try {
      queued = outcome(lane, r, d, started, System.nanoTime() - t0, response, failure);
    } catch (RuntimeException e) {
      // The lease expires and the delivery is sent again: at-least-once, never lost.
      LOG.warn("Could not record the outcome of delivery {} to {} (it will be sent again "
          + "after its lease): {}", d.id(), r, e.toString());
    } finally {
      if (!queued) { // a queued success stays ours (renewed, never re-sent) until recorded
        leases.remove(d.id());
      }
    }
  }

  /** Records or queues the outcome; true when it is a success queued for the next round. */
  private boolean outcome(Lane lane, Route r, OutboxDelivery d, Instant started, long nanos,
      Response response, Exception failure) {
    int attempt = d.attempts() + 1;
    Instant now = Instant.now();
    if (response == null && !dispatcher.running()) {
      // Cancelled by close(): not the endpoint's fault, so not counted; sent again soon.
      AttemptRecord cancelled = record(d, started, nanos, 0, "cancelled by close: " + failure);
      recorder.write(d, () -> outbox.failed(cancelled, now, d.handlerAttempt(), false));
      return false;
    }
    if (response == null) {
      AttemptRecord rec = record(d, started, nanos, 0, failure.toString());
      breakerFailure(lane, r);
      // A group member that died after taking the request may have run the handler: that
      // counts as an attempt (docs/semantics.md). A refused connection never reached it.
      int next = r.isGroup() && !(failure instanceof ConnectException)
          ? d.handlerAttempt() + 1 : d.handlerAttempt();
      retryOrDeadLetter(r, d, rec, null, next);
      return false;
    }
    int code = response.code();
    if (code >= 200 && code < 300) {
      lane.breaker.success();
      AttemptRecord ok = new AttemptRecord(d.id(), attempt, started, Duration.ofNanos(nanos),
          code, null, d.event().id(), WebhookPayloads.webhookId(d.topic(), d.event()));
      if (!batchSuccesses) {
        recorder.write(d, () -> outbox.succeeded(ok));
        return false;
      }
      recorder.queueSuccess(ok); // recorded next round; the lane's slot release wakes it
      return true;
    }
    AttemptRecord rec = record(d, started, nanos, code, error(response));
    if (r.isGroup() && response.header(DeliveryRequests.RELEASE_HEADER) != null) {
      int next = parseInt(response.header(DeliveryRequests.NEXT_ATTEMPT_HEADER),
          d.handlerAttempt());
      recorder.write(d, () -> outbox.failed(rec, now, next, false));
      return false;
    }
    if (code == 410 && !r.isGroup()) {
      LOG.warn("Endpoint '{}' answered 410 Gone: it is disabled, its deliveries are kept; "
          + "enable it through the API to resume", r.name());
      recorder.write(d,
          () -> outbox.setState(r.name(), EndpointState.GONE, "410 Gone at " + now));
      recorder.write(d, () -> outbox.failed(rec, now, d.handlerAttempt(), false));
      dispatcher.refreshRoutes();
      return false;
    }
    breakerFailure(lane, r);
    Duration retryAfter = null;
    if (code == 429 || code == 503) {
      Optional<Duration> ra = RetryAfter.parse(response.header("Retry-After"), now,
          config.retryAfterCap());
      retryAfter = ra.orElse(null);
    }
    retryOrDeadLetter(r, d, rec, retryAfter, d.handlerAttempt());
    return false;
  }

  /** Records an attempt that was never made (the last member left between claim and send). */
  void noMember(OutboxDelivery d) {
    AttemptRecord none = record(d, Instant.now(), 0, 0, "no live member");
    try {
      recorder.write(d, () -> outbox.failed(none, Instant.now().plus(config.pollInterval()),
          d.handlerAttempt(), false));
    } finally {
      leases.remove(d.id());
    }
  }

  private void breakerFailure(Lane lane, Route r) {
    if (lane.breaker.failure()) {
      LOG.warn("Circuit breaker of {} opened after {} consecutive failures; probing again in "
          + "{}", r, config.breakerThreshold(), config.breakerOpenFor());
    }
  }

  private void retryOrDeadLetter(Route r, OutboxDelivery d, AttemptRecord rec,
      Duration retryAfter, int nextHandlerAttempt) {
    int attempts = d.attempts() + 1;
    RetrySchedule schedule = config.schedule();
    if (!r.isGroup() && attempts >= schedule.maxAttempts()) {
      LOG.warn("Delivery of event {} to {} failed {} times, last: {}; moved to the dead "
          + "letters", d.event().id(), r, attempts, rec.error());
      recorder.write(d, () -> outbox.deadLetterDelivery(rec, d, r.name(),
          DeadLetterReason.RETRIES_EXHAUSTED, attempts, rec.error()));
      return;
    }
    Duration wait = retryAfter != null ? retryAfter : schedule.delayAfter(attempts);
    if (r.isGroup() && wait.compareTo(config.pollInterval()) > 0) {
      wait = config.pollInterval();
    }
    LOG.debug("Delivery {} to {} failed ({}), attempt {} again in {}", d.id(), r, rec.error(),
        attempts + 1, wait);
    Instant due = Instant.now().plus(wait);
    recorder.write(d, () -> outbox.failed(rec, due, nextHandlerAttempt, true));
  }

  /** What a response that is not a 2xx means, as an attempt's error. */
  static String error(Response response) {
    int code = response.code();
    String error = "HTTP " + code + (response.message().isEmpty() ? ""
        : " " + response.message());
    if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
      error += " (redirect to " + response.header("Location", "?") + " not followed)";
    }
    return error;
  }

  static AttemptRecord record(OutboxDelivery d, Instant started, long nanos, int status,
      String error) {
    String e = error;
    if (e != null && e.length() > MAX_ERROR) {
      e = e.substring(0, MAX_ERROR);
    }
    return new AttemptRecord(d.id(), d.attempts() + 1, started, Duration.ofNanos(nanos), status,
        e, d.event().id(), WebhookPayloads.webhookId(d.topic(), d.event()));
  }

  private static int parseInt(String v, int fallback) {
    try {
      return v == null ? fallback : Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
