package io.relaybus.spi;

import io.relaybus.Capabilities;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import io.relaybus.ops.Operations;
import io.relaybus.SubscribeOptions;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A transport: stores published events and feeds consumer group members. Thread-safe. The bus
 * validates names and arguments before calling it.
 */
public interface Transport extends AutoCloseable {

  /**
   * What this transport guarantees.
   *
   * @return the capabilities
   */
  Capabilities capabilities();

  /**
   * Stores events of one topic. Completes when they are durably accepted, with receipts in
   * order; completes exceptionally when none was stored (all or nothing where the transport
   * allows it).
   *
   * @param topic a valid topic name
   * @param events the events, not empty
   * @return the receipts
   */
  CompletableFuture<List<PublishReceipt>> publish(String topic, List<Event> events);

  /**
   * Adds a member to a consumer group. The transport submits messages to {@code sink} while
   * {@link MessageSink#capacity()} allows, and fetches again when the sink reports capacity.
   *
   * @param topic a valid topic name
   * @param options the effective options, every setting filled
   * @param sink where to hand messages
   * @return the member's handle
   */
  TransportSubscription subscribe(String topic, SubscribeOptions options, MessageSink sink);

  /**
   * The dead-letter store.
   *
   * @return the dead letters
   */
  DeadLetters deadLetters();

  /**
   * The operations API ({@link io.relaybus.EventBus#operations()}). The bus checks arguments,
   * that it is open and that the capability an operation needs is declared before it calls
   * the transport's; the transport answers from stored state, without joining any group.
   *
   * @return the operations
   * @throws UnsupportedOperationException by default, for a transport written before the
   *     operations API
   */
  default Operations operations() {
    throw new UnsupportedOperationException(getClass().getName()
        + " does not implement the operations API");
  }

  /**
   * Releases every resource. Called by the bus after all subscriptions are closed. Idempotent.
   */
  @Override
  void close();
}
