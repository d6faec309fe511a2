/**
 * The Relaybus Spring Boot starter. Only {@code io.relaybus.spring.boot} is exported; the
 * starter's internals are opened to Spring, which creates and calls them.
 */
module io.relaybus.spring.boot {
  requires transitive io.relaybus;
  requires transitive spring.boot.autoconfigure;
  requires transitive spring.boot;
  requires transitive spring.context;
  requires transitive spring.beans;
  requires transitive spring.core;
  requires spring.aop;
  requires transitive java.sql;
  requires static io.relaybus.postgres;
  requires static io.relaybus.webhook;
  requires static spring.jdbc;
  requires static spring.tx;
  requires static spring.boot.actuator;
  requires static spring.boot.health;
  requires static io.relaybus.micrometer;
  requires static micrometer.core;
  requires static io.relaybus.opentelemetry;
  requires static io.opentelemetry.api;
  requires static io.relaybus.console;
  requires static jakarta.servlet;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;

  exports io.relaybus.spring.boot;

  opens io.relaybus.spring.boot to spring.core, spring.beans, spring.context;
  opens io.relaybus.spring.boot.internal to spring.core, spring.beans, spring.context;

  uses io.relaybus.spi.TransportProvider;
}
