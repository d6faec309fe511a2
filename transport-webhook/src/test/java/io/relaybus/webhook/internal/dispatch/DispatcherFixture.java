package io.relaybus.webhook.internal.dispatch;

import io.relaybus.Event;
import io.relaybus.webhook.internal.outbox.Outbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.OkHttpClient;

/** A dispatcher on a real outbox with short polls and a one-minute lease, for the unit tests. */
final class DispatcherFixture {

  private DispatcherFixture() {}

  static OutboxDispatcher dispatcher(Outbox outbox, OkHttpClient client, String threadName) {
    return new OutboxDispatcher(outbox, config(), client, client, new HttpDeliveryRequests(),
        task -> {
          Thread t = new Thread(task, threadName);
          t.setDaemon(true);
          return t;
        });
  }

  /** A client that does not retry a failed connection (the tests script failures). */
  static OkHttpClient client() {
    return new OkHttpClient.Builder().retryOnConnectionFailure(false).build();
  }

  /** Stops {@link #client()}'s threads and closes its connections. */
  static void close(OkHttpClient client) {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }

  static DispatcherConfig config() {
    return new DispatcherConfig(new RetrySchedule(RetrySchedule.STANDARD, 0),
        Duration.ofHours(1), Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofMinutes(1),
        Duration.ofSeconds(5), Duration.ofMinutes(1), 5, Duration.ofSeconds(30), 64,
        Duration.ofDays(7));
  }

  /** {@code n} text events of the given source and type. */
  static List<Event> events(String name, int n) {
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Event.builder().source("/" + name).type(name).text("e" + i).build());
    }
    return out;
  }
}
