/**
 * The Kafka transport of Relaybus: the transport ({@code io.relaybus.kafka}, found through its
 * {@code TransportProvider}) and the schema registry API ({@code io.relaybus.kafka.schema}).
 * The transport's publish and consume schema steps ({@code io.relaybus.kafka.schema.internal})
 * are not exported.
 */
module io.relaybus.kafka {
  requires transitive io.relaybus;
  // JsonSchemaValidator validates Jackson trees.
  requires transitive com.fasterxml.jackson.databind;
  // kafka-clients has no module descriptor nor Automatic-Module-Name: its name is derived
  // from the jar's file name.
  requires kafka.clients;
  requires com.networknt.schema;
  requires java.net.http;
  requires org.slf4j;

  exports io.relaybus.kafka;
  exports io.relaybus.kafka.schema;

  provides io.relaybus.spi.TransportProvider with io.relaybus.kafka.KafkaTransportProvider;
}
