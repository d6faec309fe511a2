package io.relaybus.webhook.receiver;

import io.relaybus.webhook.payload.PayloadException;
import java.util.List;
import java.util.Map;

/**
 * A handler that also takes the verified webhooks whose payload is not a readable event. A
 * {@link WebhookReceiver} answers those with {@code 400} unless its handler implements this
 * interface; then it hands them here, so the application can keep them (as a dead letter, for
 * a person to look at) and answer {@code 204} instead of having a sender that never gives up
 * resend them for good. Relaybus's own group members use it to hand such requests to the bus,
 * whose delivery engine dead-letters them as {@code UNDECODABLE}.
 *
 * <p>Only the payload's decoding is waived: the signature, {@code webhook-attempt}, method and
 * size are checked first and keep their answers. These webhooks do not go through the dedupe
 * store (there is no event id to trust), so a resend is handed over again.
 */
public interface UndecodableWebhookHandler extends WebhookHandler {

  /**
   * Handles a verified webhook whose payload does not decode; answered like {@link #handle}:
   * {@code 204} when it returns, {@code 503} on a {@link RetryLaterException}, {@code 500} on
   * anything else.
   *
   * @param webhookId the verified {@code webhook-id}
   * @param attempt the {@code webhook-attempt}, or {@code null} when the sender sent none
   * @param headers the request headers as received
   * @param body the body
   * @param why why the payload does not decode
   * @throws Exception answered as for {@link #handle}
   */
  void handleUndecodable(String webhookId, Integer attempt,
      Map<String, ? extends List<String>> headers, byte[] body, PayloadException why)
      throws Exception;
}
