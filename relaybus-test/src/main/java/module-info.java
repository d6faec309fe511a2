/**
 * Real servers for an application's tests and development runs, in one line: a PostgreSQL 17, a
 * Kafka broker and a Confluent-compatible schema registry ({@code io.relaybus.test}), embedded by
 * default, in Docker through Testcontainers on request, or external servers named by
 * environment variables.
 */
module io.relaybus.test {
  // relaybusProperties() are configurations of io.relaybus.EventBus; reading the module also
  // lets the tests, compiled into this module, see package io.relaybus.
  requires io.relaybus;
  requires java.sql;
  requires java.net.http;
  requires org.slf4j;
  // Unpacks the schema registry's distribution.
  requires org.apache.commons.compress;
  // No module descriptors nor Automatic-Module-Name (testcontainers too): names derived from
  // the jar file names.
  requires embedded.postgres;
  requires kafka.clients;
  // The extension needs JUnit, a development run does not; Testcontainers only when asked for.
  requires static transitive org.junit.jupiter.api;
  requires static testcontainers;

  exports io.relaybus.test;
}
