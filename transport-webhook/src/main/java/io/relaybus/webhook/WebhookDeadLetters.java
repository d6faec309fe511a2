package io.relaybus.webhook;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetters;
import io.relaybus.spi.Names;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.Route;
import java.util.List;

/**
 * Dead letters of the webhook transport. The group of a dead letter is either a consumer group
 * (its receiving bus gave up) or an endpoint name (the sender exhausted the retry schedule);
 * replay writes a fresh delivery to that group or endpoint only.
 */
final class WebhookDeadLetters implements DeadLetters {
  private final Outbox outbox;
  private final Runnable wake;

  WebhookDeadLetters(Outbox outbox, Runnable wake) {
    this.outbox = outbox;
    this.wake = wake;
  }

  private static void check(String topic, String group) {
    Names.requireTopic(topic);
    Names.requireGroup(group);
  }

  @Override
  public List<DeadLetter> list(String topic, String group, int limit) {
    check(topic, group);
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, not " + limit);
    }
    return outbox.deadLetters(topic, group, limit);
  }

  @Override
  public long count(String topic, String group) {
    check(topic, group);
    return outbox.deadLetterCount(topic, group);
  }

  private String routeOf(String topic, String group) {
    String groupRoute = Route.groupRoute(group, topic);
    for (Route r : outbox.routes()) {
      if (r.name().equals(groupRoute)) {
        return groupRoute;
      }
    }
    return group;
  }

  @Override
  public boolean replay(String topic, String group, String deadLetterId) {
    check(topic, group);
    boolean done = outbox.replay(topic, group, deadLetterId, routeOf(topic, group));
    if (done) {
      wake.run();
    }
    return done;
  }

  @Override
  public int replayAll(String topic, String group) {
    check(topic, group);
    String route = routeOf(topic, group);
    int n = 0;
    while (true) {
      List<DeadLetter> batch = outbox.deadLetters(topic, group, 500);
      if (batch.isEmpty()) {
        break;
      }
      for (DeadLetter d : batch) {
        if (outbox.replay(topic, group, d.id(), route)) {
          n++;
        }
      }
    }
    if (n > 0) {
      wake.run();
    }
    return n;
  }

  @Override
  public int purge(String topic, String group) {
    check(topic, group);
    return outbox.purge(topic, group);
  }
}
