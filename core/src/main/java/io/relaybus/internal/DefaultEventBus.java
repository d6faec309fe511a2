package io.relaybus.internal;

import io.relaybus.spi.EventSizes;
import io.relaybus.spi.Names;
import io.relaybus.BusClosedException;
import io.relaybus.Capabilities;
import io.relaybus.Capability;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventHandler;
import io.relaybus.PublishReceipt;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.ops.Operations;
import io.relaybus.spi.Instrumentation;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportSubscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link EventBus} over one {@link Transport}. */
final class DefaultEventBus implements EventBus {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultEventBus.class);

  private final String transportName;
  private final Transport transport;
  private final SubscribeOptions defaults;
  /** Observers of publishing, attempts and dead letters; {@code null} when none is registered. */
  private final InstrumentationChain instrumentation;
  private final ScheduledExecutorService retryScheduler;
  private final Set<DefaultSubscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch closedLatch = new CountDownLatch(1);

  DefaultEventBus(String transportName, Transport transport, SubscribeOptions defaults,
      InstrumentationChain instrumentation) {
    this.transportName = transportName;
    this.transport = transport;
    this.defaults = defaults;
    this.instrumentation = instrumentation;
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1,
        new NamedThreadFactory("relaybus-" + transportName + "-retry-scheduler"));
    scheduler.setRemoveOnCancelPolicy(true);
    this.retryScheduler = scheduler;
  }

  @Override
  public String transportName() {
    return transportName;
  }

  @Override
  public Capabilities capabilities() {
    return transport.capabilities();
  }

  @Override
  public DeadLetters deadLetters() {
    ensureOpen("use the dead letters");
    if (!transport.capabilities().has(Capability.DEAD_LETTERS)) {
      throw new UnsupportedOperationException("The " + transportName
          + " transport does not keep dead letters");
    }
    return new OpenBusDeadLetters(transport.deadLetters(), this::ensureOpen);
  }

  @Override
  public Operations operations() {
    ensureOpen("use the operations API");
    return new OpenBusOperations(transportName, transport, this::ensureOpen);
  }

  @Override
  public <T> T unwrap(Class<T> type) {
    Objects.requireNonNull(type, "type");
    if (type.isInstance(transport)) {
      return type.cast(transport);
    }
    throw new IllegalArgumentException("The " + transportName + " transport ("
        + transport.getClass().getName() + ") is not a " + type.getName());
  }

  @Override
  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public CompletableFuture<PublishReceipt> publish(String topic, Event event) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(event, "event");
    Names.requireTopic(topic);
    ensureOpen("publish to topic '" + topic + "'");
    List<Event> events = List.of(event);
    EventSizes.check(transportName, transport.capabilities(), topic, events);
    return publishChecked(topic, events).thenApply(receipts -> receipts.get(0));
  }

  @Override
  public CompletableFuture<List<PublishReceipt>> publishAll(String topic, List<Event> events) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(events, "events");
    Names.requireTopic(topic);
    for (int i = 0; i < events.size(); i++) {
      Objects.requireNonNull(events.get(i), "events[" + i + "]");
    }
    ensureOpen("publish to topic '" + topic + "'");
    if (events.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    List<Event> batch = List.copyOf(events);
    EventSizes.check(transportName, transport.capabilities(), topic, batch);
    return publishChecked(topic, batch);
  }

  private CompletableFuture<List<PublishReceipt>> publishChecked(String topic,
      List<Event> events) {
    if (instrumentation == null) {
      return publishToTransport(topic, events);
    }
    Instrumentation.PublishObservation observation =
        instrumentation.publishing(transportName, topic, events);
    List<Event> observed = observation.events();
    if (observed != events) {
      try {
        EventSizes.check(transportName, transport.capabilities(), topic, observed);
      } catch (RuntimeException e) {
        observation.completed(e);
        throw e;
      }
    }
    CompletableFuture<List<PublishReceipt>> published = publishToTransport(topic, observed);
    // The caller's future completes after the observation, so that what follows the publish
    // sees it finished; it carries the transport's own result or exception.
    CompletableFuture<List<PublishReceipt>> result = new CompletableFuture<>();
    published.whenComplete((receipts, failure) -> {
      observation.completed(failure);
      if (failure == null) {
        result.complete(receipts);
      } else {
        result.completeExceptionally(failure);
      }
    });
    return result;
  }

  private CompletableFuture<List<PublishReceipt>> publishToTransport(String topic,
      List<Event> events) {
    try {
      return transport.publish(topic, events);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public Subscription subscribe(String topic, SubscribeOptions options, EventHandler handler) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(handler, "handler");
    Names.requireTopic(topic);
    ensureOpen("subscribe to topic '" + topic + "'");
    SubscribeOptions effective = options.withDefaultsFrom(defaults);
    for (DefaultSubscription s : subscriptions) {
      if (s.handler == handler && s.topic.equals(topic) && s.group().equals(effective.group())
          && !s.isClosed()) {
        throw new IllegalStateException("This handler is already subscribed to topic '" + topic
            + "' in group '" + effective.group() + "'; close that subscription first. To handle "
            + "more in parallel raise SubscribeOptions.concurrency; a second member in the same "
            + "process needs its own handler instance (a lambda that captures nothing is one "
            + "shared instance)");
      }
    }
    DeliveryEngine engine = new DeliveryEngine(transportName, topic, effective, handler,
        retryScheduler, instrumentation);
    TransportSubscription ts;
    try {
      ts = transport.subscribe(topic, effective, engine);
    } catch (RuntimeException e) {
      engine.close(Duration.ZERO);
      throw e;
    }
    DefaultSubscription s = new DefaultSubscription(topic, effective, handler, engine, ts);
    subscriptions.add(s);
    if (closed.get()) {
      s.close(Duration.ZERO); // lost a race with close(); leave nothing running
      throw new BusClosedException("Cannot subscribe to topic '" + topic + "': the "
          + transportName + " event bus is closed");
    }
    return s;
  }

  private void ensureOpen(String operation) {
    if (closed.get()) {
      throw new BusClosedException("Cannot " + operation + ": the " + transportName
          + " event bus is closed");
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      awaitClosed();
      return;
    }
    try {
      List<DefaultSubscription> open = new ArrayList<>(subscriptions);
      for (DefaultSubscription s : open) {
        s.close();
      }
      try {
        transport.close();
      } catch (RuntimeException e) {
        LOG.error("Closing the {} transport failed", transportName, e);
      }
      retryScheduler.shutdownNow();
    } finally {
      closedLatch.countDown();
    }
  }

  private void awaitClosed() {
    try {
      closedLatch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "EventBus{transport=" + transportName + ", closed=" + closed.get() + "}";
  }

  /** One member of a group. */
  private final class DefaultSubscription implements Subscription {
    private final String topic;
    private final SubscribeOptions options;
    private final EventHandler handler;
    private final DeliveryEngine engine;
    private final TransportSubscription transportSubscription;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);

    DefaultSubscription(String topic, SubscribeOptions options, EventHandler handler,
        DeliveryEngine engine, TransportSubscription transportSubscription) {
      this.topic = topic;
      this.options = options;
      this.handler = handler;
      this.engine = engine;
      this.transportSubscription = transportSubscription;
    }

    @Override
    public String topic() {
      return topic;
    }

    @Override
    public String group() {
      return options.group();
    }

    @Override
    public SubscribeOptions options() {
      return options;
    }

    @Override
    public int inFlight() {
      return engine.inFlight();
    }

    @Override
    public boolean isClosed() {
      return closing.get();
    }

    @Override
    public void close() {
      close(options.closeTimeout());
    }

    @Override
    public void close(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (!closing.compareAndSet(false, true)) {
        // A handler closing its own subscription a second time must not wait for itself.
        if (!engine.isWorker(Thread.currentThread())) {
          try {
            done.await(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return;
      }
      try {
        try {
          transportSubscription.stopFetching();
        } catch (RuntimeException e) {
          LOG.error("Stopping fetch of topic '{}' group '{}' failed", topic, group(), e);
        }
        engine.close(timeout);
        try {
          transportSubscription.close();
        } catch (RuntimeException e) {
          LOG.error("Closing subscription to topic '{}' group '{}' failed", topic, group(), e);
        }
      } finally {
        subscriptions.remove(this);
        done.countDown();
      }
    }

    @Override
    public String toString() {
      return "Subscription{transport=" + transportName + ", topic=" + topic + ", group="
          + group() + ", closed=" + closing.get() + "}";
    }
  }
}
