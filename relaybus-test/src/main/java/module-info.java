/**
 * Real servers for an application's tests and development runs, in one line: a PostgreSQL 17, a
 * Kafka broker and a Confluent-compatible schema registry ({@code io.relaybus.test}), embedded by
 * default, in Docker through Testcontainers on request, or external servers named by
 * environment variables.
 */
module io.relaybus.test {
  // The servers' relaybusProperties() are configurations of io.relaybus.EventBus.
  requires io.relaybus;
  requires java.sql;
  requires java.net.http;
  requires org.slf4j;
  // No module descriptors nor Automatic-Module-Name: names derived from the jar file names.
  requires embedded.postgres;
  requires kafka.clients;
  requires org.apache.commons.compress;
  // The extension needs JUnit, a development run does not; Testcontainers only when asked for.
  requires static transitive org.junit.jupiter.api;
  requires static testcontainers;

  exports io.relaybus.test;
}
