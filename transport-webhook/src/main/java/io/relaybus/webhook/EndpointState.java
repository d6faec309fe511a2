package io.relaybus.webhook;

/** Whether deliveries are sent to an endpoint. */
public enum EndpointState {
  /** Deliveries are sent. */
  ENABLED,
  /** Disabled through the API; deliveries are kept, not sent, until it is enabled again. */
  DISABLED,
  /**
   * The receiver answered {@code 410 Gone}: disabled by the sender, deliveries kept, not sent,
   * until it is enabled again through the API.
   */
  GONE
}
