package io.relaybus.spi;

import io.relaybus.Capabilities;
import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import java.util.List;
import java.util.Objects;

/**
 * A transport's publish into the caller's own database transaction (such as {@code
 * PostgresTransport.publish(Connection, …)}), checked and observed as the bus checks and
 * observes its publishes, which it does not go through: topic name and events first, then (once
 * the transport confirmed it is open) the size limits, and the bus's instrumentations around
 * the write, so that a tracing instrumentation's headers are stored with the events and count
 * towards the limits.
 */
public final class CallerTransactionPublish {

  /** Writes checked events with the caller's connection, inside the caller's transaction. */
  @FunctionalInterface
  public interface Write {
    /**
     * Writes the events.
     *
     * @param events the events as the instrumentations left them
     * @return a receipt per event
     */
    List<PublishReceipt> write(List<Event> events);
  }

  private CallerTransactionPublish() {}

  /**
   * Checks the arguments as {@code EventBus.publishAll} does.
   *
   * @param topic the topic
   * @param events the events
   * @throws NullPointerException when the topic, the list or one of its events is null
   * @throws io.relaybus.InvalidNameException when the topic name is invalid
   */
  public static void requireArguments(String topic, List<Event> events) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(events, "events");
    Names.requireTopic(topic);
    for (int i = 0; i < events.size(); i++) {
      Objects.requireNonNull(events.get(i), "events[" + i + "]");
    }
  }

  /**
   * Checks the sizes and writes the events with the instrumentations observing the write: the
   * publish completes for them when the write returned, before the caller commits or rolls back.
   *
   * @param transport the transport's name, for messages and the size key
   * @param capabilities its capabilities, with its limits
   * @param instrumentation the bus's instrumentations, or {@code null}
   * @param topic the topic
   * @param events the events, checked by {@link #requireArguments}
   * @param write the transport's write
   * @return the write's receipts
   * @throws io.relaybus.EventTooLargeException when an event or the batch is over the limits,
   *     also once the instrumentations added their headers; nothing is written
   */
  public static List<PublishReceipt> observed(String transport, Capabilities capabilities,
      Instrumentation instrumentation, String topic, List<Event> events, Write write) {
    EventSizes.check(transport, capabilities, topic, events);
    if (instrumentation == null || events.isEmpty()) {
      return write.write(events);
    }
    List<Event> given = List.copyOf(events);
    Instrumentation.PublishObservation observation =
        instrumentation.publishing(transport, topic, given);
    try {
      List<Event> observed = observation.events();
      if (observed != given) {
        // Headers an instrumentation added count towards the size limits too.
        EventSizes.check(transport, capabilities, topic, observed);
      }
      List<PublishReceipt> receipts = write.write(observed);
      observation.completed(null);
      return receipts;
    } catch (RuntimeException e) {
      observation.completed(e);
      throw e;
    }
  }
}
