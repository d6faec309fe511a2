package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.EventBus;
import io.relaybus.ops.Health;
import io.relaybus.ops.Health.Status;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Health of the PostgreSQL transport under real faults, with a grace period of one second:
 * a stopped server and a LISTEN connection that cannot come back turn their components
 * DEGRADED at once and DOWN only after the grace period, and UP again after recovery; a single
 * failure never turns anything DOWN; a member that lost its lease is DEGRADED until its next
 * heartbeat. Runs on a server of its own, which it stops.
 */
class PostgresHealthTest {
  private static final Duration GRACE = Duration.ofSeconds(1);
  private static final Duration PATIENCE = Duration.ofSeconds(45);
  private static final String TOPIC = "health.topic";
  private static final String GROUP = "members";
  private static final String CONSUMER = "postgres.consumer." + TOPIC + "." + GROUP;

  @RegisterExtension
  static final TestDatabase DB = TestDatabase.onOwnServer("relaybus-health", "relaybus_health");
  private final TestBuses buses = DB.buses(Map.of(
      "relaybus.health.grace-period", "1s",
      "relaybus.postgres.health-check-interval", "200ms",
      "relaybus.postgres.poll-interval", "200ms"));

  private EventBus busWithMember() {
    EventBus bus = buses.bus();
    bus.subscribe(TOPIC, GROUP, d -> { });
    return bus;
  }

  @Test
  @DisplayName("a healthy bus is UP with the pool, the LISTEN connection and one component per "
      + "group of its members; with poll-only there is no LISTEN component")
  void healthyBusIsUp() {
    EventBus bus = busWithMember();
    bus.subscribe(TOPIC, GROUP, d -> { });
    bus.subscribe(TOPIC, "others", d -> { });
    Health health = bus.operations().health();
    assertThat(health.status()).isEqualTo(Status.UP);
    assertThat(health.components()).extracting(Health.Component::name).containsExactly(
        "postgres.pool", "postgres.listen", CONSUMER, "postgres.consumer." + TOPIC + ".others");
    assertThat(health.components()).allSatisfy(c -> {
      assertThat(c.status()).isEqualTo(Status.UP);
      assertThat(c.reason()).isEmpty();
    });

    EventBus pollOnly = buses.bus(Map.of("relaybus.postgres.poll-only", "true"));
    assertThat(pollOnly.operations().health().components()).extracting(Health.Component::name)
        .containsExactly("postgres.pool");
  }

  @Test
  @Timeout(120)
  @DisplayName("a stopped server: pool, LISTEN and leases DEGRADED first, DOWN only after the "
      + "grace period, UP again after the server is back")
  void stoppedServer() {
    EventBus bus = busWithMember();
    try (HealthWatch watch = new HealthWatch(bus)) {
      await().atMost(PATIENCE).until(() -> bus.operations().health().status() == Status.UP);
      DB.server().stop();
      List<String> names = List.of("postgres.pool", "postgres.listen", CONSUMER);
      await().atMost(PATIENCE).untilAsserted(() -> {
        for (String name : names) {
          assertThat(watch.latest(name)).as(name).isEqualTo(Status.DOWN);
        }
      });
      assertThat(bus.operations().health().status()).isEqualTo(Status.DOWN);
      for (String name : names) {
        watch.assertDegradedForTheGracePeriodBeforeDown(name);
      }
      DB.server().start();
      await().atMost(PATIENCE).untilAsserted(() -> {
        for (String name : names) {
          assertThat(watch.latest(name)).as(name).isEqualTo(Status.UP);
        }
      });
      assertThat(bus.operations().health().status()).isEqualTo(Status.UP);
    }
  }

  @Test
  @Timeout(120)
  @DisplayName("a killed LISTEN connection that cannot reconnect: LISTEN DEGRADED at once, DOWN "
      + "after the grace period, UP once it reconnects; the pool stays UP")
  void killedListenConnectionThatCannotReconnect() {
    EventBus bus = busWithMember();
    try (HealthWatch watch = new HealthWatch(bus)) {
      await().atMost(PATIENCE).until(() -> bus.operations().health().status() == Status.UP);
      // A login trigger refuses every new connection: the LISTEN connection cannot come back
      // while the pool keeps the connections it has. (pgjdbc sets application_name only after
      // login, so the trigger cannot single out the listener.)
      DB.execute("CREATE OR REPLACE FUNCTION public.refuse_logins() RETURNS event_trigger "
          + "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'logins refused by the test'; END $$");
      DB.execute("CREATE EVENT TRIGGER refuse_logins ON login "
          + "EXECUTE FUNCTION public.refuse_logins()");
      try {
        assertThatThrownBy(() -> DB.connect("health-test").close())
            .as("a new connection is refused").hasStackTraceContaining("refused by the test");
        long killed = System.nanoTime();
        assertThat(DB.server().terminateBackends("relaybus-listener")).isPositive();
        await().atMost(Duration.ofSeconds(3))
            .until(() -> watch.latest("postgres.listen") != Status.UP);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed))
            .as("DEGRADED within a couple of LISTEN waits").isLessThan(3_000);
        await().atMost(PATIENCE).until(() -> watch.latest("postgres.listen") == Status.DOWN);
        watch.assertDegradedForTheGracePeriodBeforeDown("postgres.listen");
        Health.Component listen = component(bus, "postgres.listen");
        assertThat(listen.reason()).hasValueSatisfying(r -> assertThat(r).contains("LISTEN"));
      } finally {
        withoutEventTriggers("DROP EVENT TRIGGER refuse_logins");
      }
      await().atMost(PATIENCE).until(() -> watch.latest("postgres.listen") == Status.UP);
      assertThat(watch.seen("postgres.pool")).extracting(Seen::status)
          .as("pool transitions").containsOnly(Status.UP);
    }
  }

  @Test
  @Timeout(120)
  @DisplayName("a single failure (a killed LISTEN connection that reconnects, killed pool "
      + "connections) never turns a component DOWN")
  void singleFailureNeverDown() {
    EventBus bus = busWithMember();
    try (HealthWatch watch = new HealthWatch(bus)) {
      await().atMost(PATIENCE).until(() -> bus.operations().health().status() == Status.UP);
      Instant killed = Instant.now();
      assertThat(DB.server().terminateBackends("relaybus-listener")).isPositive();
      DB.server().terminateBackends("relaybus-pool");
      // The LISTEN component went through a failure: UP again, since after the kill.
      await().atMost(PATIENCE).untilAsserted(() -> {
        Health.Component listen = component(bus, "postgres.listen");
        assertThat(listen.status()).isEqualTo(Status.UP);
        assertThat(listen.since()).isAfter(killed);
      });
      await().during(GRACE.multipliedBy(3)).atMost(PATIENCE).until(() -> watch.everSeen()
          .stream().noneMatch(s -> s.status() == Status.DOWN));
      assertThat(bus.operations().health().status()).isEqualTo(Status.UP);
    }
  }

  @Test
  @Timeout(120)
  @DisplayName("a member whose partitions another member took over is DEGRADED, naming them, "
      + "until its next heartbeat")
  void lostLeaseDegradesTheMember() {
    // A grace period longer than a heartbeat period (1 s): DEGRADED, never DOWN, in between.
    EventBus bus = buses.bus(Map.of("relaybus.postgres.lease-timeout", "3s",
        "relaybus.postgres.partitions", "2", "relaybus.health.grace-period", "5s"));
    bus.subscribe(TOPIC + "-lease", GROUP, d -> { });
    String name = "postgres.consumer." + TOPIC + "-lease." + GROUP;
    try (HealthWatch watch = new HealthWatch(bus)) {
      await().atMost(PATIENCE).until(() -> DB.queryLong("SELECT count(*) FROM relaybus.cursors "
          + "WHERE topic = '" + TOPIC + "-lease' AND owner IS NOT NULL") == 2);
      DB.execute("UPDATE relaybus.cursors SET owner = 'another-member' WHERE topic = '" + TOPIC
          + "-lease'");
      await().atMost(PATIENCE).until(() -> watch.seen(name).stream().anyMatch(s ->
          s.status() == Status.DEGRADED && s.reason().orElse("").contains("lost partition(s)")));
      await().atMost(PATIENCE).until(() -> watch.latest(name) == Status.UP);
      assertThat(watch.seen(name)).extracting(Seen::status).doesNotContain(Status.DOWN);
    }
  }

  /** Runs a statement on a connection that login triggers do not apply to. */
  private static void withoutEventTriggers(String sql) {
    try (Connection c = DriverManager.getConnection(DB.url() + "?options=-c%20event_triggers%3D"
        + "off", DB.server().user(), DB.server().password());
        Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot run " + sql, e);
    }
  }

  private static Health.Component component(EventBus bus, String name) {
    return bus.operations().health().components().stream()
        .filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  /** A component's status as the watch saw it change. */
  record Seen(String name, Status status, Optional<String> reason, Instant since) {}

  /**
   * Reads a bus's health every 20 ms (no query: the transport reports its last checks) and
   * keeps every change of a component's status.
   */
  static final class HealthWatch implements AutoCloseable {
    private final List<Seen> seen = new ArrayList<>();
    private final Map<String, Status> latest = new HashMap<>();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, "test-health-watch");
          t.setDaemon(true);
          return t;
        });

    HealthWatch(EventBus bus) {
      record(bus.operations().health());
      poller.scheduleWithFixedDelay(() -> record(bus.operations().health()), 20, 20,
          TimeUnit.MILLISECONDS);
    }

    private synchronized void record(Health health) {
      for (Health.Component c : health.components()) {
        if (latest.put(c.name(), c.status()) != c.status()) {
          seen.add(new Seen(c.name(), c.status(), c.reason(), c.since()));
        }
      }
    }

    synchronized Status latest(String name) {
      return latest.get(name);
    }

    synchronized List<Seen> seen(String name) {
      return seen.stream().filter(s -> s.name().equals(name)).toList();
    }

    synchronized List<Seen> everSeen() {
      return List.copyOf(seen);
    }

    /**
     * The component left UP for DEGRADED, with a reason, and turned DOWN no sooner than the
     * grace period after.
     */
    void assertDegradedForTheGracePeriodBeforeDown(String name) {
      List<Seen> changes = seen(name);
      int down = -1;
      for (int i = 0; i < changes.size(); i++) {
        if (changes.get(i).status() == Status.DOWN) {
          down = i;
          break;
        }
      }
      assertThat(down).as("%s went DOWN: %s", name, changes).isPositive();
      Seen degraded = changes.get(down - 1);
      assertThat(degraded.status()).as("%s before DOWN: %s", name, changes)
          .isEqualTo(Status.DEGRADED);
      assertThat(degraded.reason()).as("reason of %s", name).isPresent();
      assertThat(Duration.between(degraded.since(), changes.get(down).since()))
          .as("%s DEGRADED before DOWN", name).isGreaterThanOrEqualTo(GRACE);
    }

    @Override
    public void close() {
      poller.shutdownNow();
    }
  }
}
