package io.relaybus.bench;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** One side of the comparison (Relaybus or raw): opens a fresh session per measurement. */
final class Side {
  private static final AtomicInteger TOPICS = new AtomicInteger();

  private final String name;
  private final String description;
  private final Function<SessionSpec, MessagingSession> opener;
  private final byte[] payload;
  private final int publishWindow;
  private final Duration timeout;
  private final Map<String, String> settings;

  Side(String name, String description, Function<SessionSpec, MessagingSession> opener,
      byte[] payload, int publishWindow, Duration timeout, Map<String, String> settings) {
    this.name = name;
    this.description = description;
    this.opener = opener;
    this.payload = payload;
    this.publishWindow = publishWindow;
    this.timeout = timeout;
    this.settings = Map.copyOf(settings);
  }

  String name() {
    return name;
  }

  String description() {
    return description;
  }

  Duration timeout() {
    return timeout;
  }

  /** Opens a session on a topic no other measurement uses. */
  MessagingSession open() {
    String topic = "bench-" + name + "-" + TOPICS.incrementAndGet();
    return opener.apply(new SessionSpec(topic, payload, publishWindow, timeout, settings));
  }
}
