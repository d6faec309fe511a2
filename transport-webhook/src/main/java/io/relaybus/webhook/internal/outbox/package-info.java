/**
 * Where deliveries wait: one row per (event, endpoint) written when the event is published,
 * claimed by dispatchers with a lease, deleted on success, moved to the dead letters when
 * exhausted. {@link io.relaybus.webhook.internal.outbox.JdbcOutbox} keeps them in PostgreSQL
 * (durable, shared by several sender processes): its SQL, run through {@code JdbcTransactions}
 * (which runs a deadlock victim again), on the tables {@code OutboxSchema} creates, with
 * endpoints stored as {@code EndpointJson}; the dead letters' SQL is {@code JdbcDeadLetters}'s
 * (one filter clause for search and purge), the operations API's read-only queries are {@code
 * JdbcOperatorQueries}'. {@link
 * io.relaybus.webhook.internal.outbox.MemoryOutbox} keeps them in this JVM (lost on a crash).
 * Not API: the package is not exported.
 */
package io.relaybus.webhook.internal.outbox;
