package io.relaybus.webhook;

/** How an event is laid out in the HTTP request sent to an endpoint. */
public enum PayloadMode {
  /**
   * Standard Webhooks JSON body ({@code type}, {@code timestamp}, {@code data}, plus the rest of
   * the envelope under {@code relaybus}); the default. See
   * {@link io.relaybus.webhook.payload.PayloadFormat#STANDARD_WEBHOOKS}.
   */
  STANDARD_WEBHOOKS,
  /**
   * CloudEvents HTTP binary mode: the data as the body, attributes as {@code ce-*} headers
   * (not covered by the signature).
   */
  CLOUDEVENTS_BINARY
}
