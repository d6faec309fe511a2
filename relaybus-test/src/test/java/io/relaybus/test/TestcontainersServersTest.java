package io.relaybus.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.EventBus;
import io.relaybus.kafka.KafkaTransport;
import io.relaybus.kafka.schema.Schema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * With {@code relaybus.test.servers=testcontainers} the servers run in Docker, and a bus
 * publishes and consumes through each. Runs only where a Docker engine answers.
 */
@EnabledIf("io.relaybus.test.RelaybusServers#dockerAvailable")
class TestcontainersServersTest {

  @BeforeAll
  static void useContainers() {
    RelaybusServers.stopAll();
    System.setProperty(RelaybusServers.SERVERS_PROPERTY, "testcontainers");
  }

  @AfterAll
  static void backToEmbedded() {
    RelaybusServers.stopAll();
    System.clearProperty(RelaybusServers.SERVERS_PROPERTY);
  }

  @Test
  void aBusOnPostgresInAContainerPublishesAndConsumes() throws Exception {
    PostgresServer postgres = RelaybusServers.postgres();
    assertThat(postgres).hasToString("PostgreSQL " + postgres.jdbcUrl()
        + " (container postgres:17)");
    try (EventBus bus = EventBus.create(postgres.createDatabase("in_container")
        .relaybusProperties())) {
      BusRoundTrip.publishAndConsume(bus, BusRoundTrip.topic("orders"));
    }
  }

  @Test
  void aBusOnKafkaInAContainerPublishesAndConsumes() throws Exception {
    try (EventBus bus = EventBus.create(RelaybusServers.kafka().relaybusProperties())) {
      BusRoundTrip.publishAndConsume(bus, BusRoundTrip.topic("orders"));
    }
  }

  @Test
  void aKafkaBusRegistersItsSchemaInTheRegistryContainer() throws Exception {
    SchemaRegistryServer registry = RelaybusServers.schemaRegistry();
    Map<String, String> config = RelaybusServers.kafka().relaybusProperties();
    config.putAll(registry.relaybusProperties());
    config.put("relaybus.kafka.schema.validate-on-produce", "true");
    String topic = BusRoundTrip.topic("schema");
    try (EventBus bus = EventBus.create(config)) {
      bus.unwrap(KafkaTransport.class).useSchema(topic, Schema.json("""
          {"type": "object", "required": ["id"]}
          """));
      BusRoundTrip.publishAndConsume(bus, topic);
    }
    HttpResponse<String> subjects = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(registry.url() + "/subjects")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(subjects.body()).contains(topic);
  }
}
