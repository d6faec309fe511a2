package io.relaybus.webhook.internal.member;

import io.relaybus.webhook.payload.PayloadException;
import io.relaybus.webhook.receiver.WebhookHandler;
import io.relaybus.webhook.receiver.WebhookReceiver;
import java.util.List;
import java.util.Map;

/**
 * A route's handler that also takes the verified requests whose payload is not a readable
 * event. A {@link WebhookReceiver} refuses those with {@code 400} unless its handler is one of
 * these: a group member's request is signed with the group's secret, so it comes from a
 * Relaybus sender that never dead-letters a group delivery, and a {@code 400} would have it
 * resend the request for good. The member hands it to the bus instead, whose delivery engine
 * decides (ADR 0001). Everything else the receiver checks (signature, {@code webhook-attempt},
 * method, size) keeps its answer. Such requests are not deduplicated: member routes keep no
 * dedupe store.
 */
public interface UndecodableWebhookHandler extends WebhookHandler {

  /**
   * Handles a verified request whose payload does not decode; answered like {@link
   * #handle}: {@code 204} when it returns, {@code 503} on a {@link
   * io.relaybus.webhook.receiver.RetryLaterException}, {@code 500} on anything else.
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
