package io.relaybus;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Publishes events to topics. Thread-safe. */
public interface Publisher {

  /**
   * Publishes one event. The future completes when the transport has durably accepted the
   * event (as durable as the transport is: see its capabilities); from then on it is never
   * lost. It completes exceptionally when the transport refused or failed to store it.
   *
   * @param topic a topic name matching {@code [A-Za-z0-9._-]{1,200}}
   * @param event the event
   * @return the receipt, once accepted
   * @throws InvalidNameException when the topic name is invalid
   * @throws EventTooLargeException when the event's {@link Event#size()} is over the transport's
   *     {@link Capabilities#maxEventSize() maximum}; nothing is written
   * @throws BusClosedException when the bus is closed
   * @throws NullPointerException when an argument is {@code null}, naming it
   */
  CompletableFuture<PublishReceipt> publish(String topic, Event event);

  /**
   * Publishes several events to one topic in one operation where the transport supports it
   * (one transaction, one produce batch). The future completes when all are accepted, with
   * receipts in the order of {@code events}.
   *
   * @param topic a topic name matching {@code [A-Za-z0-9._-]{1,200}}
   * @param events the events; may be empty
   * @return the receipts, once all are accepted
   * @throws InvalidNameException when the topic name is invalid
   * @throws EventTooLargeException when an event is over the transport's
   *     {@link Capabilities#maxEventSize() maximum event size}, or the sum of their sizes over
   *     its {@link Capabilities#maxBatchSize() maximum batch size}; every event is checked
   *     before any is written, and none is
   * @throws BusClosedException when the bus is closed
   * @throws NullPointerException when an argument or an element is {@code null}
   */
  CompletableFuture<List<PublishReceipt>> publishAll(String topic, List<Event> events);
}
