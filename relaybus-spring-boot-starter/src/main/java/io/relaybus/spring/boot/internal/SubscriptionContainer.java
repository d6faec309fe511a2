package io.relaybus.spring.boot.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.Subscription;
import io.relaybus.spring.boot.RelaybusSubscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.util.StringValueResolver;

/**
 * Subscribes the {@link RelaybusSubscription} beans and the listener methods when the context
 * has started, and closes them gracefully when it stops: in a phase before the web server's
 * graceful shutdown and before any singleton (the bus, the DataSource) is destroyed, each
 * subscription waiting up to its close timeout for handlers in flight.
 */
public final class SubscriptionContainer implements SmartLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionContainer.class);

  /**
   * Started among the last and stopped among the first, as message listener containers are
   * (spring-kafka's default phase).
   */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 100;

  private final EventBus bus;
  private final ObjectProvider<RelaybusSubscription> beans;
  private final ListenerMethods methods;
  private final StringValueResolver resolver;
  private final JsonPayloads json;
  private final IntFunction<RetryPolicy> retry;
  private final List<Subscription> subscriptions = new ArrayList<>();
  private volatile boolean running;

  /**
   * Creates it; the auto-configuration does.
   *
   * @param bus the bus
   * @param beans the subscription beans
   * @param methods the listener methods
   * @param resolver resolves placeholders of listener attributes
   * @param mapper the application's mapper for JSON payloads
   * @param settings the bus's settings, for the backoff of listeners that set
   *     {@code maxAttempts}
   */
  public SubscriptionContainer(EventBus bus, ObjectProvider<RelaybusSubscription> beans,
      ListenerMethods methods, StringValueResolver resolver, ObjectMapper mapper,
      Map<String, String> settings) {
    this.bus = bus;
    this.beans = beans;
    this.methods = methods;
    this.resolver = resolver;
    this.json = new JsonPayloads(mapper);
    this.retry = ListenerRetry.from(settings);
  }

  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    List<RelaybusSubscription> all = new ArrayList<>();
    beans.orderedStream().forEach(all::add);
    all.addAll(methods.subscriptions(resolver, json, retry));
    try {
      for (RelaybusSubscription s : all) {
        subscriptions.add(bus.subscribe(s.topic(), s.options(), s.handler()));
      }
    } catch (RuntimeException e) {
      closeAll();
      throw e;
    }
    running = true;
    LOG.info("Relaybus started {} subscription(s)", subscriptions.size());
  }

  @Override
  public void stop() {
    closeAll();
  }

  @Override
  public void stop(Runnable callback) {
    running = false;
    Thread closer = new Thread(() -> {
      try {
        closeAll();
      } finally {
        callback.run();
      }
    }, "relaybus-spring-shutdown");
    closer.setDaemon(true);
    closer.start();
  }

  /** Closes every subscription at once, each waiting up to its own close timeout. */
  private void closeAll() {
    running = false;
    List<Subscription> open;
    synchronized (this) {
      open = List.copyOf(subscriptions);
      subscriptions.clear();
    }
    List<Thread> closers = new ArrayList<>();
    for (Subscription s : open) {
      Thread t = new Thread(s::close, "relaybus-close-" + s.topic() + "-" + s.group());
      t.setDaemon(true);
      t.start();
      closers.add(t);
    }
    for (Thread t : closers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
