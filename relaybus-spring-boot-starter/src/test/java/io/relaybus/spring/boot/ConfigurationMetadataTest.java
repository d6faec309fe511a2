package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.spi.TransportProvider;
import io.relaybus.spring.boot.internal.RelaybusEnvironment;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The configuration metadata IDEs complete from lists every key of the core and of the shipped
 * transports and the console's keys the starter reads, each with a description, and nothing
 * else: a key added to a transport without its metadata fails here.
 */
class ConfigurationMetadataTest {

  /** The console's keys as the starter mounts it (base-path, host and port are not its). */
  private static final List<String> CONSOLE_KEYS = List.of("relaybus.console.path",
      "relaybus.console.user", "relaybus.console.token", "relaybus.console.anonymous",
      "relaybus.console.allowed-origins", "relaybus.console.secure-cookie");

  @Test
  void metadataListsEveryKeyOfTheCoreAndTheTransportsWithADescription() throws Exception {
    JsonNode metadata;
    try (InputStream in = getClass().getResourceAsStream(
        "/META-INF/spring-configuration-metadata.json")) {
      metadata = new ObjectMapper().readTree(in);
    }
    Set<String> listed = new TreeSet<>();
    for (JsonNode property : metadata.get("properties")) {
      listed.add(property.get("name").asText());
      assertThat(property.path("description").asText())
          .as("description of %s", property.get("name")).isNotBlank();
    }
    Set<String> declared = new TreeSet<>(coreKeys());
    for (TransportProvider p : RelaybusEnvironment.providers()) {
      declared.addAll(p.configKeys());
    }
    declared.addAll(CONSOLE_KEYS);
    assertThat(RelaybusEnvironment.providers()).extracting(TransportProvider::name)
        .contains("memory", "postgres", "kafka", "webhook");
    assertThat(listed).isEqualTo(declared);
  }

  /** The core's own list; its package is not exported, and tests run on the class path. */
  @SuppressWarnings("unchecked")
  private static List<String> coreKeys() throws ReflectiveOperationException {
    return (List<String>) Class.forName("io.relaybus.internal.Buses").getField("CORE_KEYS")
        .get(null);
  }

  @Test
  void theStarterKnowsTheKeysTheCoreReads() throws Exception {
    assertThat(RelaybusEnvironment.CORE_KEYS).containsExactlyInAnyOrderElementsOf(coreKeys());
  }

  @Test
  void noTwoKeysShareARelaxedForm() throws Exception {
    Map<String, String> bySquashed = new HashMap<>();
    Set<String> declared = new TreeSet<>(coreKeys());
    RelaybusEnvironment.providers().forEach(p -> declared.addAll(p.configKeys()));
    for (String key : declared) {
      String squashed = key.replaceAll("[._-]", "").toLowerCase();
      assertThat(bySquashed.put(squashed, key)).as(key).isNull();
    }
  }
}
