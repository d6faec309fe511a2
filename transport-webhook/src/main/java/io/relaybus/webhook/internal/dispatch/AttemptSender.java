package io.relaybus.webhook.internal.dispatch;

import io.relaybus.webhook.internal.outbox.AttemptRecord;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import io.relaybus.webhook.internal.outbox.Route;
import java.io.IOException;
import java.time.Instant;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one attempt on the HTTP thread that holds the slot: builds and signs the request, runs
 * it with the lane's client (its timeouts), closes the response and hands the result to {@link
 * AttemptOutcomes}. Every attempt is ours: the client neither retries nor follows redirects.
 */
final class AttemptSender {

  private static final Logger LOG = LoggerFactory.getLogger(AttemptSender.class);

  private final OutboxDispatcher dispatcher;
  private final DeliveryRequests requests;
  private final AttemptOutcomes outcomes;

  AttemptSender(OutboxDispatcher dispatcher, DeliveryRequests requests,
      AttemptOutcomes outcomes) {
    this.dispatcher = dispatcher;
    this.requests = requests;
    this.outcomes = outcomes;
  }

  /**
   * Makes one attempt of a delivery that is not in the outbox (a test event), now, on the
   * calling thread: built and signed as every delivery, sent with {@code client}. Nothing
   * retries it and it counts in no circuit breaker.
   *
   * @return its record, with the status, latency and error
   */
  AttemptRecord test(OkHttpClient client, Route r, OutboxDelivery d) {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    try (Response response = client.newCall(requests.build(r, d, r.endpoint().url().toString()))
        .execute()) {
      int code = response.code();
      return AttemptOutcomes.record(d, started, System.nanoTime() - t0, code,
          code >= 200 && code < 300 ? null : AttemptOutcomes.error(response));
    } catch (IOException | RuntimeException e) {
      return AttemptOutcomes.record(d, started, System.nanoTime() - t0, 0, e.toString());
    }
  }

  void attempt(Lane lane, Route r, OutboxDelivery d, String url) {
    Instant started = Instant.now();
    long t0 = System.nanoTime();
    if (dispatcher.cancelled()) {
      outcomes.completed(lane, r, d, started, t0, null, new IOException("Canceled"));
      return;
    }
    Request request;
    try {
      request = requests.build(r, d, url);
    } catch (RuntimeException e) {
      LOG.warn("Cannot build the request of delivery {} to {}: {}", d.id(), r, e.toString());
      outcomes.completed(lane, r, d, started, t0, null, e);
      return;
    }
    Response response;
    try {
      response = lane.client.newCall(request).execute();
    } catch (IOException | RuntimeException e) {
      outcomes.completed(lane, r, d, started, t0, null, e);
      return;
    }
    try (response) {
      outcomes.completed(lane, r, d, started, t0, response, null);
    }
  }
}
