/** Benchmark harness. */
package io.relaybus.bench;
