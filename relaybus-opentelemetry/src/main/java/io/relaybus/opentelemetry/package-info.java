/**
 * Traces of a Relaybus bus with the OpenTelemetry API: {@link
 * io.relaybus.opentelemetry.RelaybusTelemetry}.
 */
package io.relaybus.opentelemetry;
