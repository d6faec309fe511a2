package io.relaybus.webhook;

/** How an event is laid out in the HTTP request sent to an endpoint. */
public enum PayloadMode {
  /** Standard Webhooks JSON body ({@code type}, {@code timestamp}, {@code data}); the default. */
  STANDARD_WEBHOOKS,
  /** CloudEvents HTTP binary mode: the data as the body, attributes as {@code ce-*} headers. */
  CLOUDEVENTS_BINARY,
  /**
   * Relaybus's own lossless form used between buses (self-subscriptions): the data as the body,
   * every envelope attribute in one header. Not meant for third-party receivers.
   */
  RELAYBUS
}
