/**
 * The operator console: a framework-neutral {@link io.relaybus.console.Console} handler (a
 * {@link io.relaybus.console.ConsoleRequest} in, a {@link io.relaybus.console.ConsoleResponse}
 * out) that any HTTP server can mount, and {@link io.relaybus.console.ConsoleServer}, which runs
 * it on the JDK's HTTP server. Every page is a client of {@link io.relaybus.ops.Operations}.
 */
package io.relaybus.console;
