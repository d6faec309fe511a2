package io.relaybus.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.EventBus;
import io.relaybus.kafka.KafkaTransport;
import io.relaybus.kafka.schema.Schema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Each embedded server really starts, and a Relaybus bus configured with nothing but what the
 * server hands out publishes and consumes through it.
 */
class EmbeddedServersTest {

  @Test
  void aBusOnTheEmbeddedPostgresPublishesAndConsumes() throws Exception {
    PostgresServer database = RelaybusServers.postgres()
        .createDatabase("embedded_" + Long.toHexString(System.nanoTime()));
    assertThat(database.jdbcUrl()).startsWith("jdbc:postgresql://127.0.0.1:");
    try (EventBus bus = EventBus.create(database.relaybusProperties())) {
      BusRoundTrip.publishAndConsume(bus, BusRoundTrip.topic("orders"));
    }
    try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(),
        database.password())) {
      assertThat(c.getMetaData().getDatabaseMajorVersion()).isEqualTo(17);
    }
  }

  @Test
  void theSameServerServesTheWholeJvm() {
    assertThat(RelaybusServers.postgres()).isSameAs(RelaybusServers.postgres());
    assertThat(RelaybusServers.kafka()).isSameAs(RelaybusServers.kafka());
  }

  @Test
  void aDatabaseNameThatIsNoIdentifierIsRefused() {
    assertThatThrownBy(() -> RelaybusServers.postgres().createDatabase("orders; DROP"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith(": orders; DROP");
  }

  @Test
  void aBusOnTheEmbeddedKafkaPublishesAndConsumes() throws Exception {
    KafkaServer kafka = RelaybusServers.kafka();
    assertThat(kafka.relaybusProperties()).containsEntry("relaybus.transport", "kafka")
        .containsEntry("relaybus.kafka.bootstrap-servers", kafka.bootstrapServers());
    try (EventBus bus = EventBus.create(kafka.relaybusProperties())) {
      BusRoundTrip.publishAndConsume(bus, BusRoundTrip.topic("orders"));
    }
  }

  @Test
  void aKafkaBusRegistersItsSchemaInTheEmbeddedRegistry() throws Exception {
    // The build needs only a JDK 17; Apicurio Registry needs a 21+ one next to it.
    Assumptions.assumeTrue(EmbeddedSchemaRegistry.findJava21().isPresent(), "no Java 21+"
        + " runtime for Apicurio Registry: set " + EmbeddedSchemaRegistry.JAVA21_ENV
        + " to a JDK 21+ home to run this test");
    SchemaRegistryServer registry = RelaybusServers.schemaRegistry();
    Map<String, String> config = RelaybusServers.kafka().relaybusProperties();
    config.putAll(registry.relaybusProperties());
    config.put("relaybus.kafka.schema.validate-on-produce", "true");
    config.put("relaybus.kafka.schema.validate-on-consume", "true");
    String topic = BusRoundTrip.topic("schema");
    try (EventBus bus = EventBus.create(config)) {
      bus.unwrap(KafkaTransport.class).useSchema(topic, Schema.json("""
          {"type": "object",
           "properties": {"id": {"type": "string"}, "quantity": {"type": "integer"}},
           "required": ["id", "quantity"]}
          """));
      BusRoundTrip.publishAndConsume(bus, topic);
    }
    HttpResponse<String> subjects = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(registry.url() + "/subjects")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(subjects.body()).contains(topic);
  }
}
