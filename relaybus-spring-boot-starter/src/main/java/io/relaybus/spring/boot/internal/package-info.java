/** Not API: how the starter reads settings and wires transports. */
package io.relaybus.spring.boot.internal;
