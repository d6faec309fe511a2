/**
 * The in-memory transport ({@code relaybus.transport=memory}): the reference implementation of
 * every delivery guarantee inside one JVM, and the embedded default. Nothing survives the
 * process; see {@link io.relaybus.memory.MemoryTransportProvider}.
 */
package io.relaybus.memory;
