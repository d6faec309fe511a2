package io.relaybus.internal;

import io.relaybus.spi.Errors;
import io.relaybus.DeadLetterReason;
import io.relaybus.DecodingException;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventHandler;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.InboundMessage;
import io.relaybus.spi.Instrumentation;
import io.relaybus.spi.MessageSink;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one group member's messages through its handler: the single place where handlers are
 * invoked, retries are scheduled and the dead-letter decision is made, for every transport.
 *
 * <ul>
 *   <li>At most {@code concurrency} handler calls run at once, on the member's own threads.
 *   <li>At most {@code maxInFlight} messages are held (queued, running or waiting for a retry);
 *       {@link #capacity()} tells the transport how many more it may fetch.
 *   <li>Messages with the same key form a lane: the next one starts only after the previous one
 *       is acked or dead-lettered, retries included.
 *   <li>A failed attempt is retried in this member after the policy's delay, without holding a
 *       thread; the attempt number is exact.
 *   <li>Failures are logged at WARN with their stack trace, a limited number per interval (see
 *       {@link #FULL_LOGS_PER_INTERVAL}); successes log nothing.
 * </ul>
 */
final class DeliveryEngine implements MessageSink {
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryEngine.class);

  private enum State { QUEUED, LANE_WAITING, RUNNING, RETRY_WAIT, DONE }

  private enum Action { ACK, DEAD_LETTER, RETRY, RELEASE, DROP }

  /**
   * Failed attempts, and apart from them dead-lettered (or dropped) events, logged in full with
   * their stack trace per subscription and {@link #LOG_INTERVAL}; past that they are counted and
   * reported in one WARN line at the end of the interval. Ten traces show a failure and its
   * usual variants. A failure that persists (a database down, a poison producer) then costs a
   * subscription about ten traces and two count lines a minute instead of a trace per event,
   * which at thousands of events a second would bury the rest of the application's log and
   * cost more than the handling. Dead letters are limited too, for the same flood, but with a
   * budget of their own so a retry storm cannot hide them: each one is kept with its error in
   * the dead-letter store, and with dead letters off the count line still says how many events
   * were dropped; each event's id stays at DEBUG.
   */
  static final int FULL_LOGS_PER_INTERVAL = 10;

  /**
   * See {@link #FULL_LOGS_PER_INTERVAL}. A minute keeps a persistent failure to one count line a
   * minute, and a failure that stops shows as stopped within a minute.
   */
  static final Duration LOG_INTERVAL = Duration.ofMinutes(1);

  private final String system;
  private final String topic;
  private final String group;
  private final EventHandler handler;
  /** The bus's instrumentations, or {@code null} when none is registered. */
  private final Instrumentation instrumentation;
  private final RetryPolicy retryPolicy;
  private final boolean deadLetters;
  private final int maxInFlight;
  private final ExecutorService workers;
  private final ScheduledExecutorService scheduler;

  private final Object lock = new Object();
  /** Unfinished tasks in submission order; guarded by lock. */
  private final Set<Task> live = new LinkedHashSet<>();
  /** Key to its tasks, head first; guarded by lock. */
  private final Map<String, ArrayDeque<Task>> lanes = new HashMap<>();
  /** Tasks waiting for a handler thread, in order; guarded by lock. */
  private final ArrayDeque<Task> ready = new ArrayDeque<>();
  /**
   * Loops taking tasks from {@link #ready} on worker threads, at most {@code concurrency};
   * guarded by lock. A loop ends when nothing is ready, so a burst of submitted messages costs
   * one thread wake-up, not one per message.
   */
  private int drainers;
  private final int concurrency;
  /** Tasks whose handler is running or whose outcome is being recorded; guarded by lock. */
  private int active;
  private boolean closing;
  private volatile Runnable capacityListener = () -> { };
  private final Set<Thread> workerThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final FailureLogLimiter attemptLogs;
  /** Dead-lettered events, or dropped ones when dead letters are off. */
  private final FailureLogLimiter outcomeLogs;
  private volatile ScheduledFuture<?> attemptSummary;
  private volatile ScheduledFuture<?> outcomeSummary;

  /**
   * Creates an engine.
   *
   * @param transportName the transport, for thread names
   * @param topic the topic
   * @param options effective options, every setting filled
   * @param handler the handler
   * @param scheduler the bus's retry scheduler
   */
  DeliveryEngine(String transportName, String topic, SubscribeOptions options,
      EventHandler handler, ScheduledExecutorService scheduler) {
    this(transportName, topic, options, handler, scheduler, null);
  }

  /**
   * Creates an observed engine.
   *
   * @param instrumentation told of every attempt, its outcome and dead letters; {@code null}
   *     for none
   */
  DeliveryEngine(String transportName, String topic, SubscribeOptions options,
      EventHandler handler, ScheduledExecutorService scheduler,
      Instrumentation instrumentation) {
    this(transportName, topic, options, handler, scheduler,
        new FailureLogLimiter(FULL_LOGS_PER_INTERVAL, LOG_INTERVAL, System::nanoTime),
        new FailureLogLimiter(FULL_LOGS_PER_INTERVAL, LOG_INTERVAL, System::nanoTime),
        instrumentation);
  }

  /**
   * Creates an engine with its own log limits.
   *
   * @param attemptLogs limits the WARN lines of failed attempts that are retried or released
   * @param outcomeLogs limits the WARN lines of dead-lettered or dropped events
   */
  DeliveryEngine(String transportName, String topic, SubscribeOptions options,
      EventHandler handler, ScheduledExecutorService scheduler, FailureLogLimiter attemptLogs,
      FailureLogLimiter outcomeLogs) {
    this(transportName, topic, options, handler, scheduler, attemptLogs, outcomeLogs, null);
  }

  private DeliveryEngine(String transportName, String topic, SubscribeOptions options,
      EventHandler handler, ScheduledExecutorService scheduler, FailureLogLimiter attemptLogs,
      FailureLogLimiter outcomeLogs, Instrumentation instrumentation) {
    this.system = transportName;
    this.instrumentation = instrumentation;
    this.attemptLogs = attemptLogs;
    this.outcomeLogs = outcomeLogs;
    this.topic = topic;
    this.group = options.group();
    this.handler = handler;
    this.retryPolicy = options.retryPolicy();
    this.deadLetters = options.deadLetters();
    this.maxInFlight = options.maxInFlight();
    this.scheduler = scheduler;
    this.concurrency = options.concurrency();
    NamedThreadFactory named =
        new NamedThreadFactory("relaybus-" + transportName + "-worker-" + topic + "-" + group);
    this.workers = new ThreadPoolExecutor(concurrency, concurrency, 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = named.newThread(r);
          workerThreads.add(t);
          return t;
        });
  }

  @Override
  public int capacity() {
    synchronized (lock) {
      return closing ? 0 : Math.max(0, maxInFlight - live.size());
    }
  }

  /**
   * Messages submitted and not yet finished.
   *
   * @return the in-flight count
   */
  public int inFlight() {
    synchronized (lock) {
      return live.size();
    }
  }

  /**
   * Tells whether a thread is one of this member's handler threads.
   *
   * @param thread the thread
   * @return {@code true} for a worker of this engine
   */
  public boolean isWorker(Thread thread) {
    return workerThreads.contains(thread);
  }

  @Override
  public void onCapacity(Runnable listener) {
    this.capacityListener = listener == null ? () -> { } : listener;
  }

  @Override
  public void submit(InboundMessage message) {
    submitAll(List.of(message));
  }

  @Override
  public void submitAll(List<? extends InboundMessage> messages) {
    List<Task> tasks = new ArrayList<>(messages.size());
    for (InboundMessage m : messages) {
      tasks.add(new Task(m));
    }
    int start = 0;
    synchronized (lock) {
      if (!closing && live.size() + tasks.size() > maxInFlight) {
        throw new IllegalStateException("Transport exceeded maxInFlight=" + maxInFlight
            + " for topic '" + topic + "', group '" + group + "'");
      }
      for (Task task : tasks) {
        if (closing) {
          task.state = State.DONE;
          continue;
        }
        live.add(task);
        task.state = State.QUEUED;
        if (task.key != null) {
          ArrayDeque<Task> lane = lanes.computeIfAbsent(task.key, k -> new ArrayDeque<>(4));
          lane.addLast(task);
          if (lane.size() > 1) {
            task.state = State.LANE_WAITING;
            continue;
          }
        }
        ready.addLast(task);
      }
      start = Math.min(ready.size(), concurrency - drainers);
      drainers += Math.max(0, start);
    }
    for (Task task : tasks) {
      if (task.state == State.DONE) {
        task.message.release();
      }
    }
    for (int i = 0; i < start; i++) {
      startDrainer();
    }
  }

  /** Makes a QUEUED task ready, starting a drain loop when fewer than concurrency run. */
  private void dispatch(Task task) {
    synchronized (lock) {
      ready.addLast(task);
      if (drainers >= concurrency) {
        return; // a running loop takes it
      }
      drainers++;
    }
    startDrainer();
  }

  /** Starts one drain loop; the caller has counted it in {@link #drainers}. */
  private void startDrainer() {
    try {
      workers.execute(this::drainReady);
    } catch (RejectedExecutionException e) {
      // Only after close abandoned the pool; the task was released there.
      synchronized (lock) {
        drainers--;
      }
      LOG.debug("Worker pool of topic '{}' group '{}' is shut down", topic, group);
    }
  }

  /** Runs ready tasks on this worker thread until none is left. */
  private void drainReady() {
    boolean ended = false;
    try {
      while (true) {
        Task task;
        synchronized (lock) {
          do {
            task = ready.pollFirst();
          } while (task != null && task.state != State.QUEUED); // skip tasks released by close
          if (task == null) {
            drainers--;
            ended = true;
            return;
          }
          task.state = State.RUNNING;
          task.thread = Thread.currentThread();
          active++;
        }
        run(task);
      }
    } finally {
      if (!ended) {
        // run() threw past its own handling: this loop ends, another takes what is ready.
        boolean restart;
        synchronized (lock) {
          drainers--;
          restart = !ready.isEmpty() && drainers < concurrency;
          if (restart) {
            drainers++;
          }
        }
        if (restart) {
          startDrainer();
        }
      }
    }
  }

  /** Runs a task already marked RUNNING and records its outcome. */
  private void run(Task task) {
    Throwable failure = null;
    Instrumentation.AttemptObservation observation = null;
    Event event = null;
    try {
      Delivery delivery = new DefaultDelivery(task.message, topic, group, task.attempt);
      event = delivery.event();
      if (instrumentation == null) {
        handler.handle(delivery);
      } else {
        observation = instrumentation.attempting(system, topic, group, delivery);
        try (Instrumentation.Scope scope = observation.enter()) {
          handler.handle(delivery);
        }
      }
    } catch (Throwable t) {
      failure = t;
    }
    Thread.interrupted(); // an interrupt from close must not leak into the next task
    Action action;
    DeadLetterReason reason = null;
    synchronized (lock) {
      task.thread = null;
      if (task.state != State.RUNNING) {
        active--;
        lock.notifyAll();
        if (observation != null) {
          observation.ended(failure, Instrumentation.Next.RELEASE);
        }
        return; // abandoned by a close that timed out; the message was released there
      }
      if (failure == null) {
        action = Action.ACK;
      } else if (failure instanceof DecodingException) {
        reason = DeadLetterReason.UNDECODABLE;
      } else if (!retryPolicy.isRetryable(failure)) {
        reason = DeadLetterReason.NON_RETRYABLE;
      } else if (!retryPolicy.hasAttemptsLeft(task.attempt)) {
        reason = DeadLetterReason.RETRIES_EXHAUSTED;
      }
      if (failure == null) {
        action = Action.ACK;
      } else if (reason != null) {
        action = deadLetters ? Action.DEAD_LETTER : Action.DROP;
      } else if (closing) {
        action = Action.RELEASE;
      } else {
        // Stays RUNNING (and active) until the transport has recorded the failed attempt, so a
        // concurrent close() cannot release the event with a stale attempt count.
        action = Action.RETRY;
      }
    }
    if (observation != null) {
      observation.ended(failure, next(action));
    }
    switch (action) {
      case ACK:
        finish(task, task.message::ack, true);
        break;
      case DEAD_LETTER:
        logGivenUp(task, "Dead-lettering", reason, failure);
        DeadLetterReason r = reason;
        Throwable f = failure;
        if (finish(task, () -> task.message.deadLetter(r, task.attempt, f), true)) {
          gaveUp(task, event, reason, true);
        }
        break;
      case DROP:
        logGivenUp(task, "Dropping", reason, failure);
        if (finish(task, task.message::ack, true)) {
          gaveUp(task, event, reason, false);
        }
        break;
      case RELEASE:
        logFailedAttempt(task, failure, "the bus is closing, the event is released for "
            + "redelivery");
        Throwable failed = failure;
        finish(task, () -> {
          task.message.retrying(task.attempt, failed, Duration.ZERO);
          task.message.release();
        }, true);
        break;
      default:
        scheduleRetry(task, failure);
    }
  }

  private static Instrumentation.Next next(Action action) {
    switch (action) {
      case ACK:
        return Instrumentation.Next.DONE;
      case DEAD_LETTER:
      case DROP:
        return Instrumentation.Next.GIVE_UP;
      case RELEASE:
        return Instrumentation.Next.RELEASE;
      default:
        return Instrumentation.Next.RETRY;
    }
  }

  /** Tells the instrumentation, once the transport has recorded the outcome. */
  private void gaveUp(Task task, Event event, DeadLetterReason reason, boolean stored) {
    if (instrumentation == null) {
      return;
    }
    instrumentation.gaveUp(system, topic, group, event, reason, task.attempt, stored);
  }

  private void scheduleRetry(Task task, Throwable failure) {
    int failedAttempt = task.attempt;
    Duration delay = retryPolicy.delayAfter(failedAttempt);
    logFailedAttempt(task, failure, "retrying in " + delay);
    if (LOG.isDebugEnabled()) {
      LOG.debug("Retry of event {} (topic '{}', group '{}') scheduled: attempt {} in {}, after "
          + "{}", idOf(task.message), topic, group, failedAttempt + 1, delay,
          Errors.describe(failure));
    }
    try {
      task.message.retrying(failedAttempt, failure, delay);
    } catch (RuntimeException e) {
      LOG.warn("Transport could not record failed attempt {} of event {}", failedAttempt,
          idOf(task.message), e);
    }
    boolean release = false;
    synchronized (lock) {
      if (task.state != State.RUNNING) {
        active--; // abandoned by a close that timed out; released there
        lock.notifyAll();
        return;
      }
      task.attempt = failedAttempt + 1;
      if (closing) {
        release = true;
      } else {
        task.state = State.RETRY_WAIT;
        active--;
        lock.notifyAll();
        try {
          task.retry = scheduler.schedule(() -> requeue(task), delay.toNanos(),
              TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
          LOG.debug("Retry scheduler is shut down; event {} stays for release",
              idOf(task.message));
        }
      }
    }
    if (release) {
      finish(task, task.message::release, true);
    }
  }

  /** A failed attempt that is not the last: WARN with its trace, within the attempt limit. */
  private void logFailedAttempt(Task task, Throwable failure, String next) {
    FailureLogLimiter.Decision decision = attemptLogs.acquire(failure);
    if (decision == FailureLogLimiter.Decision.LOG) {
      LOG.warn("Attempt {} of event {} (topic '{}', group '{}') failed, {}: {}", task.attempt,
          idOf(task.message), topic, group, next, Errors.describe(failure), failure);
    } else if (decision == FailureLogLimiter.Decision.SUPPRESS_FIRST) {
      attemptSummary = scheduleSummary(attemptLogs, this::reportSuppressedAttempts);
    }
  }

  /** The last attempt failed: WARN with its trace, within the dead-letter limit. */
  private void logGivenUp(Task task, String verb, DeadLetterReason reason, Throwable failure) {
    FailureLogLimiter.Decision decision = outcomeLogs.acquire(failure);
    if (decision == FailureLogLimiter.Decision.LOG) {
      LOG.warn("{} event {} of topic '{}' group '{}' after {} attempt(s), {}{}: {}", verb,
          idOf(task.message), topic, group, task.attempt, reason,
          deadLetters ? "" : " (dead letters are off)", Errors.describe(failure), failure);
      return;
    }
    if (decision == FailureLogLimiter.Decision.SUPPRESS_FIRST) {
      outcomeSummary = scheduleSummary(outcomeLogs, this::reportSuppressedOutcomes);
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("{} event {} of topic '{}' group '{}' after {} attempt(s), {} (over the WARN "
          + "limit): {}", verb, idOf(task.message), topic, group, task.attempt, reason,
          Errors.describe(failure));
    }
  }

  /** Reports a window's suppressed failures when it ends; close() reports what is left. */
  private ScheduledFuture<?> scheduleSummary(FailureLogLimiter limiter, Runnable report) {
    try {
      return scheduler.schedule(report, limiter.nanosUntilWindowEnd(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return null; // the bus is closing; close() reports
    }
  }

  private void reportSuppressedAttempts() {
    FailureLogLimiter.Suppressed s = attemptLogs.takeSuppressed();
    if (s != null) {
      LOG.warn("{} more failed attempts in topic '{}' group '{}' in the last {}, not logged "
          + "one by one; last: {}", thousands(s.count()), topic, group,
          span(attemptLogs.interval()), Errors.describe(s.last()));
    }
  }

  private void reportSuppressedOutcomes() {
    FailureLogLimiter.Suppressed s = outcomeLogs.takeSuppressed();
    if (s != null) {
      LOG.warn("{} more events {} in topic '{}' group '{}' in the last {}, not logged one by "
          + "one; last: {}", thousands(s.count()),
          deadLetters ? "dead-lettered" : "dropped (dead letters are off)", topic, group,
          span(outcomeLogs.interval()), Errors.describe(s.last()));
    }
  }

  private static String thousands(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String span(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private void requeue(Task task) {
    synchronized (lock) {
      if (task.state != State.RETRY_WAIT) {
        return;
      }
      task.state = State.QUEUED;
    }
    dispatch(task);
  }

  /**
   * Records the outcome, then frees the slot and starts the next task of the key's lane.
   *
   * @return {@code true} when the transport recorded the outcome
   */
  private boolean finish(Task task, Runnable outcome, boolean wasActive) {
    boolean recorded = false;
    try {
      outcome.run();
      recorded = true;
    } catch (RuntimeException e) {
      LOG.error("Transport failed to record the outcome of event {} (topic '{}', group '{}'); "
          + "it will be redelivered", idOf(task.message), topic, group, e);
    }
    Task next = null;
    synchronized (lock) {
      task.state = State.DONE;
      live.remove(task);
      if (wasActive) {
        active--;
      }
      if (task.key != null) {
        ArrayDeque<Task> lane = lanes.get(task.key);
        if (lane != null) {
          lane.remove(task);
          if (lane.isEmpty()) {
            lanes.remove(task.key);
          } else if (!closing && lane.peekFirst().state == State.LANE_WAITING) {
            next = lane.peekFirst();
            next.state = State.QUEUED;
          }
        }
      }
      lock.notifyAll();
    }
    if (next != null) {
      dispatch(next);
    }
    try {
      capacityListener.run();
    } catch (RuntimeException e) {
      LOG.error("Capacity listener of topic '{}' group '{}' failed", topic, group, e);
    }
    return recorded;
  }

  /**
   * Stops the engine: releases queued, lane-waiting and retry-waiting messages at once, waits
   * up to {@code timeout} for running handlers to finish and record their outcome, then
   * interrupts the rest and releases their messages.
   *
   * @param timeout how long to wait for running handlers
   */
  public void close(Duration timeout) {
    List<Task> release = new ArrayList<>();
    synchronized (lock) {
      closing = true;
      for (Task t : live) {
        if (t.state == State.QUEUED || t.state == State.LANE_WAITING
            || t.state == State.RETRY_WAIT) {
          if (t.retry != null) {
            t.retry.cancel(false);
          }
          t.state = State.DONE;
          release.add(t);
        }
      }
      ready.clear();
    }
    for (Task t : release) {
      finish(t, t.message::release, false);
    }

    long deadline = System.nanoTime() + timeout.toNanos();
    List<Task> abandoned = new ArrayList<>();
    synchronized (lock) {
      int self = 0;
      for (Task t : live) {
        if (t.thread == Thread.currentThread()) {
          self = 1; // closing from inside a handler: do not wait for ourselves
        }
      }
      long remaining;
      while (active > self && (remaining = deadline - System.nanoTime()) > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, remaining);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      for (Task t : live) {
        if (t.state == State.RUNNING && t.thread != Thread.currentThread()) {
          t.state = State.DONE;
          abandoned.add(t);
          if (t.thread != null) {
            t.thread.interrupt();
          }
        }
      }
    }
    for (Task t : abandoned) {
      LOG.warn("Handler for event {} (topic '{}', group '{}') still running after the close "
          + "timeout of {}; interrupted, the event will be redelivered",
          idOf(t.message), topic, group, timeout);
      finish(t, t.message::release, false);
    }
    workers.shutdown();
    for (ScheduledFuture<?> summary : new ScheduledFuture<?>[] {attemptSummary, outcomeSummary}) {
      if (summary != null) {
        summary.cancel(false);
      }
    }
    reportSuppressedAttempts();
    reportSuppressedOutcomes();
  }

  /** The event id for logs; a message whose event cannot be decoded is named by its metadata. */
  private static String idOf(InboundMessage message) {
    try {
      return message.event().id();
    } catch (RuntimeException e) {
      return "(unreadable) " + message.metadata();
    }
  }

  private static final class Task {
    final InboundMessage message;
    final String key;
    int attempt;
    State state;
    Thread thread;
    ScheduledFuture<?> retry;

    Task(InboundMessage message) {
      this.message = message;
      this.key = message.key();
      this.attempt = message.attempt();
    }
  }
}
