/**
 * The service provider interface for transport authors. A transport registers a
 * {@link io.relaybus.spi.TransportProvider} in {@code META-INF/services}; the bus finds it by
 * name, hands it its {@link io.relaybus.spi.Settings}, and drives delivery through a
 * {@link io.relaybus.spi.MessageSink}. The bus owns handler invocation, concurrency, per-key
 * ordering inside a member, retries and the dead-letter decision; the transport owns storage,
 * fetching, competing consumers, acknowledgement and the dead-letter store.
 */
package io.relaybus.spi;
