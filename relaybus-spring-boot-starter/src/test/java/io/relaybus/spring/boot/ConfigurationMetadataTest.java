package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.spi.CoreKeys;
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
 * else: a key added to a transport without its metadata fails here. The core's keys carry the
 * core's own descriptions and defaults ({@link CoreKeys}), so a changed default or range fails
 * here too.
 */
class ConfigurationMetadataTest {

  /** The console's keys as the starter mounts it (base-path, host and port are not its). */
  private static final List<String> CONSOLE_KEYS = List.of("relaybus.console.path",
      "relaybus.console.user", "relaybus.console.token", "relaybus.console.anonymous",
      "relaybus.console.allowed-origins", "relaybus.console.secure-cookie");

  @Test
  void metadataListsEveryKeyOfTheCoreAndTheTransportsWithADescription() throws Exception {
    JsonNode metadata = metadata();
    Set<String> listed = new TreeSet<>();
    for (JsonNode property : metadata.get("properties")) {
      listed.add(property.get("name").asText());
      assertThat(property.path("description").asText())
          .as("description of %s", property.get("name")).isNotBlank();
    }
    Set<String> declared = new TreeSet<>(CoreKeys.names());
    for (TransportProvider p : RelaybusEnvironment.providers()) {
      declared.addAll(p.configKeys());
    }
    declared.addAll(CONSOLE_KEYS);
    assertThat(RelaybusEnvironment.providers()).extracting(TransportProvider::name)
        .contains("memory", "postgres", "kafka", "webhook");
    assertThat(listed).isEqualTo(declared);
  }

  @Test
  void theCoresKeysHaveTheCoresDescriptionsAndDefaults() throws Exception {
    Map<String, JsonNode> byName = new HashMap<>();
    for (JsonNode property : metadata().get("properties")) {
      byName.put(property.get("name").asText(), property);
    }
    for (CoreKeys.Key key : CoreKeys.all()) {
      JsonNode property = byName.get(key.name());
      // The entry the metadata should have, for copying into the file when this fails.
      String expected = "{\"name\": \"" + key.name() + "\", \"description\": \""
          + key.description() + "\", \"defaultValue\": " + key.defaultValue() + "}";
      assertThat(property).as(expected).isNotNull();
      assertThat(property.path("description").asText()).as(expected)
          .isEqualTo(key.description());
      assertThat(property.path("defaultValue").asText()).as(expected)
          .isEqualTo(key.defaultValue());
    }
  }

  @Test
  void noTwoKeysShareARelaxedForm() throws Exception {
    Map<String, String> bySquashed = new HashMap<>();
    Set<String> declared = new TreeSet<>(CoreKeys.names());
    RelaybusEnvironment.providers().forEach(p -> declared.addAll(p.configKeys()));
    for (String key : declared) {
      String squashed = key.replaceAll("[._-]", "").toLowerCase();
      assertThat(bySquashed.put(squashed, key)).as(key).isNull();
    }
  }

  private JsonNode metadata() throws Exception {
    try (InputStream in = getClass().getResourceAsStream(
        "/META-INF/spring-configuration-metadata.json")) {
      return new ObjectMapper().readTree(in);
    }
  }
}
