package io.relaybus.spi;

import io.relaybus.DeadLetterReason;
import io.relaybus.Delivery;
import io.relaybus.Event;
import java.util.List;
import java.util.Map;

/**
 * Observes what a bus does, for metrics and tracing modules: publishing, each delivery attempt
 * and its outcome, dead letters. Registered with {@link
 * io.relaybus.EventBus.Builder#instrumentation(Instrumentation)}; several are called in the
 * order registered. The core calls them on its own threads, so implementations must be
 * thread-safe, fast and must not throw (an exception is logged and ignored). With none
 * registered the bus does no work for them.
 */
public interface Instrumentation {

  /**
   * Events are about to be handed to the transport. The returned observation's {@link
   * PublishObservation#events()} are what the transport stores: an implementation may return
   * them with headers added (trace context, through {@link Event#withHeaders(Map)}, which
   * copies no more than the headers), never otherwise changed.
   *
   * @param system the transport's name ({@code memory}, {@code postgres}, {@code kafka},
   *     {@code webhook})
   * @param topic the topic
   * @param events the events, not empty
   * @return the observation, completed when the transport accepted or refused them
   */
  PublishObservation publishing(String system, String topic, List<Event> events);

  /**
   * A delivery attempt is about to run the handler, on the thread that will run it. Not called
   * for a message that cannot be decoded into an event (the handler is not called either);
   * {@link #gaveUp} tells of it.
   *
   * @param system the transport's name
   * @param topic the topic
   * @param group the group
   * @param delivery the delivery: event (with its headers) and attempt number
   * @return the observation, entered around the handler and told the outcome
   */
  AttemptObservation attempting(String system, String topic, String group, Delivery delivery);

  /**
   * An event was given up on: stored as a dead letter, or dropped when the group keeps none.
   * Called after the transport recorded it, on the thread of the last attempt, after that
   * attempt's {@link AttemptObservation#ended ended(failure, GIVE_UP)}.
   *
   * @param system the transport's name
   * @param topic the topic
   * @param group the group
   * @param event the event, or {@code null} when the message could not be decoded into one
   *     ({@link DeadLetterReason#UNDECODABLE})
   * @param reason why
   * @param attempts how many attempts were made
   * @param stored {@code true} when it was stored as a dead letter, {@code false} when dropped
   */
  default void gaveUp(String system, String topic, String group, Event event,
      DeadLetterReason reason, int attempts, boolean stored) {}

  /** A publish in progress. */
  interface PublishObservation {
    /**
     * The events to store.
     *
     * @return the events, possibly with headers added
     */
    List<Event> events();

    /**
     * The transport accepted the events, or refused them.
     *
     * @param failure why they were refused, or {@code null} when accepted
     */
    void completed(Throwable failure);
  }

  /** A delivery attempt in progress. */
  interface AttemptObservation {
    /**
     * Makes the attempt current on this thread (for example as the current trace context, so
     * that events published by the handler continue its trace) until the scope is closed.
     *
     * @return the scope, closed on the same thread after the handler returned or threw
     */
    Scope enter();

    /**
     * The attempt ended.
     *
     * @param failure what the handler threw, or {@code null} when it acknowledged
     * @param next what happens to the event next
     */
    void ended(Throwable failure, Next next);
  }

  /** What follows an attempt. */
  enum Next {
    /** Acknowledged: the event is finished for the group. */
    DONE,
    /** Failed; another attempt is scheduled. */
    RETRY,
    /** Failed for the last time; the event becomes a dead letter or is dropped. */
    GIVE_UP,
    /** Failed while the subscription closes; the event is released for a later delivery. */
    RELEASE
  }

  /** A scope that ends without an exception. */
  interface Scope extends AutoCloseable {
    @Override
    void close();
  }
}
