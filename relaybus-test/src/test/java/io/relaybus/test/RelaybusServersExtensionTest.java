package io.relaybus.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.relaybus.EventBus;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * {@link WithRelaybusServers} injects the shared servers into a test's parameters, and stops
 * them when the test run is over: tests run here by JUnit's engine test kit, as a run of their
 * own.
 */
class RelaybusServersExtensionTest {
  static final Map<String, Object> SEEN = new ConcurrentHashMap<>();

  @Test
  void injectsTheServersAndStopsThemWhenTheRunEnds() {
    Events tests = EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(AnApplicationTest.class))
        .execute().testEvents();

    tests.assertStatistics(stats -> stats.started(2).succeeded(2));
    PostgresServer injected = (PostgresServer) SEEN.get("postgres");
    assertThat(SEEN.get("constructor")).isSameAs(injected);
    assertThat(SEEN.get("kafka")).isInstanceOf(KafkaServer.class);
    assertThatThrownBy(() -> DriverManager.getConnection(injected.jdbcUrl(), injected.user(),
        injected.password()).close())
        .as("the run's PostgreSQL is stopped after the run")
        .isInstanceOf(SQLException.class);
    assertThat(RelaybusServers.postgres()).as("the next use starts a new one")
        .isNotSameAs(injected);
  }

  @Test
  void aParameterOfAnotherTypeIsLeftToOtherResolvers() {
    Events tests = EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(AnUnresolvableParameter.class))
        .execute().testEvents();

    tests.assertStatistics(stats -> stats.failed(1));
    assertThat(tests.failed().stream().findFirst().orElseThrow().getPayload(
        org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable()
        .orElseThrow()).hasMessageContaining("No ParameterResolver registered for parameter"
            + " [java.lang.String");
  }

  /** What an application's test looks like; run only through the test kit above. */
  @WithRelaybusServers
  static class AnApplicationTest {
    AnApplicationTest(PostgresServer postgres) {
      SEEN.put("constructor", postgres);
    }

    @Test
    void publishesOnPostgres(PostgresServer postgres) throws Exception {
      SEEN.put("postgres", postgres);
      try (EventBus bus = EventBus.create(postgres.relaybusProperties())) {
        BusRoundTrip.publishAndConsume(bus, BusRoundTrip.topic("injected"));
      }
    }

    @Test
    void getsKafka(KafkaServer kafka) {
      SEEN.put("kafka", kafka);
    }
  }

  @WithRelaybusServers
  static class AnUnresolvableParameter {
    @Test
    void wantsAString(String notAServer) {}
  }
}
