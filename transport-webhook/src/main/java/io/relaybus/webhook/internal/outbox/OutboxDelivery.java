package io.relaybus.webhook.internal.outbox;

import io.relaybus.Event;

/**
 * One event waiting to be sent to one route, as claimed by a dispatcher. A delivery read from
 * the JDBC outbox decodes its event on first use ({@link #event()}), on the HTTP thread that
 * sends it, so decoding is not a serial step of the dispatcher thread's claim.
 */
public final class OutboxDelivery {

  private final long id;
  private final String route;
  private final String topic;
  private final int attempts;
  private final int handlerAttempt;
  private final String attributes;
  private final byte[] data;
  private volatile Event event;

  /**
   * A delivery of a decoded event.
   *
   * @param id the delivery's id in the outbox
   * @param route the route name
   * @param topic the topic the event was published to
   * @param event the event
   * @param attempts the HTTP attempts already made
   * @param handlerAttempt for a group: the attempt number of the next handler invocation
   */
  public OutboxDelivery(long id, String route, String topic, Event event, int attempts,
      int handlerAttempt) {
    this(id, route, topic, null, null, attempts, handlerAttempt);
    this.event = event;
  }

  private OutboxDelivery(long id, String route, String topic, String attributes, byte[] data,
      int attempts, int handlerAttempt) {
    this.id = id;
    this.route = route;
    this.topic = topic;
    this.attributes = attributes;
    this.data = data;
    this.attempts = attempts;
    this.handlerAttempt = handlerAttempt;
  }

  /** A delivery whose event is decoded from its stored attributes and data on first use. */
  static OutboxDelivery stored(long id, String route, String topic, String attributes,
      byte[] data, int attempts, int handlerAttempt) {
    return new OutboxDelivery(id, route, topic, attributes, data, attempts, handlerAttempt);
  }

  /**
   * The delivery's id in the outbox.
   *
   * @return the id
   */
  public long id() {
    return id;
  }

  /**
   * The route name.
   *
   * @return the route
   */
  public String route() {
    return route;
  }

  /**
   * The topic the event was published to.
   *
   * @return the topic
   */
  public String topic() {
    return topic;
  }

  /**
   * The event, decoded on first call for a delivery read from the JDBC outbox (a benign race:
   * two threads decode the same value).
   *
   * @return the event
   */
  public Event event() {
    Event e = event;
    if (e == null) {
      e = EventAttributes.decode(attributes, data);
      event = e;
    }
    return e;
  }

  /**
   * The HTTP attempts already made.
   *
   * @return the count
   */
  public int attempts() {
    return attempts;
  }

  /**
   * For a group: the attempt number of the next handler invocation.
   *
   * @return the attempt number
   */
  public int handlerAttempt() {
    return handlerAttempt;
  }

  @Override
  public String toString() {
    return "OutboxDelivery[id=" + id + ", route=" + route + ", topic=" + topic + ", attempts="
        + attempts + ", handlerAttempt=" + handlerAttempt + "]";
  }
}
