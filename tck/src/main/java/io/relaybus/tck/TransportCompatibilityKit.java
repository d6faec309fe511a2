package io.relaybus.tck;

import io.relaybus.Capability;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.spi.Instrumentation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestClassOrder;
import org.junit.jupiter.api.TestInfo;
import org.opentest4j.TestAbortedException;

/**
 * The transport compatibility kit: every guarantee of the delivery contract
 * ({@code docs/semantics.md}) as a test.
 *
 * <p>A transport's test class extends this class and implements {@link #createBus(Map)}; when
 * the transport can lose its connections or its server, it also overrides
 * {@link #canKillConnections()}/{@link #killConnections()} and
 * {@link #canRestartServer()}/{@link #restartServer()}. Tests whose guarantee depends on a
 * {@link Capability} run only when the bus declares it.
 *
 * <p>The tests are grouped by guarantee family, one {@link Nested} class each, which JUnit runs
 * for every subclass, in this order: delivery, retries, dead letters, groups and ordering,
 * lifecycle, faults, operations. Their display names are the guarantees as
 * {@code docs/semantics.md} words them. The subclass's {@code @BeforeAll}/{@code @AfterAll} methods run once, around all
 * families; a class-level extension it registers ({@code @ExtendWith}, a static
 * {@code @RegisterExtension} field) is called for each family as well, as JUnit calls it for
 * every nested class, so such an extension acts only where the test class is not
 * {@link Nested}.
 *
 * <p>Each test uses its own topic and group names, so a persistent server can be shared by all
 * tests. Buses created through {@link #bus()} are closed after each test.
 */
@TestClassOrder(ClassOrderer.OrderAnnotation.class)
public abstract class TransportCompatibilityKit {

  /** Source attribute of every event the kit publishes. */
  protected static final String SOURCE = "/relaybus/tck";

  private final List<EventBus> buses = new CopyOnWriteArrayList<>();
  private String testName = "test";

  /** Creates the kit; a transport's test class calls this through its own constructor. */
  protected TransportCompatibilityKit() {
  }

  /**
   * Creates a bus on the transport under test.
   *
   * @param overrides configuration keys the test needs on top of the transport's own settings
   *     (for example {@code relaybus.retry.*}); may be empty
   * @return a started bus
   */
  protected abstract EventBus createBus(Map<String, String> overrides);

  /**
   * Creates a bus like {@link #createBus(Map)}, observed by {@code instrumentation} (registered
   * with {@link EventBus.Builder#instrumentation}). The instrumentation family runs only when a
   * kit implementation overrides this; by default its tests are skipped, saying so.
   *
   * @param overrides extra settings
   * @param instrumentation the observer to register
   * @return a new bus; the kit closes it
   */
  protected EventBus createBus(Map<String, String> overrides, Instrumentation instrumentation) {
    throw new TestAbortedException("the kit implementation does not override "
        + "createBus(Map, Instrumentation): the instrumentation family is not run");
  }

  /**
   * Whether {@link #killConnections()} is supported.
   *
   * @return {@code false} by default
   */
  protected boolean canKillConnections() {
    return false;
  }

  /** Cuts every connection the transport holds to its server, as a network failure would. */
  protected void killConnections() {
    throw new UnsupportedOperationException("killConnections");
  }

  /**
   * Whether {@link #restartServer()} is supported.
   *
   * @return {@code false} by default
   */
  protected boolean canRestartServer() {
    return false;
  }

  /** Stops the server and starts it again on the same data. */
  protected void restartServer() {
    throw new UnsupportedOperationException("restartServer");
  }

  /**
   * The longest wait for an expected outcome.
   *
   * @return 60 seconds by default
   */
  protected Duration patience() {
    return Duration.ofSeconds(60);
  }

  /**
   * How long to watch for something that must not happen (a redelivery, an extra attempt).
   *
   * @return 500 ms by default
   */
  protected Duration quietPeriod() {
    return Duration.ofMillis(500);
  }

  @BeforeEach
  void rememberTestName(TestInfo info) {
    testName = info.getTestMethod().map(m -> m.getName()).orElse("test");
  }

  @AfterEach
  void closeBuses() {
    for (EventBus bus : buses) {
      bus.close();
    }
    buses.clear();
  }

  /**
   * A bus with the transport's own settings, closed after the test.
   *
   * @return the bus
   */
  protected EventBus bus() {
    return bus(Map.of());
  }

  /**
   * A bus with extra settings, closed after the test.
   *
   * @param overrides extra settings
   * @return the bus
   */
  protected EventBus bus(Map<String, String> overrides) {
    EventBus bus = createBus(overrides);
    buses.add(bus);
    return bus;
  }

  /** A bus observed by {@code instrumentation}, closed after the test. */
  EventBus instrumentedBus(Instrumentation instrumentation) {
    EventBus bus = createBus(Map.of(), instrumentation);
    buses.add(bus);
    return bus;
  }

  /**
   * A topic name unique to this test run.
   *
   * @param hint a readable part
   * @return the name
   */
  protected String uniqueName(String hint) {
    String base = (testName + "-" + hint).replaceAll("[^A-Za-z0-9._-]", "-");
    if (base.length() > 150) {
      base = base.substring(0, 150);
    }
    return "tck-" + base + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  }

  /**
   * A small text event.
   *
   * @param text the data
   * @param key the key, or {@code null}
   * @return the event
   */
  protected static Event textEvent(String text, String key) {
    return Event.builder().source(SOURCE).type("tck.text").key(key).text(text).build();
  }

  @Nested
  @Order(1)
  @DisplayName("Round trip, at-least-once delivery and topic isolation")
  class Delivery extends DeliveryGuarantees {
    Delivery() {
      super(TransportCompatibilityKit.this);
    }
  }

  @Nested
  @Order(2)
  @DisplayName("Retries, in one layer: the subscription's RetryPolicy alone decides")
  class Retries extends RetryGuarantees {
    Retries() {
      super(TransportCompatibilityKit.this);
    }
  }

  @Nested
  @Order(3)
  @DisplayName("Dead letters, then continue; replay")
  class DeadLetters extends DeadLetterGuarantees {
    DeadLetters() {
      super(TransportCompatibilityKit.this);
    }
  }

  @Nested
  @Order(4)
  @DisplayName("Consumer groups and ordering by key")
  class GroupsAndOrdering extends GroupAndOrderingGuarantees {
    GroupsAndOrdering() {
      super(TransportCompatibilityKit.this);
    }
  }

  @Nested
  @Order(5)
  @DisplayName("Backlog, start position, backpressure and graceful close")
  class Lifecycle extends LifecycleGuarantees {
    Lifecycle() {
      super(TransportCompatibilityKit.this);
    }
  }

  @Nested
  @Order(6)
  @DisplayName("Faults: events may be delivered again, never lost")
  class Faults extends FaultGuarantees {
    Faults() {
      super(TransportCompatibilityKit.this);
    }
  }

  @Nested
  @Order(7)
  @DisplayName("Operations: topics, groups, lag, dead letters by filter, event lookup, health")
  class OperationsApi extends OperationsGuarantees {
    OperationsApi() {
      super(TransportCompatibilityKit.this);
    }
  }

  @Nested
  @Order(8)
  @DisplayName("Instrumentation: added headers travel with the event, hooks are called exactly")
  class InstrumentationHooks extends InstrumentationGuarantees {
    InstrumentationHooks() {
      super(TransportCompatibilityKit.this);
    }
  }
}
