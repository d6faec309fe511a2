package io.relaybus.webhook.payload;

/** How an event is written into a webhook request. */
public enum PayloadFormat {

  /**
   * The Standard Webhooks JSON shape {@code {"type", "timestamp", "data"}} plus a
   * {@code "relaybus"} member with the rest of the envelope. Everything is in the body, so the
   * signature covers every attribute. The default.
   */
  STANDARD_WEBHOOKS,

  /**
   * CloudEvents 1.0 HTTP binary mode: attributes in {@code ce-*} headers, the data bytes as the
   * body, {@code Content-Type} the event's data content type. For receivers that expect
   * CloudEvents. The Standard Webhooks signature covers the body only, not the headers.
   */
  CLOUDEVENTS_BINARY
}
