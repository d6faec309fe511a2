package io.relaybus;

/** Subscribes handlers to topics as members of consumer groups. Thread-safe. */
public interface Subscriber {

  /**
   * Joins a consumer group of a topic. Every group receives every event of the topic; inside a
   * group each event goes to one member. A group that has never consumed the topic starts at
   * its {@link SubscribeOptions#startPosition()}; an existing group continues where it stopped,
   * so events published while no member ran are delivered now. When this method returns the
   * member is ready: every event published afterwards reaches the group, whatever the start
   * position.
   *
   * @param topic a topic name matching {@code [A-Za-z0-9._-]{1,200}}
   * @param options the options; unset settings come from the bus configuration
   * @param handler the handler
   * @return the running subscription; close it to leave the group
   * @throws InvalidNameException when the topic name is invalid
   * @throws IllegalStateException when the same handler instance is already subscribed to this
   *     topic and group on this bus (a second member needs its own handler instance)
   * @throws BusClosedException when the bus is closed
   */
  Subscription subscribe(String topic, SubscribeOptions options, EventHandler handler);

  /**
   * Joins a consumer group with the configured defaults for every other setting.
   *
   * @param topic a topic name
   * @param group a group name matching {@code [A-Za-z0-9._-]{1,200}}
   * @param handler the handler
   * @return the running subscription
   * @throws InvalidNameException when a name is invalid
   * @throws BusClosedException when the bus is closed
   */
  default Subscription subscribe(String topic, String group, EventHandler handler) {
    return subscribe(topic, SubscribeOptions.group(group), handler);
  }
}
