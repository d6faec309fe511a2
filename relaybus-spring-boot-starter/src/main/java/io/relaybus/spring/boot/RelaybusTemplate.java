package io.relaybus.spring.boot;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.Codec;
import io.relaybus.Codecs;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.spring.boot.internal.TransactionalPublishing;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Publishes on the application's {@link EventBus}, with its {@link ObjectMapper} for JSON and
 * aware of Spring transactions.
 *
 * <p><b>Inside a Spring transaction</b> (a {@code @Transactional} method, a
 * {@code TransactionTemplate}):
 * <ul>
 *   <li>on the PostgreSQL transport, or the webhook transport's JDBC outbox, running on the
 *       application's {@code DataSource}, the event (or its webhook deliveries) is inserted
 *       through the transaction's own connection: it exists if and only if the transaction
 *       commits, and subscribers or endpoints get it after the commit (the transactional
 *       outbox); the returned future is already complete.
 *   <li>on every other transport (memory, Kafka, the webhook transport's memory outbox, or
 *       PostgreSQL or the JDBC outbox on a database of their own)
 *       the event is published after the commit ({@code TransactionSynchronization.afterCommit})
 *       and not at all when the transaction rolls back. <b>Trade-off:</b> the commit and the
 *       publish are two steps, so an event is lost if the process dies between them, or if the
 *       publish fails after the commit (the failure is logged and completes the returned future
 *       exceptionally). The returned future completes after the commit: joining it inside the
 *       transaction would wait forever.
 * </ul>
 * <b>Outside a transaction</b> it is {@link EventBus#publish(String, Event)}.
 *
 * <p>Thread-safe.
 */
public class RelaybusTemplate {

  private final EventBus bus;
  private final ObjectMapper objectMapper;
  private final String source;
  private final TransactionalPublishing transactions;

  /**
   * Creates a template that always publishes at once, transaction or not; the
   * auto-configuration's bean is aware of transactions.
   *
   * @param bus the bus
   * @param objectMapper the mapper of JSON data
   * @param source the default {@code source} of events built by {@link #event(String, Object)}
   */
  public RelaybusTemplate(EventBus bus, ObjectMapper objectMapper, String source) {
    this(bus, objectMapper, source, null);
  }

  RelaybusTemplate(EventBus bus, ObjectMapper objectMapper, String source,
      TransactionalPublishing transactions) {
    this.bus = Objects.requireNonNull(bus, "bus");
    this.objectMapper = Objects.requireNonNull(objectMapper, "objectMapper");
    this.source = Objects.requireNonNull(source, "source");
    this.transactions = transactions;
  }

  /**
   * The bus this template publishes on.
   *
   * @return the bus
   */
  public EventBus bus() {
    return bus;
  }

  /**
   * A JSON codec on the application's {@link ObjectMapper}.
   *
   * @param type the data type
   * @param <T> the type
   * @return the codec
   */
  public <T> Codec<T> json(Class<T> type) {
    return Codecs.json(objectMapper, Objects.requireNonNull(type, "type"));
  }

  /**
   * Starts an event with this application's source, the type and the data as JSON written by
   * the application's {@link ObjectMapper}.
   *
   * @param type the event type, such as {@code order.created}
   * @param data the data
   * @return a builder to add a key, subject or headers to
   * @throws io.relaybus.EncodingException when the mapper cannot write the data
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Event.Builder event(String type, Object data) {
    Objects.requireNonNull(data, "data");
    Codec codec = json(data.getClass());
    return Event.builder().source(source).type(type).data(data, codec);
  }

  /**
   * Publishes data as JSON under this application's source; see the class comment for
   * transactions.
   *
   * @param topic the topic
   * @param type the event type
   * @param data the data
   * @return the receipt, completed when the event is stored (after the commit inside a
   *     transaction that does not join it)
   */
  public CompletableFuture<PublishReceipt> publish(String topic, String type, Object data) {
    return publish(topic, event(type, data).build());
  }

  /**
   * Publishes an event; see the class comment for transactions.
   *
   * @param topic the topic
   * @param event the event
   * @return the receipt, completed when the event is stored (after the commit inside a
   *     transaction that does not join it)
   * @throws io.relaybus.InvalidNameException when the topic name is invalid
   * @throws io.relaybus.RelaybusException when an insert that joins the transaction fails; the
   *     transaction should roll back
   */
  public CompletableFuture<PublishReceipt> publish(String topic, Event event) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(event, "event");
    if (transactions != null) {
      CompletableFuture<PublishReceipt> inTransaction = transactions.publish(bus, topic, event);
      if (inTransaction != null) {
        return inTransaction;
      }
    }
    return bus.publish(topic, event);
  }
}
