package io.relaybus.spring.boot.internal;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.RelaybusException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Publishing inside a Spring transaction: joined through the transaction's connection when the
 * bus stores in the application's {@code DataSource} (the PostgreSQL transport, or the webhook
 * transport's JDBC outbox), else after the commit. Loaded only when spring-tx is on the class
 * path.
 */
public final class TransactionalPublishing {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionalPublishing.class);

  private final DataSource joinable;
  private final String transport;

  /**
   * Creates it.
   *
   * @param joinable the data source the bus stores in, whose transactions a publish joins;
   *     {@code null} to publish after the commit always
   * @param transport the bus's transport name ({@code postgres} or {@code webhook} when
   *     {@code joinable} is given)
   */
  public TransactionalPublishing(DataSource joinable, String transport) {
    this.joinable = joinable;
    this.transport = transport;
  }

  /**
   * Publishes inside the current transaction, if there is one.
   *
   * @param bus the bus
   * @param topic the topic
   * @param event the event
   * @return the receipt's future, or {@code null} outside a transaction
   */
  public CompletableFuture<PublishReceipt> publish(EventBus bus, String topic, Event event) {
    if (!TransactionSynchronizationManager.isSynchronizationActive()
        || !TransactionSynchronizationManager.isActualTransactionActive()) {
      return null;
    }
    if (joinable != null && TransactionSynchronizationManager.hasResource(joinable)) {
      List<PublishReceipt> receipts = JoinedPublish.publish(transport, bus, joinable, topic,
          event);
      return CompletableFuture.completedFuture(receipts.get(0));
    }
    CompletableFuture<PublishReceipt> result = new CompletableFuture<>();
    TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
      @Override
      public void afterCommit() {
        bus.publish(topic, event).whenComplete((receipt, failure) -> {
          if (failure != null) {
            LOG.error("Event {} of topic {} was not published after its transaction committed",
                event.id(), topic, failure);
            result.completeExceptionally(failure);
          } else {
            result.complete(receipt);
          }
        });
      }

      @Override
      public void afterCompletion(int status) {
        if (status != STATUS_COMMITTED) {
          result.completeExceptionally(new RelaybusException("Event " + event.id()
              + " of topic " + topic + " was not published: its transaction rolled back"));
        }
      }
    });
    return result;
  }
}
