/**
 * The Relaybus operator console: server-rendered pages over the operations API ({@code
 * io.relaybus.console}: the {@link io.relaybus.console.Console} handler, its request and
 * response, roles, and the JDK HTTP server runner). The pages, sessions and rendering ({@code
 * io.relaybus.console.internal}) are not exported.
 */
module io.relaybus.console {
  requires transitive io.relaybus;
  requires com.fasterxml.jackson.databind;
  requires jdk.httpserver;
  requires org.slf4j;

  exports io.relaybus.console;
}
