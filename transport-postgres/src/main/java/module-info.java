/**
 * The PostgreSQL transport of Relaybus ({@code relaybus.transport=postgres}). Only
 * {@code io.relaybus.postgres} is exported: {@code PostgresTransport} for what only PostgreSQL
 * can do, and {@code PostgresTransportProvider}, which the bus finds as a service.
 */
module io.relaybus.postgres {
  requires transitive io.relaybus;
  requires transitive java.sql;
  requires com.fasterxml.jackson.core;
  requires com.zaxxer.hikari;
  requires org.postgresql.jdbc;
  requires org.slf4j;

  exports io.relaybus.postgres;

  provides io.relaybus.spi.TransportProvider with io.relaybus.postgres.PostgresTransportProvider;
}
