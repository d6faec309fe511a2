package io.relaybus.webhook.receiver;

/**
 * Application code that handles one verified, decoded webhook. Called synchronously on the
 * request's thread; the HTTP response is sent when it returns.
 *
 * <ul>
 *   <li>Return normally: the webhook is handled, the sender gets {@code 204} and the
 *       {@code webhook-id} is remembered so a resend is acknowledged without a second call.</li>
 *   <li>Throw {@link RetryLaterException}: {@code 503} with {@code Retry-After}, the id is not
 *       remembered, the sender retries after that delay.</li>
 *   <li>Throw anything else: {@code 500}, the id is not remembered, the sender retries on its
 *       schedule.</li>
 * </ul>
 * The same {@code webhook-id} is never handed to two calls at the same time. Delivery is
 * at-least-once: after a crash, or once the dedupe store has forgotten an id, a resend is
 * handled again, so side effects should be idempotent on the event's {@code (source, id)}.
 */
@FunctionalInterface
public interface WebhookHandler {

  /**
   * Handles one webhook.
   *
   * @param webhook the decoded event and its delivery metadata
   * @throws RetryLaterException to ask the sender to retry after a given delay
   * @throws Exception any other failure, answered with {@code 500}
   */
  void handle(ReceivedWebhook webhook) throws Exception;
}
