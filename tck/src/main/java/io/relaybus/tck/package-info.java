/**
 * The transport compatibility kit: {@link io.relaybus.tck.TransportCompatibilityKit}, an
 * abstract JUnit 5 class whose tests state the delivery contract. A transport's test extends it
 * and supplies how to create a bus (and, where it can, how to cut connections or restart the
 * server); tests run according to the transport's declared capabilities.
 */
package io.relaybus.tck;
