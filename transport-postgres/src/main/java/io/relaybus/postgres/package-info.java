/**
 * The PostgreSQL transport ({@code relaybus.transport=postgres}): events in a table, delivery
 * woken by {@code LISTEN/NOTIFY} with a backlog scan on every (re)connect, consumer groups whose
 * members lease partitions, transactional publish and a plain-SQL publishing contract. See
 * {@link io.relaybus.postgres.PostgresTransportProvider} for the settings and
 * {@link io.relaybus.postgres.PostgresTransport} for the PostgreSQL-only operations.
 */
package io.relaybus.postgres;
