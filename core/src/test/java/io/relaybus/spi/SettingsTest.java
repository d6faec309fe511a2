package io.relaybus.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.ConfigurationException;
import io.relaybus.StartPosition;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SettingsTest {

  enum Delivery { AT_LEAST_ONCE, AT_MOST_ONCE }

  private static final Duration MIN = Duration.ZERO;
  private static final Duration MAX = Duration.ofDays(7);

  private static Settings.Reader reader(String key, String value) {
    return Settings.of(Map.of(key, value)).reader();
  }

  // --- sources ---

  @Test
  void propertiesAreReadByKey() {
    Properties p = new Properties();
    p.setProperty("relaybus.transport", "memory");
    p.setProperty("relaybus.subscriber.concurrency", "4");

    Settings s = Settings.of(p);

    assertThat(s.get("relaybus.transport")).contains("memory");
    assertThat(s.get("relaybus.subscriber.concurrency")).contains("4");
    assertThat(s.get("relaybus.subscriber.group")).isEmpty();
  }

  @Test
  void mapValuesAreConvertedToTrimmedStringsAndNullValuesSkipped() {
    Map<String, Object> map = new HashMap<>();
    map.put("relaybus.subscriber.concurrency", 8);
    map.put("relaybus.subscriber.dead-letters", Boolean.FALSE);
    map.put("relaybus.transport", "  memory \n");
    map.put("relaybus.subscriber.group", null);

    Settings s = Settings.of(map);

    assertThat(s.get("relaybus.subscriber.concurrency")).contains("8");
    assertThat(s.get("relaybus.subscriber.dead-letters")).contains("false");
    assertThat(s.get("relaybus.transport")).contains("memory");
    assertThat(s.get("relaybus.subscriber.group")).isEmpty();
    assertThat(s.keys()).doesNotContain("relaybus.subscriber.group");
  }

  @Test
  void keysOutsideTheRelaybusNamespaceAreIgnored() {
    Properties p = new Properties();
    p.setProperty("spring.datasource.password", "hunter2");
    p.setProperty("relaybusx.transport", "kafka");
    p.setProperty("java.home", "/usr/lib/jvm");
    p.setProperty("relaybus.transport", "memory");

    Settings s = Settings.of(p);

    assertThat(s.keys()).containsExactly("relaybus.transport");
    assertThat(s.get("spring.datasource.password")).isEmpty();
    assertThat(s.toString()).doesNotContain("hunter2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"relaybs.transport", "relaybuss.postgres.url", "realybus.transport",
      "RELAYBS_TRANSPORT", "relaybu.retry.jitter", "Relaybsu.kafka.bootstrap-servers"})
  void nearMissesOfThePrefixAreListedButNotKept(String key) {
    Settings s = Settings.of(Map.of(key, "x", "spring.application.name", "shop"));

    assertThat(s.keys()).isEmpty();
    assertThat(s.nearMissKeys()).containsExactly(key);
    assertThat(s.toString()).doesNotContain("x}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"relay.host", "relaybusx", "relaybus", "rabbitmq.host", "RELAY_HOST",
      "relays", "bus.relaybus.x"})
  void otherKeysAreNotNearMisses(String key) {
    assertThat(Settings.of(Map.of(key, "x")).nearMissKeys()).isEmpty();
  }

  @Test
  void nearMissesFromTheEnvironmentKeepTheirName() {
    Settings s = Settings.fromEnvironment(Map.of("RELAYBS_TRANSPORT", "postgres",
        "RELAY_HOST", "mail", "RELAYBUS_TRANSPORT", "memory"));

    assertThat(s.nearMissKeys()).containsExactly("RELAYBS_TRANSPORT");
    assertThat(s.keys()).containsExactly("relaybus.transport");
  }

  @ParameterizedTest
  @CsvSource({
      "postgress, postgres",
      "kafak, kafka",
      "memroy, memory",
      "relaybus.postgres.pasword, relaybus.postgres.password",
      "RELAYBUS_POSTGRES_PASWORD, relaybus.postgres.password",
      "lingr.ms, linger.ms"})
  void closestFindsWhatAMisspellingMeant(String given, String meant) {
    assertThat(Settings.closest(given, List.of("postgres", "kafka", "memory", "webhook",
        "relaybus.postgres.password", "relaybus.postgres.url", "linger.ms", "acks")))
        .contains(meant);
  }

  @ParameterizedTest
  @ValueSource(strings = {"rabbitmq", "akcs2", "relaybus.something.else", "kafka"})
  void closestSuggestsNothingFarOrIdentical(String given) {
    assertThat(Settings.closest(given, List.of("postgres", "kafka", "memory", "acks",
        "relaybus.retry.max-attempts"))).isEmpty();
  }

  @Test
  void environmentVariableMatchesTheDottedKey() {
    Settings s = Settings.fromEnvironment(Map.of(
        "RELAYBUS_SUBSCRIBER_MAX_IN_FLIGHT", "128",
        "RELAYBUS_POSTGRES_URL", "jdbc:postgresql://db/app",
        "PATH", "/usr/bin",
        "HOME", "/root"));

    assertThat(s.get("relaybus.subscriber.max-in-flight")).contains("128");
    assertThat(s.get("relaybus.postgres.url")).contains("jdbc:postgresql://db/app");
    assertThat(s.keys()).hasSize(2)
        .allSatisfy(k -> assertThat(k).startsWith("relaybus.").isLowerCase());
  }

  @Test
  void lookupIgnoresTheKeyForm() {
    Settings s = Settings.of(Map.of("relaybus.subscriber.max-in-flight", "128"));

    assertThat(s.get("RELAYBUS_SUBSCRIBER_MAX_IN_FLIGHT")).contains("128");
    assertThat(s.get("relaybus.subscriber.max_in_flight")).contains("128");
    assertThat(Settings.normalise("relaybus.subscriber.max-in-flight"))
        .isEqualTo("RELAYBUS_SUBSCRIBER_MAX_IN_FLIGHT");
  }

  @Test
  void overridingSettingsWinForTheSameKeyInAnyForm() {
    Settings file = Settings.of(Map.of("relaybus.subscriber.max-in-flight", "10",
        "relaybus.transport", "memory"));
    Settings env = Settings.fromEnvironment(Map.of("RELAYBUS_SUBSCRIBER_MAX_IN_FLIGHT", "20"));

    Settings merged = file.overriddenBy(env);

    assertThat(merged.get("relaybus.subscriber.max-in-flight")).contains("20");
    assertThat(merged.get("relaybus.transport")).contains("memory");
    assertThat(merged.keys()).hasSize(2);
    assertThat(file.get("relaybus.subscriber.max-in-flight")).contains("10");
  }

  // --- reader: collecting problems ---

  @Test
  void readerReturnsDefaultsForAbsentKeysWithoutProblems() {
    Settings.Reader r = Settings.of(Map.of()).reader();

    assertThat(r.string("relaybus.a", "x")).isEqualTo("x");
    assertThat(r.integer("relaybus.b", 7, 1, 10)).isEqualTo(7);
    assertThat(r.decimal("relaybus.c", 0.5, 0, 1)).isEqualTo(0.5);
    assertThat(r.bool("relaybus.d", true)).isTrue();
    assertThat(r.duration("relaybus.e", Duration.ofSeconds(3), MIN, MAX))
        .isEqualTo(Duration.ofSeconds(3));
    assertThat(r.enumValue("relaybus.f", StartPosition.class, StartPosition.LATEST))
        .isEqualTo(StartPosition.LATEST);
    assertThat(r.problems()).isEmpty();
    assertThatCode(r::validate).doesNotThrowAnyException();
  }

  @Test
  void readerCollectsEveryProblemAndReportsThemAllAtOnce() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.subscriber.concurrency", "0");
    config.put("relaybus.retry.jitter", "2");
    config.put("relaybus.subscriber.close-timeout", "soon");
    config.put("relaybus.subscriber.dead-letters", "yes");
    config.put("relaybus.subscriber.start-position", "middle");
    Settings.Reader r = Settings.of(config).reader();

    int concurrency = r.integer("relaybus.subscriber.concurrency", 1, 1, 1024);
    double jitter = r.decimal("relaybus.retry.jitter", 0.2, 0.0, 1.0);
    Duration timeout = r.duration("relaybus.subscriber.close-timeout", Duration.ofSeconds(30),
        MIN, MAX);
    boolean deadLetters = r.bool("relaybus.subscriber.dead-letters", true);
    StartPosition start = r.enumValue("relaybus.subscriber.start-position",
        StartPosition.class, StartPosition.EARLIEST);
    String url = r.requiredString("relaybus.postgres.url", "the JDBC URL of the database");

    // Reading goes on with the defaults after each problem.
    assertThat(concurrency).isEqualTo(1);
    assertThat(jitter).isEqualTo(0.2);
    assertThat(timeout).isEqualTo(Duration.ofSeconds(30));
    assertThat(deadLetters).isTrue();
    assertThat(start).isEqualTo(StartPosition.EARLIEST);
    assertThat(url).isNull();

    assertThatThrownBy(r::validate)
        .isInstanceOfSatisfying(ConfigurationException.class, e -> {
          List<String> problems = e.problems();
          assertThat(problems).hasSize(6);
          assertThat(problems.get(0)).startsWith("relaybus.subscriber.concurrency='0'")
              .contains("from 1 to 1024");
          assertThat(problems.get(1)).startsWith("relaybus.retry.jitter='2'")
              .contains("from 0.0 to 1.0");
          assertThat(problems.get(2)).startsWith("relaybus.subscriber.close-timeout='soon'")
              .contains("250ms");
          assertThat(problems.get(3)).startsWith("relaybus.subscriber.dead-letters='yes'")
              .contains("true or false");
          assertThat(problems.get(4)).startsWith("relaybus.subscriber.start-position='middle'")
              .contains("earliest, latest");
          assertThat(problems.get(5)).startsWith("relaybus.postgres.url is required")
              .contains("the JDBC URL of the database");
          assertThat(e.getMessage()).contains("6 problems");
          problems.forEach(p -> assertThat(e.getMessage()).contains(p));
        });
  }

  @Test
  void callerProblemsAreCollectedWithTheOthers() {
    Settings.Reader r = reader("relaybus.retry.multiplier", "0.5");
    r.decimal("relaybus.retry.multiplier", 2.0, 1.0, 100.0);
    r.problem("relaybus.retry.max-delay=PT1S is invalid: it must be at least the initial delay");

    assertThat(r.problems()).hasSize(2);
    assertThatThrownBy(() -> r.problems().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(r::validate).isInstanceOfSatisfying(ConfigurationException.class,
        e -> assertThat(e.problems()).hasSize(2));
  }

  // --- typed values ---

  @ParameterizedTest
  @CsvSource({"5, 5", "1_000, 1000", "+7, 7", "10, 10", "1, 1"})
  void integersWithinRangeAreAccepted(String raw, int expected) {
    Settings.Reader r = reader("relaybus.n", raw);

    assertThat(r.integer("relaybus.n", -1, 1, 1000)).isEqualTo(expected);
    assertThat(r.problems()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "1001", "abc", "1.5", "", "99999999999"})
  void integersOutOfRangeOrMalformedAreProblems(String raw) {
    Settings.Reader r = reader("relaybus.n", raw);

    assertThat(r.integer("relaybus.n", 42, 1, 1000)).isEqualTo(42);
    assertThat(r.problems()).singleElement().asString()
        .isEqualTo("relaybus.n='" + raw + "' is invalid: expected an integer from 1 to 1000");
  }

  @ParameterizedTest
  @ValueSource(strings = {"NaN", "Infinity", "-0.1", "1.1", "lots"})
  void decimalsOutOfRangeOrMalformedAreProblems(String raw) {
    Settings.Reader r = reader("relaybus.retry.jitter", raw);

    assertThat(r.decimal("relaybus.retry.jitter", 0.2, 0.0, 1.0)).isEqualTo(0.2);
    assertThat(r.problems()).singleElement().asString().startsWith("relaybus.retry.jitter=");
  }

  @ParameterizedTest
  @CsvSource({"true, true", "FALSE, false", "True, true"})
  void booleansAreCaseInsensitive(String raw, boolean expected) {
    Settings.Reader r = reader("relaybus.flag", raw);

    assertThat(r.bool("relaybus.flag", !expected)).isEqualTo(expected);
    assertThat(r.problems()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
      "250ms, PT0.25S",
      "5s, PT5S",
      "2m, PT2M",
      "1h, PT1H",
      "1d, PT24H",
      "PT5S, PT5S",
      "pt1m30s, PT1M30S",
      "P1D, PT24H",
      "5S, PT5S",
      "'10 s', PT10S",
      "0ms, PT0S"})
  void durationsAcceptUnitSuffixesAndIso8601(String raw, String expected) {
    Settings.Reader r = reader("relaybus.d", raw);

    assertThat(r.duration("relaybus.d", Duration.ofHours(5), MIN, MAX))
        .isEqualTo(Duration.parse(expected));
    assertThat(r.problems()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"5", "five seconds", "5sec", "5 minutes", "-5s", "PT-5S", "1.5s",
      "P", "", "99999999999999999999999s", "9999999999999999d", "8d"})
  void malformedOrOutOfRangeDurationsAreProblemsNamingTheKey(String raw) {
    Settings.Reader r = reader("relaybus.subscriber.close-timeout", raw);

    Duration d = r.duration("relaybus.subscriber.close-timeout", Duration.ofSeconds(30), MIN,
        MAX);

    assertThat(d).isEqualTo(Duration.ofSeconds(30));
    assertThat(r.problems()).singleElement().asString()
        .startsWith("relaybus.subscriber.close-timeout='" + raw + "' is invalid")
        .contains("250ms, 5s, 2m, 1h or PT5S");
  }

  @ParameterizedTest
  @CsvSource({"latest, LATEST", "LATEST, LATEST", "Earliest, EARLIEST"})
  void enumsAreCaseInsensitive(String raw, StartPosition expected) {
    Settings.Reader r = reader("relaybus.subscriber.start-position", raw);

    assertThat(r.enumValue("relaybus.subscriber.start-position", StartPosition.class, null))
        .isEqualTo(expected);
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void enumsAcceptDashesForUnderscores() {
    Settings.Reader r = reader("relaybus.mode", "at-least-once");

    assertThat(r.enumValue("relaybus.mode", Delivery.class, Delivery.AT_MOST_ONCE))
        .isEqualTo(Delivery.AT_LEAST_ONCE);
  }

  @Test
  void unknownEnumValueIsAProblemListingTheAllowedValues() {
    Settings.Reader r = reader("relaybus.mode", "exactly-once");

    assertThat(r.enumValue("relaybus.mode", Delivery.class, Delivery.AT_MOST_ONCE))
        .isEqualTo(Delivery.AT_MOST_ONCE);
    assertThat(r.problems()).singleElement().asString()
        .isEqualTo("relaybus.mode='exactly-once' is invalid: expected one of at_least_once, "
            + "at_most_once");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   "})
  void blankRequiredStringIsAProblem(String raw) {
    Settings.Reader r = reader("relaybus.postgres.url", raw);

    assertThat(r.requiredString("relaybus.postgres.url", "the JDBC URL")).isNull();
    assertThat(r.problems()).containsExactly("relaybus.postgres.url is required: the JDBC URL");
  }

  // --- secrets ---

  @ParameterizedTest
  @ValueSource(strings = {"relaybus.postgres.password", "relaybus.webhook.signing-secret",
      "relaybus.http.token", "relaybus.kafka.sasl.jaas-config", "relaybus.x.credentials",
      "relaybus.registry.apikey", "relaybus.registry.api-key", "relaybus.x.auth-header",
      "RELAYBUS_POSTGRES_PASSWORD", "relaybus.kafka.client.ssl.keystore.key",
      "relaybus.kafka.producer.ssl.key.password", "relaybus.x.private-key"})
  void keysNamingSecretsAreSecret(String key) {
    assertThat(Settings.isSecret(key)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"relaybus.postgres.url", "relaybus.subscriber.max-in-flight",
      "relaybus.transport", "relaybus.memory.history-limit",
      "relaybus.kafka.client.ssl.keystore.location", "relaybus.kafka.producer.key.serializer"})
  void ordinaryKeysAreNotSecret(String key) {
    assertThat(Settings.isSecret(key)).isFalse();
  }

  @Test
  void toStringMasksSecretValuesAndShowsTheRest() {
    Settings s = Settings.of(Map.of(
        "relaybus.postgres.password", "hunter2",
        "relaybus.webhook.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "relaybus.registry.token", "tok-123",
        "relaybus.postgres.url", "jdbc:postgresql://db/app"));

    String shown = s.toString();

    assertThat(shown)
        .doesNotContain("hunter2", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "tok-123")
        .contains("relaybus.postgres.password=****", "relaybus.webhook.secret=****",
            "relaybus.registry.token=****", "relaybus.postgres.url=jdbc:postgresql://db/app");
  }

  @Test
  void toStringMasksSecretsFromTheEnvironment() {
    Settings s = Settings.fromEnvironment(Map.of(
        "RELAYBUS_POSTGRES_PASSWORD", "hunter2",
        "RELAYBUS_WEBHOOK_SECRET", "whsec_abc"));

    assertThat(s.toString()).doesNotContain("hunter2", "whsec_abc").contains("****");
  }

  /**
   * Regression: API keys given as environment variables ({@code RELAYBUS_REGISTRY_API_KEY}) or
   * with an underscore ({@code relaybus.registry.api_key}) were printed in clear by
   * {@code toString()}: the secret pattern only knew {@code apikey} and {@code api-key}.
   */
  @Test
  void toStringMasksApiKeysInEveryKeyForm() {
    Settings fromEnv = Settings.fromEnvironment(Map.of("RELAYBUS_REGISTRY_API_KEY", "ak-env"));
    Settings fromMap = Settings.of(Map.of("relaybus.registry.api_key", "ak-map"));

    SoftAssertions.assertSoftly(softly -> {
      softly.assertThat(fromEnv.toString()).doesNotContain("ak-env");
      softly.assertThat(fromMap.toString()).doesNotContain("ak-map");
    });
  }

  @Test
  void errorMessagesMaskSecretValues() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.postgres.password", "hunter2");
    config.put("relaybus.webhook.secret", "whsec_abc");
    config.put("relaybus.registry.token", "tok-123");
    Settings.Reader r = Settings.of(config).reader();

    r.integer("relaybus.postgres.password", 0, 0, 10);
    r.duration("relaybus.webhook.secret", Duration.ZERO, MIN, MAX);
    r.enumValue("relaybus.registry.token", StartPosition.class, StartPosition.EARLIEST);

    assertThatThrownBy(r::validate)
        .isInstanceOfSatisfying(ConfigurationException.class, e -> {
          assertThat(e.problems()).hasSize(3);
          assertThat(e.getMessage()).doesNotContain("hunter2", "whsec_abc", "tok-123")
              .contains("relaybus.postgres.password='****'", "relaybus.webhook.secret='****'",
                  "relaybus.registry.token='****'");
        });
  }

  // --- ConfigurationException shape ---

  @Test
  void singleProblemIsTheWholeMessage() {
    ConfigurationException e = new ConfigurationException("relaybus.x=1 is invalid");

    assertThat(e.getMessage()).isEqualTo("Invalid Relaybus configuration: relaybus.x=1 is invalid");
    assertThat(e.problems()).containsExactly("relaybus.x=1 is invalid");
  }
}
