package io.relaybus.webhook.internal.member;

import io.relaybus.DeadLetterReason;
import io.relaybus.DecodingException;
import io.relaybus.Event;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.TransportSubscription;
import io.relaybus.webhook.internal.dispatch.DeliveryRequests;
import io.relaybus.webhook.payload.PayloadException;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.receiver.ReceivedWebhook;
import io.relaybus.webhook.receiver.RetryLaterException;
import io.relaybus.webhook.receiver.UndecodableWebhookHandler;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One group membership of this bus: the handler of its receiver route, which hands each
 * verified delivery to the bus's sink as a {@link WebhookInboundMessage} and answers when the
 * bus has decided. That includes a delivery whose payload is not a readable event: the bus
 * dead-letters or drops it, and the request is answered as for any dead letter. A delivery
 * that cannot be handed over (the member is closing) or that the bus releases goes back to the
 * sender with {@code 503} and the release headers, so it is sent again, to any member, without
 * counting an attempt.
 */
final class Member implements TransportSubscription, UndecodableWebhookHandler {

  private final MemberReceiver receiver;
  private final String id;
  private final String route;
  private final String topic;
  private final String group;
  private final String url;
  private final int capacity;
  private final MessageSink sink;
  private volatile boolean closing;

  Member(MemberReceiver receiver, String id, String route, String topic, String group,
      String url, int capacity, MessageSink sink) {
    this.receiver = receiver;
    this.id = id;
    this.route = route;
    this.topic = topic;
    this.group = group;
    this.url = url;
    this.capacity = capacity;
    this.sink = sink;
  }

  String id() {
    return id;
  }

  String route() {
    return route;
  }

  String group() {
    return group;
  }

  String url() {
    return url;
  }

  int capacity() {
    return capacity;
  }

  boolean closing() {
    return closing;
  }

  /** Stores a dead letter the bus decided, in this member's group. */
  void deadLetter(Event event, DeadLetterReason reason, int attempts, String lastError) {
    receiver.outbox().deadLetter(topic, group, event, reason, attempts, lastError);
  }

  @Override
  public void handle(ReceivedWebhook webhook) {
    int attempt = webhook.attempt().orElse(1);
    deliver(new WebhookInboundMessage(this, webhook.event(), attempt));
  }

  @Override
  public void handleUndecodable(String webhookId, Integer attempt,
      Map<String, ? extends List<String>> headers, byte[] body, PayloadException why) {
    DecodingException notAnEvent = new DecodingException("Webhook " + webhookId + " to " + this
        + " is not a readable event: " + why.getMessage(), why);
    deliver(WebhookInboundMessage.unreadable(this, WebhookPayloads.salvage(headers, body),
        notAnEvent, attempt != null ? attempt : 1));
  }

  /** Hands a delivery to the bus and returns once it decided; throws for any other answer. */
  private void deliver(WebhookInboundMessage msg) {
    if (!submit(msg)) {
      throw released(msg.attempt());
    }
    WebhookInboundMessage.Outcome o = msg.outcome().join();
    if (o.released()) {
      throw released(o.nextAttempt());
    }
    if (o.failure() != null) {
      throw o.failure();
    }
  }

  private static RetryLaterException released(int nextAttempt) {
    return new RetryLaterException(Duration.ZERO, "released", Map.of(
        DeliveryRequests.RELEASE_HEADER, "1",
        DeliveryRequests.NEXT_ATTEMPT_HEADER, Integer.toString(nextAttempt)));
  }

  /** Waits for capacity and submits; false when the member is closing. */
  private synchronized boolean submit(WebhookInboundMessage msg) {
    while (!closing && sink.capacity() <= 0) {
      try {
        wait(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    if (closing) {
      return false;
    }
    sink.submit(msg);
    return true;
  }

  synchronized void capacityFreed() {
    notifyAll();
  }

  @Override
  public void stopFetching() {
    synchronized (this) {
      closing = true;
      notifyAll();
    }
    receiver.leave(this);
  }

  @Override
  public void close() {
    if (!closing) {
      stopFetching();
    }
    receiver.closed(this);
  }

  @Override
  public String toString() {
    return "member " + id + " of group '" + group + "' on topic '" + topic + "'";
  }
}
