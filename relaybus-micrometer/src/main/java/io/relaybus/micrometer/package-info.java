/**
 * Micrometer meters for a Relaybus bus, named after the OpenTelemetry messaging semantic
 * conventions where one exists.
 *
 * <ul>
 *   <li>{@link io.relaybus.micrometer.RelaybusMetrics}: an {@link io.relaybus.spi.Instrumentation}
 *       registered with {@link io.relaybus.EventBus.Builder#instrumentation}; counts and times
 *       publishing and every delivery attempt, retries, dead letters and dropped events.
 *   <li>{@link io.relaybus.micrometer.RelaybusOperationsMetrics}: a {@link
 *       io.micrometer.core.instrument.binder.MeterBinder} of gauges read through {@link
 *       io.relaybus.EventBus#operations()}: lag depth and age per group, webhook endpoint state;
 *       refreshed on its own thread at most once per interval, never per scrape.
 * </ul>
 *
 * <p>Every meter, its tags and alerting suggestions are listed in {@code docs/operations.md}.
 */
package io.relaybus.micrometer;
