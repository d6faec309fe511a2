package io.relaybus.kafka;

import io.relaybus.Capability;
import io.relaybus.DeadLetterReason;
import io.relaybus.RelaybusException;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.GroupMember;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * The operations API of the Kafka transport, answered from the cluster through the transport's
 * Admin client: topics and groups here, lag in {@link GroupLagReader}, dead letters in
 * {@link DeadLetterSearch}, health in {@link KafkaHealth}.
 *
 * <p>Kafka cannot find a record by a header value without reading the topic, so
 * {@link Capability#EVENT_LOOKUP} is not declared: {@link #event} would be a scan of every
 * partition, unbounded in the retention. Webhook endpoints are another transport's.
 */
final class KafkaOperations implements Operations {
  private final KafkaTransport transport;
  private final TopicAdmin topics;
  private final DeadLetterSearch deadLetters;
  private final GroupLagReader lag;
  private final KafkaHealth health;

  KafkaOperations(KafkaTransport transport, DeadLetterSearch deadLetters, GroupLagReader lag,
      KafkaHealth health) {
    this.transport = transport;
    this.topics = transport.topics();
    this.deadLetters = deadLetters;
    this.lag = lag;
    this.health = health;
  }

  /**
   * Every topic of the cluster except Kafka's internal ones, names beginning with an underscore
   * (the convention of Kafka's and Confluent's own topics: {@code __consumer_offsets},
   * {@code _schemas}, {@code _confluent-*}) and dead-letter topics (a name the dead-letter
   * template gives another listed topic). On a cluster shared with other applications their
   * topics are listed too: Kafka does not record which client created a topic.
   */
  @Override
  public List<String> topics() {
    Set<String> names = topics.names();
    Set<String> deadLetterTopics = deadLetters.deadLetterTopics(names);
    TreeSet<String> result = new TreeSet<>();
    for (String name : names) {
      if (!name.startsWith("_") && !deadLetterTopics.contains(name)) {
        result.add(name);
      }
    }
    return List.copyOf(result);
  }

  /**
   * The consumer groups with a committed offset on a partition of the topic (Relaybus members
   * commit their start position as soon as they are assigned), and the groups of members
   * running in this process.
   */
  @Override
  public List<String> groups(String topic) {
    TreeSet<String> result = new TreeSet<>(transport.localGroups(topic));
    Optional<Integer> partitions = topics.partitionCount(topic);
    if (partitions.isEmpty()) {
      return List.copyOf(result);
    }
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < partitions.get(); p++) {
      tps.add(new TopicPartition(topic, p));
    }
    Admin admin = topics.admin();
    int timeoutMs = (int) transport.settings().adminTimeout().toMillis();
    Collection<GroupListing> listed = topics.await(admin.listGroups(
        ListGroupsOptions.forConsumerGroups().timeoutMs(timeoutMs)).all(),
        "list the consumer groups");
    Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
    for (GroupListing g : listed) {
      specs.put(g.groupId(), new ListConsumerGroupOffsetsSpec().topicPartitions(tps));
    }
    if (!specs.isEmpty()) {
      Map<String, Map<TopicPartition, OffsetAndMetadata>> offsets = topics.await(
          admin.listConsumerGroupOffsets(specs,
              new ListConsumerGroupOffsetsOptions().timeoutMs(timeoutMs)).all(),
          "read the committed offsets of the consumer groups on Kafka topic '" + topic + "'");
      offsets.forEach((group, committed) -> {
        for (OffsetAndMetadata o : committed.values()) {
          if (o != null) {
            result.add(group);
            return;
          }
        }
      });
    }
    return List.copyOf(result);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The group's members as its coordinator describes them, each with its consumer's member
   * id, client id and host, and its assigned partitions of the topic. A Kafka group may read
   * several topics: members assigned only partitions of other topics are left out, members
   * assigned nothing yet are listed. The broker does not report heartbeat times, so
   * {@code lastSeen} is empty.
   */
  @Override
  public List<GroupMember> members(String topic, String group) {
    Admin admin = topics.admin();
    ConsumerGroupDescription description;
    try {
      description = topics.await(admin.describeConsumerGroups(List.of(group),
          new DescribeConsumerGroupsOptions().timeoutMs(
              (int) transport.settings().adminTimeout().toMillis())).describedGroups()
          .get(group), "describe consumer group '" + group + "' of Kafka topic '" + topic + "'");
    } catch (RelaybusException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return List.of();
      }
      throw e;
    }
    List<GroupMember> members = new ArrayList<>();
    for (MemberDescription m : description.members()) {
      Set<TopicPartition> assigned = m.assignment().topicPartitions();
      List<Integer> partitions = new ArrayList<>();
      for (TopicPartition tp : assigned) {
        if (tp.topic().equals(topic)) {
          partitions.add(tp.partition());
        }
      }
      if (partitions.isEmpty() && !assigned.isEmpty()) {
        continue;
      }
      String host = m.host().startsWith("/") ? m.host().substring(1) : m.host();
      members.add(new GroupMember(m.consumerId(), Optional.of(m.clientId() + " on " + host),
          partitions, Optional.empty()));
    }
    members.sort(Comparator.comparing(GroupMember::id));
    return List.copyOf(members);
  }

  @Override
  public GroupLag lag(String topic, String group) {
    return lag.lag(topic, group);
  }

  @Override
  public DeadLetterPage deadLetters(DeadLetterQuery query) {
    return deadLetters.search(query);
  }

  @Override
  public Map<DeadLetterReason, Long> deadLetterCounts(String topic, String group) {
    return deadLetters.counts(topic, group);
  }

  @Override
  public long replayDeadLetters(DeadLetterQuery filter) {
    return deadLetters.replay(filter);
  }

  @Override
  public long purgeDeadLetters(DeadLetterQuery filter) {
    return deadLetters.purge(filter);
  }

  @Override
  public Optional<EventStatus> event(String topic, String eventId) {
    throw new UnsupportedOperationException("Cannot look up event '" + eventId + "' of topic '"
        + topic + "': the kafka transport does not declare " + Capability.EVENT_LOOKUP
        + " (finding a record by id would read the whole topic)");
  }

  @Override
  public List<EndpointStatus> endpoints() {
    throw new UnsupportedOperationException("Cannot list webhook endpoints: the kafka transport "
        + "does not declare " + Capability.WEBHOOK_ENDPOINTS);
  }

  @Override
  public Health health() {
    return health.health();
  }
}
