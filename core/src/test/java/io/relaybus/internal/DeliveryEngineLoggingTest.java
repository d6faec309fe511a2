package io.relaybus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.InboundMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What a failing handler makes the bus log, at which level, with which stack trace, and how
 * often: through the memory bus, read from the bus's own logger.
 */
class DeliveryEngineLoggingTest {

  private static final String TOPIC = "orders";
  private static final String GROUP = "billing";

  private final Logger engineLog = (Logger) LoggerFactory.getLogger(DeliveryEngine.class);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private Level levelBefore;
  private EventBus bus;

  @BeforeEach
  void captureTheEngineLog() {
    levelBefore = engineLog.getLevel();
    engineLog.setLevel(Level.DEBUG);
    engineLog.setAdditive(false); // read here, not printed into the build's output
    logged.start();
    engineLog.addAppender(logged);
  }

  @AfterEach
  void restore() {
    if (bus != null) {
      bus.close();
    }
    engineLog.detachAppender(logged);
    engineLog.setLevel(levelBefore);
    engineLog.setAdditive(true);
  }

  private List<ILoggingEvent> at(Level level) {
    return logged.list.stream().filter(e -> e.getLevel() == level).toList();
  }

  private static List<String> messages(List<ILoggingEvent> events) {
    return events.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  private static Event event(String type) {
    return Event.builder().source("/test").type(type).build();
  }

  private static SubscribeOptions options(RetryPolicy retryPolicy) {
    return SubscribeOptions.builder().group(GROUP).retryPolicy(retryPolicy).build();
  }

  private static RetryPolicy immediateRetries(int maxAttempts) {
    return RetryPolicy.builder().maxAttempts(maxAttempts).fixedDelay(Duration.ZERO).build();
  }

  /** The handler's own exception, with the frames that lead to it, not only its message. */
  private static void assertStackTraceOf(ILoggingEvent e, String message) {
    IThrowableProxy thrown = e.getThrowableProxy();
    assertThat(thrown).as("stack trace of: %s", e.getFormattedMessage()).isNotNull();
    assertThat(thrown.getClassName()).isEqualTo(IllegalStateException.class.getName());
    assertThat(thrown.getMessage()).isEqualTo(message);
    assertThat(thrown.getStackTraceElementProxyArray()).isNotEmpty();
    assertThat(thrown.getStackTraceElementProxyArray()[0].getStackTraceElement().getClassName())
        .startsWith(DeliveryEngineLoggingTest.class.getName());
  }

  @Test
  void aHandledEventLogsNothing() throws Exception {
    bus = EventBus.create(Map.of());
    CountDownLatch handled = new CountDownLatch(1);
    bus.subscribe(TOPIC, options(immediateRetries(3)), d -> handled.countDown());

    bus.publish(TOPIC, event("order.created")).join();

    assertThat(handled.await(10, TimeUnit.SECONDS)).isTrue();
    bus.close();
    assertThat(messages(logged.list)).isEmpty();
  }

  @Test
  void aFailedAttemptIsAWarnWithItsStackTraceAndTheScheduledRetryOneDebugLine()
      throws Exception {
    bus = EventBus.create(Map.of());
    CountDownLatch handled = new CountDownLatch(1);
    bus.subscribe(TOPIC, options(immediateRetries(3)), d -> {
      if (d.attempt() == 1) {
        throw new IllegalStateException("payment service down");
      }
      handled.countDown();
    });
    Event event = event("order.created");

    bus.publish(TOPIC, event).join();

    assertThat(handled.await(10, TimeUnit.SECONDS)).isTrue();
    List<ILoggingEvent> warnings = at(Level.WARN);
    assertThat(messages(warnings)).containsExactly("Attempt 1 of event " + event.id()
        + " (topic 'orders', group 'billing') failed, retrying in PT0S: "
        + "java.lang.IllegalStateException: payment service down");
    assertStackTraceOf(warnings.get(0), "payment service down");
    List<ILoggingEvent> debug = at(Level.DEBUG);
    assertThat(messages(debug)).containsExactly("Retry of event " + event.id()
        + " (topic 'orders', group 'billing') scheduled: attempt 2 in PT0S, after "
        + "java.lang.IllegalStateException: payment service down");
    assertThat(debug.get(0).getThrowableProxy()).isNull();
  }

  @Test
  void deadLetteringIsAWarnWithTheStackTraceAndTheLastAttemptIsNotLoggedTwice() {
    bus = EventBus.create(Map.of());
    bus.subscribe(TOPIC, options(immediateRetries(3)), d -> {
      throw new IllegalStateException("payment service down");
    });
    Event event = event("order.created");

    bus.publish(TOPIC, event).join();

    await().atMost(Duration.ofSeconds(10))
        .until(() -> bus.deadLetters().count(TOPIC, GROUP) == 1);
    List<ILoggingEvent> warnings = at(Level.WARN);
    assertThat(messages(warnings)).containsExactly(
        "Attempt 1 of event " + event.id() + " (topic 'orders', group 'billing') failed, "
            + "retrying in PT0S: java.lang.IllegalStateException: payment service down",
        "Attempt 2 of event " + event.id() + " (topic 'orders', group 'billing') failed, "
            + "retrying in PT0S: java.lang.IllegalStateException: payment service down",
        "Dead-lettering event " + event.id() + " of topic 'orders' group 'billing' after 3 "
            + "attempt(s), RETRIES_EXHAUSTED: java.lang.IllegalStateException: payment "
            + "service down");
    warnings.forEach(w -> assertStackTraceOf(w, "payment service down"));
  }

  @Test
  void droppingWithDeadLettersOffIsAWarnWithTheStackTrace() {
    bus = EventBus.create(Map.of());
    CountDownLatch dropped = new CountDownLatch(1);
    bus.subscribe(TOPIC, SubscribeOptions.builder().group(GROUP).deadLetters(false)
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          dropped.countDown();
          throw new IllegalStateException("cannot handle");
        });
    Event event = event("order.created");

    bus.publish(TOPIC, event).join();

    await().atMost(Duration.ofSeconds(10)).until(() -> !at(Level.WARN).isEmpty());
    List<ILoggingEvent> warnings = at(Level.WARN);
    assertThat(messages(warnings)).containsExactly("Dropping event " + event.id()
        + " of topic 'orders' group 'billing' after 1 attempt(s), RETRIES_EXHAUSTED (dead "
        + "letters are off): java.lang.IllegalStateException: cannot handle");
    assertStackTraceOf(warnings.get(0), "cannot handle");
  }

  @Test
  void pastTenFailedAttemptsASubscriptionCountsTheRestInOneWarnLine() throws Exception {
    bus = EventBus.create(Map.of());
    int events = 15;
    CountDownLatch handled = new CountDownLatch(events);
    bus.subscribe(TOPIC, options(immediateRetries(2)), d -> {
      if (d.attempt() == 1) {
        throw new IllegalStateException("failure of " + d.event().type());
      }
      handled.countDown();
    });
    // Published one by one, each failing once: the first attempts fail in publish order.
    for (int i = 0; i < events; i++) {
      bus.publish(TOPIC, event("e" + i)).join();
      int done = events - i - 1;
      await().atMost(Duration.ofSeconds(10)).until(() -> handled.getCount() == done);
    }

    bus.close(); // the count line comes at the end of the minute, or at close

    List<ILoggingEvent> warnings = at(Level.WARN);
    assertThat(warnings).hasSize(DeliveryEngine.FULL_LOGS_PER_INTERVAL + 1);
    List<ILoggingEvent> full = warnings.subList(0, DeliveryEngine.FULL_LOGS_PER_INTERVAL);
    for (int i = 0; i < full.size(); i++) {
      assertThat(full.get(i).getFormattedMessage()).startsWith("Attempt 1 of event ");
      assertStackTraceOf(full.get(i), "failure of e" + i);
    }
    ILoggingEvent summary = warnings.get(DeliveryEngine.FULL_LOGS_PER_INTERVAL);
    assertThat(summary.getFormattedMessage()).isEqualTo("5 more failed attempts in topic "
        + "'orders' group 'billing' in the last 60 s, not logged one by one; last: "
        + "java.lang.IllegalStateException: failure of e14");
    assertThat(summary.getThrowableProxy()).isNull();
    assertThat(at(Level.DEBUG)).as("every retry, at DEBUG").hasSize(events);
  }

  @Test
  void theCountLineOfAnIntervalComesWhenItEndsAndDeadLettersHaveTheirOwnLimit()
      throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    Duration interval = Duration.ofMillis(300);
    DeliveryEngine engine = new DeliveryEngine("test", TOPIC,
        options(RetryPolicy.noRetries()).withDefaultsFrom(SubscribeOptions.libraryDefaults()),
        d -> {
          throw new IllegalStateException("poison " + d.event().type());
        }, scheduler,
        new FailureLogLimiter(2, interval, System::nanoTime),
        new FailureLogLimiter(2, interval, System::nanoTime));
    try {
      List<DeadLetteredMessage> messages = IntStream.range(0, 5)
          .mapToObj(i -> new DeadLetteredMessage(event("e" + i))).toList();
      engine.submitAll(messages);
      for (DeadLetteredMessage m : messages) {
        assertThat(m.deadLettered.await(10, TimeUnit.SECONDS)).isTrue();
      }

      await().atMost(Duration.ofSeconds(10)).until(() -> at(Level.WARN).size() == 3);
      List<String> warnings = messages(at(Level.WARN));
      assertThat(warnings.get(0)).startsWith("Dead-lettering event " + messages.get(0).event.id());
      assertThat(warnings.get(1)).startsWith("Dead-lettering event " + messages.get(1).event.id());
      assertThat(warnings.get(2)).isEqualTo("3 more events dead-lettered in topic 'orders' "
          + "group 'billing' in the last 300 ms, not logged one by one; last: "
          + "java.lang.IllegalStateException: poison e4");
      assertThat(messages(at(Level.DEBUG))).containsExactly(
          IntStream.range(2, 5).mapToObj(i -> "Dead-lettering event "
              + messages.get(i).event.id() + " of topic 'orders' group 'billing' after 1 "
              + "attempt(s), RETRIES_EXHAUSTED (over the WARN limit): "
              + "java.lang.IllegalStateException: poison e" + i).toArray(String[]::new));
    } finally {
      engine.close(Duration.ofSeconds(10));
      scheduler.shutdownNow();
    }
    assertThat(at(Level.WARN)).as("nothing left to report at close").hasSize(3);
  }

  /** A message whose dead letter the test waits for. */
  private static final class DeadLetteredMessage implements InboundMessage {
    final Event event;
    final CountDownLatch deadLettered = new CountDownLatch(1);

    DeadLetteredMessage(Event event) {
      this.event = event;
    }

    @Override
    public Event event() {
      return event;
    }

    @Override
    public int attempt() {
      return 1;
    }

    @Override
    public Map<String, String> metadata() {
      return Map.of();
    }

    @Override
    public void ack() {}

    @Override
    public void deadLetter(DeadLetterReason reason, int attempts, Throwable lastError) {
      deadLettered.countDown();
    }

    @Override
    public void release() {}
  }
}
