/**
 * Micrometer meters for Relaybus: {@link io.relaybus.micrometer.RelaybusMetrics} observes a bus
 * through the instrumentation SPI (publishing, delivery attempts, retries, dead letters) and
 * {@link io.relaybus.micrometer.RelaybusOperationsMetrics} reads lag and webhook endpoint state
 * through the operations API at a bounded rate.
 */
module io.relaybus.micrometer {
  requires transitive io.relaybus;
  requires transitive micrometer.core;
  requires org.slf4j;

  exports io.relaybus.micrometer;
}
