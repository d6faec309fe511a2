package io.relaybus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.Capability;
import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.UnknownTransportException;
import io.relaybus.memory.MemoryTransportProvider;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Creating a bus: transport discovery and startup validation of every key. */
class BusesTest {

  private static ConfigurationException creationFailure(Map<String, ?> config) {
    try (EventBus bus = EventBus.create(config)) {
      throw new AssertionError("expected a ConfigurationException, got " + bus);
    } catch (ConfigurationException e) {
      return e;
    }
  }

  // --- transport selection ---

  @Test
  void defaultTransportIsMemory() {
    try (EventBus fromMap = EventBus.create(Map.of());
        EventBus fromProperties = EventBus.create(new Properties());
        EventBus fromBuilder = EventBus.builder().build()) {
      assertThat(fromMap.transportName()).isEqualTo("memory");
      assertThat(fromProperties.transportName()).isEqualTo("memory");
      assertThat(fromBuilder.transportName()).isEqualTo("memory");
      assertThat(fromMap.capabilities().has(Capability.DEAD_LETTERS)).isTrue();
      assertThat(fromMap.isClosed()).isFalse();
    }
  }

  @Test
  void transportNameIsCaseInsensitiveAndTrimmed() {
    try (EventBus bus = EventBus.create(Map.of("relaybus.transport", " Memory "))) {
      assertThat(bus.transportName()).isEqualTo("memory");
    }
  }

  @Test
  void unknownTransportIsRefusedListingTheTransportsOnTheClasspath() {
    assertThatThrownBy(() -> EventBus.create(Map.of("relaybus.transport", "kafak")))
        .isInstanceOf(UnknownTransportException.class)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.transport='kafak'")
        .hasMessageContaining("Transports on the classpath: memory");
  }

  @Test
  void unknownTransportFromTheBuilderIsRefusedTheSameWay() {
    assertThatThrownBy(() -> EventBus.builder().transport("kafak").build())
        .isInstanceOf(UnknownTransportException.class)
        .hasMessageContaining("'kafak'")
        .hasMessageContaining("memory");
  }

  @ParameterizedTest
  @CsvSource({
      "kafka, io.relaybus:relaybus-transport-kafka",
      "postgres, io.relaybus:relaybus-transport-postgres",
      "webhook, io.relaybus:relaybus-transport-webhook"})
  void knownTransportMissingFromTheClasspathNamesTheArtifactToAdd(String transport,
      String artifact) {
    assertThatThrownBy(() -> EventBus.create(Map.of("relaybus.transport", transport)))
        .isInstanceOf(UnknownTransportException.class)
        .hasMessageContaining("relaybus.transport='" + transport + "'")
        .hasMessageContaining("Add the dependency " + artifact)
        .hasMessageContaining("memory");
  }

  @Test
  void explicitProviderIsUsedUnderItsOwnName() {
    TransportProvider renamed = new TransportProvider() {
      private final MemoryTransportProvider memory = new MemoryTransportProvider();

      @Override
      public String name() {
        return "inproc";
      }

      @Override
      public Set<String> configKeys() {
        return Set.of();
      }

      @Override
      public Transport create(TransportContext context) {
        return memory.create(context);
      }
    };

    try (EventBus bus = EventBus.builder().provider(renamed).build()) {
      assertThat(bus.transportName()).isEqualTo("inproc");
    }
  }

  // --- validation at startup ---

  @Test
  void everyInvalidValueIsReportedInOneException() {
    ConfigurationException e = creationFailure(Map.of(
        "relaybus.subscriber.concurrency", "0",
        "relaybus.retry.jitter", "2"));

    assertThat(e).isNotInstanceOf(UnknownTransportException.class);
    assertThat(e.problems()).hasSize(2);
    assertThat(e.problems()).anySatisfy(p -> assertThat(p)
        .startsWith("relaybus.subscriber.concurrency='0' is invalid"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p)
        .startsWith("relaybus.retry.jitter='2' is invalid"));
    assertThat(e.getMessage()).contains("relaybus.subscriber.concurrency",
        "relaybus.retry.jitter");
  }

  @Test
  void transportProblemsAreReportedTogetherWithCoreProblems() {
    ConfigurationException e = creationFailure(Map.of(
        "relaybus.memory.history-limit", "-1",
        "relaybus.subscriber.concurrency", "0"));

    assertThat(e.problems()).hasSize(2);
    assertThat(e.getMessage()).contains("relaybus.memory.history-limit",
        "relaybus.subscriber.concurrency");
  }

  @Test
  void misspelledCoreKeyIsRefusedWithASuggestion() {
    ConfigurationException e = creationFailure(Map.of("relaybus.retry.max-atempts", "3"));

    assertThat(e.problems()).singleElement().asString()
        .startsWith("relaybus.retry.max-atempts is not a Relaybus setting")
        .contains("did you mean relaybus.retry.max-attempts?");
  }

  @Test
  void unknownKeyWithoutANearMatchIsRefusedWithoutASuggestion() {
    ConfigurationException e = creationFailure(Map.of("relaybus.something.else", "1"));

    assertThat(e.problems()).singleElement().asString()
        .startsWith("relaybus.something.else is not a Relaybus setting")
        .doesNotContain("did you mean");
  }

  @Test
  void unknownKeyOfTheSelectedTransportIsRefusedListingItsSettings() {
    ConfigurationException e = creationFailure(Map.of("relaybus.memory.foo", "1"));

    assertThat(e.problems()).singleElement().asString()
        .startsWith("relaybus.memory.foo is not a setting of the memory transport")
        .contains("relaybus.memory.history-limit");
  }

  @Test
  void misspelledTransportKeyGetsASuggestion() {
    ConfigurationException e = creationFailure(Map.of("relaybus.memory.history-limt", "5"));

    assertThat(e.getMessage()).contains("did you mean relaybus.memory.history-limit?");
  }

  @Test
  void keysOfOtherTransportsAreIgnored() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.transport", "memory");
    config.put("relaybus.kafka.bootstrap-servers", "localhost:9092");
    config.put("relaybus.postgres.url", "jdbc:postgresql://localhost/app");
    config.put("relaybus.webhook.endpoints.billing.url", "https://billing.example/hook");

    try (EventBus bus = EventBus.create(config)) {
      assertThat(bus.transportName()).isEqualTo("memory");
    }
  }

  @Test
  void keysOutsideTheRelaybusNamespaceAreIgnored() {
    Properties p = new Properties();
    p.setProperty("spring.application.name", "shop");
    p.setProperty("relaybusx", "1");
    p.setProperty("relaybus.transport", "memory");

    try (EventBus bus = EventBus.create(p)) {
      assertThat(bus.transportName()).isEqualTo("memory");
    }
  }

  @Test
  void negativeHistoryLimitIsRefusedNamingTheKey() {
    ConfigurationException e = creationFailure(Map.of("relaybus.memory.history-limit", "-1"));

    assertThat(e.problems()).singleElement().asString()
        .startsWith("relaybus.memory.history-limit='-1' is invalid");
  }

  @Test
  void maxInFlightBelowConcurrencyIsRefusedNamingBothKeys() {
    ConfigurationException e = creationFailure(Map.of(
        "relaybus.subscriber.concurrency", "8",
        "relaybus.subscriber.max-in-flight", "4"));

    assertThat(e.problems()).singleElement().asString()
        .contains("relaybus.subscriber.max-in-flight", "relaybus.subscriber.concurrency");
  }

  @Test
  void maxDelayBelowInitialDelayIsRefusedNamingBothKeys() {
    ConfigurationException e = creationFailure(Map.of(
        "relaybus.retry.initial-delay", "10s",
        "relaybus.retry.max-delay", "1s"));

    assertThat(e.problems()).singleElement().asString()
        .contains("relaybus.retry.max-delay", "relaybus.retry.initial-delay");
  }

  @Test
  void invalidConfiguredGroupIsRefusedNamingTheKey() {
    ConfigurationException e = creationFailure(Map.of(
        "relaybus.subscriber.group", "billing; DROP TABLE events"));

    assertThat(e.problems()).singleElement().asString()
        .startsWith("relaybus.subscriber.group=");
  }

  @Test
  void secretValuesAreNotEchoedInErrors() {
    ConfigurationException e = creationFailure(Map.of(
        "relaybus.memory.password", "hunter2",
        "relaybus.retry.token", "tok-123"));

    assertThat(e.problems()).hasSize(2);
    assertThat(e.getMessage()).doesNotContain("hunter2", "tok-123");
  }

  @Test
  void environmentStyleKeysAreValidatedLikeDottedOnes() {
    ConfigurationException e = creationFailure(Map.of(
        "RELAYBUS_SUBSCRIBER_CONCURRENCY", "0"));

    assertThat(e.problems()).singleElement().asString()
        .startsWith("relaybus.subscriber.concurrency='0'");
  }

  // --- subscription defaults from configuration ---

  @Test
  void configuredSubscriberAndRetryKeysBecomeTheSubscriptionDefaults() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.subscriber.group", "billing");
    config.put("relaybus.subscriber.start-position", "latest");
    config.put("relaybus.subscriber.concurrency", "4");
    config.put("relaybus.subscriber.max-in-flight", "16");
    config.put("relaybus.subscriber.dead-letters", "false");
    config.put("relaybus.subscriber.close-timeout", "5s");
    config.put("relaybus.retry.max-attempts", "7");
    config.put("relaybus.retry.initial-delay", "100ms");
    config.put("relaybus.retry.max-delay", "2m");
    config.put("relaybus.retry.multiplier", "3");
    config.put("relaybus.retry.jitter", "0");

    try (EventBus bus = EventBus.create(config);
        Subscription s = bus.subscribe("orders", SubscribeOptions.builder().build(), d -> { })) {
      SubscribeOptions o = s.options();
      assertThat(s.group()).isEqualTo("billing");
      assertThat(o.startPosition()).isEqualTo(StartPosition.LATEST);
      assertThat(o.concurrency()).isEqualTo(4);
      assertThat(o.maxInFlight()).isEqualTo(16);
      assertThat(o.deadLetters()).isFalse();
      assertThat(o.closeTimeout()).isEqualTo(Duration.ofSeconds(5));
      RetryPolicy r = o.retryPolicy();
      assertThat(r.maxAttempts()).isEqualTo(7);
      assertThat(r.initialDelay()).isEqualTo(Duration.ofMillis(100));
      assertThat(r.maxDelay()).isEqualTo(Duration.ofMinutes(2));
      assertThat(r.multiplier()).isEqualTo(3.0);
      assertThat(r.jitter()).isZero();
    }
  }

  @Test
  void unconfiguredSubscriptionDefaultsAreTheLibraryDefaults() {
    try (EventBus bus = EventBus.create(Map.of());
        Subscription s = bus.subscribe("orders", SubscribeOptions.builder().build(), d -> { })) {
      SubscribeOptions o = s.options();
      SubscribeOptions lib = SubscribeOptions.libraryDefaults();
      assertThat(o.group()).isEqualTo(lib.group());
      assertThat(o.startPosition()).isEqualTo(lib.startPosition());
      assertThat(o.concurrency()).isEqualTo(lib.concurrency());
      assertThat(o.maxInFlight()).isEqualTo(lib.maxInFlight());
      assertThat(o.deadLetters()).isEqualTo(lib.deadLetters());
      assertThat(o.closeTimeout()).isEqualTo(lib.closeTimeout());
      assertThat(o.retryPolicy().maxAttempts()).isEqualTo(lib.retryPolicy().maxAttempts());
      assertThat(o.retryPolicy().jitter()).isEqualTo(lib.retryPolicy().jitter());
    }
  }

  @Test
  void configuredConcurrencyRaisesTheDefaultMaxInFlight() {
    try (EventBus bus = EventBus.create(Map.of("relaybus.subscriber.concurrency", "100"));
        Subscription s = bus.subscribe("orders", "g", d -> { })) {
      assertThat(s.options().concurrency()).isEqualTo(100);
      assertThat(s.options().maxInFlight()).isEqualTo(100);
    }
  }
}
