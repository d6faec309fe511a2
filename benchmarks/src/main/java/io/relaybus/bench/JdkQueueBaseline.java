package io.relaybus.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The raw client of an in-process transport: the JDK. A producer thread puts messages into a
 * {@link BlockingQueue}; {@code members x concurrency} consumer threads take them (competing
 * consumers). No envelope, no acknowledgement, no retry, no ordering by key: the floor any
 * in-process event library sits on.
 *
 * <p>Settings (given with {@code --set}): {@code raw.queue} = {@code linked} (default,
 * unbounded {@link LinkedBlockingQueue}, like the in-memory transport's unbounded log) or
 * {@code array} ({@link ArrayBlockingQueue}); {@code raw.queue.capacity} for {@code array}
 * (default 1048576).
 */
public final class JdkQueueBaseline implements RawBaseline {
  /** Which queue: {@code linked} or {@code array}. */
  public static final String QUEUE = "raw.queue";
  /** Capacity of the {@code array} queue. */
  public static final String CAPACITY = "raw.queue.capacity";
  private static final Set<String> KEYS = Set.of(QUEUE, CAPACITY);
  private static final int DEFAULT_CAPACITY = 1 << 20;

  /** Creates the baseline. */
  public JdkQueueBaseline() {}

  @Override
  public String description() {
    return "JDK LinkedBlockingQueue (ArrayBlockingQueue with raw.queue=array), producer thread "
        + "-> members x concurrency consumer threads";
  }

  @Override
  public MessagingSession open(SessionSpec spec) {
    Map<String, String> settings = spec.settings();
    for (String key : settings.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(key + " is not a setting of the memory raw baseline; "
            + "its settings are: " + String.join(", ", new TreeSet<>(KEYS)));
      }
    }
    String kind = settings.getOrDefault(QUEUE, "linked");
    BlockingQueue<RawMessage> queue;
    switch (kind) {
      case "linked":
        queue = new LinkedBlockingQueue<>();
        break;
      case "array":
        queue = new ArrayBlockingQueue<>(capacity(settings));
        break;
      default:
        throw new IllegalArgumentException(QUEUE + " must be linked or array, got '" + kind + "'");
    }
    return new QueueSession(queue, spec);
  }

  private static int capacity(Map<String, String> settings) {
    String value = settings.get(CAPACITY);
    if (value == null) {
      return DEFAULT_CAPACITY;
    }
    try {
      int capacity = Integer.parseInt(value.trim());
      if (capacity >= 1) {
        return capacity;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(CAPACITY + " must be a positive integer, got '" + value
        + "'");
  }

  /** The raw message: the stamp and a reference to the payload bytes. */
  private record RawMessage(long stampNanos, byte[] payload) {}

  /** One queue and its consumer threads. */
  private static final class QueueSession implements MessagingSession {
    private final BlockingQueue<RawMessage> queue;
    private final byte[] payload;
    private final Duration timeout;
    private final String topic;
    private final List<Thread> consumers = new ArrayList<>();

    QueueSession(BlockingQueue<RawMessage> queue, SessionSpec spec) {
      this.queue = queue;
      this.payload = spec.payload();
      this.timeout = spec.timeout();
      this.topic = spec.topic();
    }

    @Override
    public void startConsumers(ConsumerSpec spec, StampListener listener) {
      for (int i = 0; i < spec.threads(); i++) {
        Thread t = new Thread(() -> consume(listener), "bench-raw-consumer-" + topic + "-" + i);
        t.setDaemon(true);
        consumers.add(t);
        t.start();
      }
    }

    private void consume(StampListener listener) {
      try {
        while (true) {
          listener.received(queue.take().stampNanos());
        }
      } catch (InterruptedException e) {
        // close() stops the consumers by interrupting them
      }
    }

    @Override
    public void publish(long stampNanos) {
      RawMessage message = new RawMessage(stampNanos, payload);
      if (!queue.offer(message)) {
        try {
          if (!queue.offer(message, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new BenchmarkException("Raw queue stayed full for " + timeout
                + "; raise " + CAPACITY);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new BenchmarkException("Interrupted while publishing", e);
        }
      }
    }

    @Override
    public void publishBatch(long stampNanos, int count) {
      List<RawMessage> batch = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        batch.add(new RawMessage(stampNanos, payload));
      }
      try {
        queue.addAll(batch);
      } catch (IllegalStateException e) {
        throw new BenchmarkException("Raw queue full; raise " + CAPACITY, e);
      }
    }

    @Override
    public void awaitPublished(Duration limit) {
      // A queue accepts synchronously: nothing is outstanding.
    }

    @Override
    public void close() {
      for (Thread t : consumers) {
        t.interrupt();
      }
      for (Thread t : consumers) {
        try {
          t.join(timeout.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      consumers.clear();
      queue.clear();
    }
  }
}
