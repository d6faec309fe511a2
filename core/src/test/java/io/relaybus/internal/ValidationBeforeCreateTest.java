package io.relaybus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import io.relaybus.UnknownTransportException;
import io.relaybus.memory.MemoryTransportProvider;
import io.relaybus.spi.Settings;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Every configuration mistake is answered at once, all of them in one exception, before the
 * transport is created: misspelt keys and transport names with "did you mean", a misspelt
 * {@code relaybus} prefix, transport keys without {@code relaybus.transport}. The environment
 * is read leniently.
 */
class ValidationBeforeCreateTest {

  /** Far below any connect timeout: nothing may wait for a server. */
  private static final Duration AT_ONCE = Duration.ofMillis(500);

  private static ConfigurationException refused(Supplier<EventBus> creation) {
    long start = System.nanoTime();
    try (EventBus bus = creation.get()) {
      throw new AssertionError("expected a ConfigurationException, got " + bus);
    } catch (ConfigurationException e) {
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time to refuse")
          .isLessThan(AT_ONCE);
      return e;
    }
  }

  private static String firstLine(Throwable e) {
    return e.getMessage().lines().findFirst().orElseThrow();
  }

  /** A third-party transport that counts how often its creation began. */
  static final class FakeProvider implements TransportProvider {
    final AtomicInteger created = new AtomicInteger();
    private final boolean validates;

    FakeProvider(boolean validates) {
      this.validates = validates;
    }

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public Set<String> configKeys() {
      return Set.of("relaybus.fake.url");
    }

    @Override
    public void validate(Settings settings) {
      if (validates) {
        read(settings);
      }
    }

    @Override
    public Transport create(TransportContext context) {
      created.incrementAndGet(); // where a real transport would start connecting
      read(context.settings());
      return new MemoryTransportProvider().create(context);
    }

    private static void read(Settings settings) {
      Settings.Reader r = settings.reader();
      r.requiredString("relaybus.fake.url", "where the fake server listens");
      r.validate();
    }
  }

  @Nested
  @DisplayName("transport names")
  class TransportNames {
    @Test
    @DisplayName("a misspelt transport name is refused with the name it was meant to be")
    void misspeltTransportName() {
      ConfigurationException e = refused(() ->
          EventBus.create(Map.of("relaybus.transport", "postgress")));

      assertThat(e).isInstanceOf(UnknownTransportException.class);
      assertThat(firstLine(e)).isEqualTo("Invalid Relaybus configuration: "
          + "relaybus.transport='postgress' is not available (did you mean postgres?). "
          + "Transports on the classpath: memory. Add the dependency "
          + "io.relaybus:relaybus-transport-postgres to use 'postgres'.");
    }

    @Test
    @DisplayName("a swap of two letters is one edit: kafak means kafka")
    void swappedLetters() {
      assertThat(firstLine(refused(() -> EventBus.builder().transport("kafak").build())))
          .isEqualTo("Invalid Relaybus configuration: relaybus.transport='kafak' is not "
              + "available (did you mean kafka?). Transports on the classpath: memory. Add the "
              + "dependency io.relaybus:relaybus-transport-kafka to use 'kafka'.");
    }

    @Test
    @DisplayName("a misspelling of a transport on the classpath suggests it without an artifact")
    void misspeltAvailableTransport() {
      assertThat(firstLine(refused(() ->
          EventBus.create(Map.of("relaybus.transport", "memroy")))))
          .isEqualTo("Invalid Relaybus configuration: relaybus.transport='memroy' is not "
              + "available (did you mean memory?). Transports on the classpath: memory.");
    }

    @Test
    @DisplayName("a name close to none lists what Relaybus ships")
    void unrelatedName() {
      assertThat(firstLine(refused(() ->
          EventBus.create(Map.of("relaybus.transport", "rabbitmq")))))
          .isEqualTo("Invalid Relaybus configuration: relaybus.transport='rabbitmq' is not "
              + "available. Transports on the classpath: memory. Relaybus ships: kafka, memory, "
              + "postgres, webhook.");
    }
  }

  @Nested
  @DisplayName("the relaybus prefix")
  class Prefix {
    @Test
    @DisplayName("relaybs.transport in shared properties is refused, not dropped for a memory bus")
    void misspeltPrefixInProperties() {
      Properties p = new Properties();
      p.setProperty("spring.application.name", "shop");
      p.setProperty("relaybs.transport", "postgres");

      assertThat(firstLine(refused(() -> EventBus.create(p)))).isEqualTo(
          "Invalid Relaybus configuration: relaybs.transport is not a Relaybus setting: "
              + "'relaybs' is not 'relaybus' (did you mean relaybus.transport?)");
    }

    @Test
    @DisplayName("a doubled letter in the prefix of a transport key is refused")
    void doubledLetter() {
      assertThat(firstLine(refused(() -> EventBus.create(Map.of("relaybus.transport", "memory",
          "relaybuss.memory.history-limit", "10"))))).isEqualTo(
          "Invalid Relaybus configuration: relaybuss.memory.history-limit is not a Relaybus "
              + "setting: 'relaybuss' is not 'relaybus' (did you mean "
              + "relaybus.memory.history-limit?)");
    }

    @Test
    @DisplayName("an environment-style key with a misspelt prefix is refused in its own form")
    void environmentStyle() {
      assertThat(firstLine(refused(() -> EventBus.create(Map.of("RELAYBS_TRANSPORT",
          "postgres"))))).isEqualTo("Invalid Relaybus configuration: RELAYBS_TRANSPORT is not a "
          + "Relaybus setting: 'RELAYBS' is not 'RELAYBUS' (did you mean RELAYBUS_TRANSPORT?)");
    }

    @Test
    @DisplayName("keys of other tools, however many, are still ignored")
    void otherToolsIgnored() {
      Map<String, String> config = new LinkedHashMap<>();
      config.put("spring.datasource.url", "jdbc:postgresql://db/app");
      config.put("server.port", "8080");
      config.put("relay.host", "mail.example");
      config.put("relaybusx", "1");
      config.put("relaybus.transport", "memory");
      try (EventBus bus = EventBus.create(config)) {
        assertThat(bus.transportName()).isEqualTo("memory");
      }
    }
  }

  @Nested
  @DisplayName("keys of a transport without relaybus.transport")
  class TransportNotSet {
    @Test
    @DisplayName("relaybus.postgres.url alone is refused instead of starting an in-memory bus")
    void postgresUrlAlone() {
      assertThat(firstLine(refused(() -> EventBus.create(Map.of("relaybus.postgres.url",
          "jdbc:postgresql://127.0.0.1:1/x"))))).isEqualTo("Invalid Relaybus configuration: "
          + "relaybus.transport is not set but relaybus.postgres.url is: set "
          + "relaybus.transport=postgres to use the postgres transport (from "
          + "io.relaybus:relaybus-transport-postgres), or relaybus.transport=memory to keep "
          + "events in memory only");
    }

    @Test
    @DisplayName("each transport whose keys are given is named once, with its first key")
    void oneProblemPerTransport() {
      ConfigurationException e = refused(() -> EventBus.create(Map.of(
          "relaybus.kafka.bootstrap-servers", "localhost:9092",
          "relaybus.kafka.partitions", "3",
          "relaybus.webhook.endpoints.billing.url", "https://billing.example/hook")));

      assertThat(firstLine(e)).isEqualTo("Invalid Relaybus configuration (2 problems):");
      assertThat(e.problems()).extracting(p -> p.substring(0, p.indexOf(':'))).containsExactly(
          "relaybus.transport is not set but relaybus.kafka.bootstrap-servers is",
          "relaybus.transport is not set but relaybus.webhook.endpoints.billing.url is");
    }

    @Test
    @DisplayName("with relaybus.transport set, keys of other transports stay allowed")
    void explicitMemory() {
      try (EventBus bus = EventBus.create(Map.of("relaybus.transport", "memory",
          "relaybus.postgres.url", "jdbc:postgresql://127.0.0.1:1/x"))) {
        assertThat(bus.transportName()).isEqualTo("memory");
      }
    }

    @Test
    @DisplayName("memory's own keys need no relaybus.transport")
    void memoryKeys() {
      try (EventBus bus = EventBus.create(Map.of("relaybus.memory.history-limit", "10"))) {
        assertThat(bus.transportName()).isEqualTo("memory");
      }
    }
  }

  @Nested
  @DisplayName("one exception before the transport is created")
  class BeforeCreate {
    @Test
    @DisplayName("core, key-name and transport problems come together and create is not called")
    void allProblemsTogether() {
      FakeProvider fake = new FakeProvider(true);

      ConfigurationException e = refused(() -> EventBus.builder().provider(fake)
          .property("relaybus.subscriber.concurrency", "0")
          .property("relaybus.fake.ulr", "fake://x")
          .build());

      assertThat(firstLine(e)).isEqualTo("Invalid Relaybus configuration (3 problems):");
      assertThat(e.problems()).containsExactly(
          "relaybus.fake.ulr is not a setting of the fake transport (did you mean "
              + "relaybus.fake.url?); its settings are: relaybus.fake.url",
          "relaybus.subscriber.concurrency='0' is invalid: expected an integer from 1 to 1024",
          "relaybus.fake.url is required: where the fake server listens");
      assertThat(fake.created).as("create calls").hasValue(0);
    }

    @Test
    @DisplayName("a provider that does not validate is not created while the core has problems")
    void providerWithoutValidate() {
      FakeProvider fake = new FakeProvider(false);

      ConfigurationException e = refused(() -> EventBus.builder().provider(fake)
          .property("relaybus.retry.max-atempts", "3").build());

      assertThat(firstLine(e)).isEqualTo("Invalid Relaybus configuration: "
          + "relaybus.retry.max-atempts is not a Relaybus setting (did you mean "
          + "relaybus.retry.max-attempts?); see the configuration reference in the README");
      assertThat(fake.created).hasValue(0);
    }

    @Test
    @DisplayName("a provider that does not validate still refuses its settings in create")
    void createStillValidates() {
      FakeProvider fake = new FakeProvider(false);

      assertThat(firstLine(refused(() -> EventBus.builder().provider(fake).build())))
          .isEqualTo("Invalid Relaybus configuration: relaybus.fake.url is required: where the "
              + "fake server listens");
    }

    @Test
    @DisplayName("a misspelt key in another namespace is matched against every transport's keys")
    void misspeltNamespace() {
      assertThat(firstLine(refused(() -> EventBus.create(Map.of("relaybus.transport", "memory",
          "relaybus.memroy.history-limit", "10"))))).isEqualTo("Invalid Relaybus configuration: "
          + "relaybus.memroy.history-limit is not a Relaybus setting (did you mean "
          + "relaybus.memory.history-limit?); see the configuration reference in the README");
    }
  }

  @Nested
  @DisplayName("the environment")
  class Environment {

    private String stderrOf(Runnable action) {
      PrintStream original = System.err;
      ByteArrayOutputStream captured = new ByteArrayOutputStream();
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      try {
        action.run();
      } finally {
        System.setErr(original);
      }
      return captured.toString(StandardCharsets.UTF_8);
    }

    private static String warnings(String output) {
      return String.join("\n", output.lines().filter(l -> l.contains("WARN")).toList());
    }

    @Test
    @DisplayName("unknown RELAYBUS_ variables get one warning naming them, never their values")
    void unknownVariablesWarnOnce() {
      Map<String, String> env = new LinkedHashMap<>();
      env.put("RELAYBUS_TRANSPORT", "memory");
      env.put("RELAYBUS_TEST_POSTGRES_URL", "jdbc:postgresql://db/test?password=hunter2");
      env.put("RELAYBUS_MEMORY_HISTORY_LIMT", "10");
      env.put("RELAYBUS_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
      env.put("PATH", "/usr/bin");

      String output = stderrOf(() -> {
        try (EventBus bus = Buses.fromEnvironment(env)) {
          assertThat(bus.transportName()).isEqualTo("memory");
        }
      });

      assertThat(warnings(output)).endsWith("Ignoring 1 RELAYBUS_* environment variable(s) "
          + "that are not settings of the core or of the memory transport: "
          + "RELAYBUS_MEMORY_HISTORY_LIMT (did you mean RELAYBUS_MEMORY_HISTORY_LIMIT?)")
          .doesNotContain("\n");
      assertThat(output).as("the test servers' variables are known, not warned about")
          .doesNotContain("RELAYBUS_TEST_POSTGRES_URL", "hunter2", "db/test");
    }

    @Test
    @DisplayName("only variables that are settings of the core or the transport reach it")
    void transportSeesOnlyItsSettings() {
      AtomicReference<List<String>> seen = new AtomicReference<>();
      TransportProvider recording = new TransportProvider() {
        @Override
        public String name() {
          return "memory";
        }

        @Override
        public Set<String> configKeys() {
          return Set.of(MemoryTransportProvider.HISTORY_LIMIT);
        }

        @Override
        public Transport create(TransportContext context) {
          seen.set(context.settings().keys());
          return new MemoryTransportProvider().create(context);
        }
      };
      Map<String, String> env = Map.of("RELAYBUS_TRANSPORT", "memory",
          "RELAYBUS_SUBSCRIBER_CONCURRENCY", "2", "RELAYBUS_MEMORY_HISTORY_LIMIT", "5",
          "RELAYBUS_TEST_POSTGRES_URL", "x", "RELAYBUS_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");

      stderrOf(() -> Buses.create(Settings.fromEnvironment(env), recording, true, List.of()).close());

      assertThat(seen.get()).containsExactly("relaybus.memory.history.limit",
          "relaybus.subscriber.concurrency", "relaybus.transport");
    }

    @Test
    @DisplayName("without warnings when every variable is a setting")
    void noWarningWhenClean() {
      String output = stderrOf(() -> {
        try (EventBus bus = Buses.fromEnvironment(Map.of("RELAYBUS_TRANSPORT", "memory",
            "RELAYBUS_SUBSCRIBER_MAX_IN_FLIGHT", "64"))) {
          assertThat(bus.transportName()).isEqualTo("memory");
        }
      });
      assertThat(warnings(output)).isEmpty();
    }

    @Test
    @DisplayName("bad values are still refused, naming the key")
    void badValues() {
      assertThat(firstLine(refused(() -> Buses.fromEnvironment(Map.of(
          "RELAYBUS_SUBSCRIBER_CONCURRENCY", "0"))))).isEqualTo("Invalid Relaybus "
          + "configuration: relaybus.subscriber.concurrency='0' is invalid: expected an integer "
          + "from 1 to 1024");
    }

    @Test
    @DisplayName("a misspelt prefix is still refused")
    void misspeltPrefix() {
      assertThat(firstLine(refused(() -> Buses.fromEnvironment(Map.of(
          "RELAYBS_TRANSPORT", "postgres"))))).isEqualTo("Invalid Relaybus configuration: "
          + "RELAYBS_TRANSPORT is not a Relaybus setting: 'RELAYBS' is not 'RELAYBUS' (did you "
          + "mean RELAYBUS_TRANSPORT?)");
    }

    @Test
    @DisplayName("transport variables without RELAYBUS_TRANSPORT are still refused")
    void transportNotSet() {
      assertThatThrownBy(() -> Buses.fromEnvironment(Map.of("RELAYBUS_POSTGRES_URL",
          "jdbc:postgresql://127.0.0.1:1/x")))
          .isInstanceOf(ConfigurationException.class)
          .hasMessageStartingWith("Invalid Relaybus configuration: relaybus.transport is not "
              + "set but relaybus.postgres.url is: set relaybus.transport=postgres");
    }
  }
}
