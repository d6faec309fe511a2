/**
 * A PostgreSQL 17, a Kafka broker and a schema registry for tests and development runs.
 *
 * <p>{@link io.relaybus.test.RelaybusServers} is the plain API ({@code
 * RelaybusServers.postgres().relaybusProperties()} gives a bus configuration);
 * {@link io.relaybus.test.WithRelaybusServers} puts the same servers into JUnit 5 test
 * parameters. Where the servers come from is chosen by {@link
 * io.relaybus.test.RelaybusServers#SERVERS_PROPERTY}: embedded (the default) or Testcontainers;
 * the {@code RELAYBUS_TEST_*} environment variables name external servers instead.
 */
package io.relaybus.test;
