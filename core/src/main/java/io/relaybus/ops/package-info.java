/**
 * The operations API: what an operator asks of a running bus — which topics and groups exist,
 * how far behind a group is (in events and in time), which dead letters match a filter and
 * what to do with them, where an event is and who consumed it, the state of webhook endpoints,
 * and whether the bus is healthy. One interface for every transport, reached through
 * {@link io.relaybus.EventBus#operations()}; a transport that cannot answer a question says so
 * through its {@link io.relaybus.Capabilities}.
 */
package io.relaybus.ops;
