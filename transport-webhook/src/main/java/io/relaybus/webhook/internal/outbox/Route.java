package io.relaybus.webhook.internal.outbox;

import io.relaybus.webhook.EndpointState;
import io.relaybus.webhook.PayloadMode;
import io.relaybus.webhook.WebhookEndpoint;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Where an outbox sends deliveries: a configured {@link WebhookEndpoint}, or a consumer group of
 * Relaybus buses (a self-subscription) whose live members receive the deliveries in turn.
 *
 * @param name the route's name: the endpoint name, or {@code <group>@<topic>} for a group
 * @param endpoint the endpoint, or {@code null} for a group
 * @param topic the group's topic, or {@code null} for an endpoint
 * @param group the group, or {@code null} for an endpoint
 * @param secret the group's signing secret (an endpoint's is in {@code endpoint})
 * @param state whether deliveries are sent
 * @param stateReason why the state was last changed, or {@code null}
 * @param members a group's live members, empty for an endpoint
 */
public record Route(String name, WebhookEndpoint endpoint, String topic, String group,
    String secret, EndpointState state, String stateReason, List<Member> members) {

  /**
   * One member of a group: a receiving bus's URL.
   *
   * @param url the member's URL
   * @param capacity how many requests it takes at once (its {@code maxInFlight})
   */
  public record Member(String url, int capacity) {}

  /**
   * The route name of a group's self-subscription to a topic.
   *
   * @param group the group
   * @param topic the topic
   * @return {@code <group>@<topic>}
   */
  public static String groupRoute(String group, String topic) {
    return group + "@" + topic;
  }

  /**
   * Whether this route is a consumer group of buses.
   *
   * @return {@code true} for a self-subscription
   */
  public boolean isGroup() {
    return endpoint == null;
  }

  /**
   * Whether events of a topic go this way.
   *
   * @param t the topic
   * @return {@code true} when matched
   */
  public boolean matches(String t) {
    return isGroup() ? topic.equals(t) : endpoint.matches(t);
  }

  /**
   * The topics matched (for a group, its one topic).
   *
   * @return the topics
   */
  public Set<String> topics() {
    return isGroup() ? Set.of(topic) : endpoint.topics();
  }

  /**
   * The most requests in flight: an endpoint's concurrency, or the sum of the members'
   * capacities.
   *
   * @return zero or more
   */
  public int concurrency() {
    if (!isGroup()) {
      return endpoint.concurrency();
    }
    int sum = 0;
    for (Member m : members) {
      sum += m.capacity();
    }
    return sum;
  }

  /**
   * Whether deliveries go one at a time in publish order.
   *
   * @return {@code true} when ordered
   */
  public boolean ordered() {
    return !isGroup() && endpoint.ordered();
  }

  /**
   * The payload mode.
   *
   * @return the endpoint's mode, {@link PayloadMode#STANDARD_WEBHOOKS} for a group
   */
  public PayloadMode payloadMode() {
    return isGroup() ? PayloadMode.STANDARD_WEBHOOKS : endpoint.payloadMode();
  }

  /**
   * The signing secret.
   *
   * @return the secret, or {@code null}
   */
  public String signingSecret() {
    return isGroup() ? secret : endpoint.secret();
  }

  /**
   * The call timeout.
   *
   * @param groupTimeout the timeout for groups (their handlers may take long)
   * @return the timeout
   */
  public Duration timeout(Duration groupTimeout) {
    return isGroup() ? groupTimeout : endpoint.timeout();
  }

  /** Never shows secrets. */
  @Override
  public String toString() {
    return isGroup() ? "group '" + group + "' of topic '" + topic + "' (" + members.size()
        + " members)" : "endpoint '" + name + "'";
  }
}
