package io.relaybus.internal;

import io.relaybus.Capability;
import io.relaybus.DeadLetterReason;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.GroupMember;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import io.relaybus.spi.Names;
import io.relaybus.spi.Transport;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A transport's operations as the bus hands them out: arguments checked by name, the bus open,
 * and the capability an operation needs declared, before the transport is asked.
 */
final class OpenBusOperations implements Operations {
  private final String transportName;
  private final Transport transport;
  private final OpenBusDeadLetters.OpenCheck bus;

  OpenBusOperations(String transportName, Transport transport,
      OpenBusDeadLetters.OpenCheck bus) {
    this.transportName = transportName;
    this.transport = transport;
    this.bus = bus;
  }

  @Override
  public List<String> topics() {
    bus.ensureOpen("list the topics");
    return transport.operations().topics();
  }

  @Override
  public List<String> groups(String topic) {
    Names.requireTopic(topic);
    bus.ensureOpen("list the groups of topic '" + topic + "'");
    return transport.operations().groups(topic);
  }

  @Override
  public List<GroupMember> members(String topic, String group) {
    Names.requireTopic(topic);
    Names.requireGroup(group);
    bus.ensureOpen("list the members of topic '" + topic + "' group '" + group + "'");
    return transport.operations().members(topic, group);
  }

  @Override
  public GroupLag lag(String topic, String group) {
    Names.requireTopic(topic);
    Names.requireGroup(group);
    ready(Capability.LAG, "measure the lag of topic '" + topic + "' group '" + group + "'");
    return transport.operations().lag(topic, group);
  }

  @Override
  public DeadLetterPage deadLetters(DeadLetterQuery query) {
    Objects.requireNonNull(query, "query");
    ready(Capability.DEAD_LETTERS, "search the dead letters of topic '" + query.topic() + "'");
    return transport.operations().deadLetters(query);
  }

  @Override
  public Map<DeadLetterReason, Long> deadLetterCounts(String topic, String group) {
    Names.requireTopic(topic);
    Names.requireGroup(group);
    ready(Capability.DEAD_LETTERS, "count the dead letters of topic '" + topic + "' group '"
        + group + "'");
    return transport.operations().deadLetterCounts(topic, group);
  }

  @Override
  public long replayDeadLetters(DeadLetterQuery filter) {
    Objects.requireNonNull(filter, "filter");
    ready(Capability.DEAD_LETTERS, "replay the dead letters of topic '" + filter.topic() + "'");
    return transport.operations().replayDeadLetters(filter);
  }

  @Override
  public long purgeDeadLetters(DeadLetterQuery filter) {
    Objects.requireNonNull(filter, "filter");
    ready(Capability.DEAD_LETTERS, "purge the dead letters of topic '" + filter.topic() + "'");
    return transport.operations().purgeDeadLetters(filter);
  }

  @Override
  public Optional<EventStatus> event(String topic, String eventId) {
    Names.requireTopic(topic);
    Objects.requireNonNull(eventId, "eventId");
    ready(Capability.EVENT_LOOKUP, "look up event '" + eventId + "' of topic '" + topic + "'");
    return transport.operations().event(topic, eventId);
  }

  @Override
  public List<EndpointStatus> endpoints() {
    ready(Capability.WEBHOOK_ENDPOINTS, "list the webhook endpoints");
    return transport.operations().endpoints();
  }

  @Override
  public EndpointStatus.Attempt testEndpoint(String name) {
    Objects.requireNonNull(name, "name");
    ready(Capability.WEBHOOK_ENDPOINTS, "send a test event to webhook endpoint '" + name + "'");
    return transport.operations().testEndpoint(name);
  }

  @Override
  public void enableEndpoint(String name) {
    Objects.requireNonNull(name, "name");
    ready(Capability.WEBHOOK_ENDPOINTS, "enable webhook endpoint '" + name + "'");
    transport.operations().enableEndpoint(name);
  }

  @Override
  public void disableEndpoint(String name) {
    Objects.requireNonNull(name, "name");
    ready(Capability.WEBHOOK_ENDPOINTS, "disable webhook endpoint '" + name + "'");
    transport.operations().disableEndpoint(name);
  }

  @Override
  public Health health() {
    bus.ensureOpen("check the health");
    return transport.operations().health();
  }

  private void ready(Capability needed, String operation) {
    bus.ensureOpen(operation);
    if (!transport.capabilities().has(needed)) {
      throw new UnsupportedOperationException("Cannot " + operation + ": the " + transportName
          + " transport does not declare " + needed);
    }
  }

  @Override
  public String toString() {
    return "Operations{" + transportName + "}";
  }
}
