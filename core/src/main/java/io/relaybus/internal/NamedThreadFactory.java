package io.relaybus.internal;

import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Daemon threads named {@code <prefix>-<n>} that log uncaught exceptions. */
final class NamedThreadFactory implements ThreadFactory {
  private static final Logger LOG = LoggerFactory.getLogger(NamedThreadFactory.class);

  private final String prefix;
  private final AtomicInteger counter = new AtomicInteger();

  /**
   * Creates a factory.
   *
   * @param prefix the thread name prefix, such as {@code relaybus-memory-worker-orders}
   */
  NamedThreadFactory(String prefix) {
    this.prefix = Objects.requireNonNull(prefix, "prefix");
  }

  @Override
  public Thread newThread(Runnable r) {
    Thread t = new Thread(r, prefix + "-" + counter.incrementAndGet());
    t.setDaemon(true);
    t.setUncaughtExceptionHandler((thread, e) ->
        LOG.error("Uncaught exception in thread {}", thread.getName(), e));
    return t;
  }
}
