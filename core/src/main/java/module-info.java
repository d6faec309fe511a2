/**
 * Relaybus core: the event API ({@code io.relaybus}), the operations API ({@code
 * io.relaybus.ops}) and the service provider interface for
 * transports ({@code io.relaybus.spi}). The delivery engine and the in-memory transport are
 * not exported; the in-memory transport is found through its {@code TransportProvider}.
 */
module io.relaybus {
  requires transitive com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.datatype.jsr310;
  requires org.slf4j;

  exports io.relaybus;
  exports io.relaybus.ops;
  exports io.relaybus.spi;

  uses io.relaybus.spi.TransportProvider;

  provides io.relaybus.spi.TransportProvider with io.relaybus.memory.MemoryTransportProvider;
}
