/**
 * Relaybus traces with the OpenTelemetry API ({@code io.relaybus.opentelemetry}): PRODUCER and
 * CONSUMER spans after the messaging conventions and W3C trace context carried in the events,
 * through the core's instrumentation SPI.
 */
module io.relaybus.opentelemetry {
  requires transitive io.relaybus;
  requires transitive io.opentelemetry.api;
  requires transitive io.opentelemetry.context;

  exports io.relaybus.opentelemetry;
}
