package io.relaybus.kafka;

import io.relaybus.RelaybusException;
import io.relaybus.StartPosition;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.PartitionLag;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Measures a consumer group's lag on a topic. Depth per partition is the end offset less the
 * group's position (its committed offset, never below the log start, less what the commit
 * metadata records as finished ahead of it). A partition without a commit is measured from
 * where a member would start: the start position of a member of the group running in this
 * process, else the log start ({@code EARLIEST}, the most the group could have to handle);
 * Relaybus members commit their start as soon as they are assigned, so a partition without a
 * commit means no member of the group ever owned it.
 *
 * <p>Age per partition is now less the timestamp of the record at the group's position (the
 * producer's create time, or the broker's append time when the topic is configured so): read
 * with a short-lived consumer that joins no group, is assigned only the lagging partitions and
 * seeks each to its position.
 */
final class GroupLagReader {
  /** Fetched per partition at most: the first batch at the position is all that is needed. */
  private static final int FETCH_BYTES = 64 * 1024;

  private final KafkaTransport transport;
  private final TopicAdmin topics;
  private final KafkaSettings settings;
  private final Clock clock;

  GroupLagReader(KafkaTransport transport, Clock clock) {
    this.transport = transport;
    this.topics = transport.topics();
    this.settings = transport.settings();
    this.clock = clock;
  }

  GroupLag lag(String topic, String group) {
    Optional<Integer> count = topics.partitionCount(topic);
    if (count.isEmpty()) {
      return GroupLag.of(topic, group, List.of(), clock.instant());
    }
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < count.get(); p++) {
      tps.add(new TopicPartition(topic, p));
    }
    Admin admin = topics.admin();
    int timeoutMs = (int) settings.adminTimeout().toMillis();
    Map<TopicPartition, OffsetAndMetadata> committed = topics.await(admin
        .listConsumerGroupOffsets(Map.of(group, new ListConsumerGroupOffsetsSpec()
            .topicPartitions(tps)), new ListConsumerGroupOffsetsOptions().timeoutMs(timeoutMs))
        .partitionsToOffsetAndMetadata(group),
        "read the committed offsets of group '" + group + "' on Kafka topic '" + topic + "'");
    Map<TopicPartition, Long> logStart = offsets(admin, tps, OffsetSpec.earliest(), topic);
    Map<TopicPartition, Long> end = offsets(admin, tps, OffsetSpec.latest(), topic);
    StartPosition start = transport.startPosition(topic, group).orElse(StartPosition.EARLIEST);

    Map<TopicPartition, Long> position = new HashMap<>();
    Map<TopicPartition, Long> depth = new HashMap<>();
    for (TopicPartition tp : tps) {
      OffsetAndMetadata c = committed.get(tp);
      long first = logStart.get(tp);
      long last = end.get(tp);
      long pos = c != null ? Math.max(c.offset(), first)
          : start == StartPosition.LATEST ? last : first;
      long ahead = c == null ? 0 : OffsetCommitter.finishedAhead(c, pos, last);
      long d = Math.max(0, last - pos - ahead);
      depth.put(tp, d);
      if (d > 0) {
        position.put(tp, pos);
      }
    }
    Map<TopicPartition, Long> timestamps = position.isEmpty() ? Map.of()
        : timestampsAt(position, group);
    Instant now = clock.instant();
    List<PartitionLag> partitions = new ArrayList<>(tps.size());
    for (TopicPartition tp : tps) {
      Long ts = timestamps.get(tp);
      Duration age = ts == null || ts < 0 ? Duration.ZERO
          : Duration.ofMillis(Math.max(0, now.toEpochMilli() - ts));
      partitions.add(new PartitionLag(tp.partition(), depth.get(tp), age));
    }
    return GroupLag.of(topic, group, partitions, now);
  }

  private Map<TopicPartition, Long> offsets(Admin admin, List<TopicPartition> tps,
      OffsetSpec spec, String topic) {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (TopicPartition tp : tps) {
      request.put(tp, spec);
    }
    Map<TopicPartition, ListOffsetsResultInfo> info = topics.await(admin.listOffsets(request,
        new ListOffsetsOptions().timeoutMs((int) settings.adminTimeout().toMillis())).all(),
        "read the offsets of Kafka topic '" + topic + "'");
    Map<TopicPartition, Long> offsets = new HashMap<>();
    info.forEach((tp, i) -> offsets.put(tp, i.offset()));
    return offsets;
  }

  /**
   * The timestamp of the first record at or after each position. The read is bounded: only the
   * lagging partitions are assigned, each fetch returns at most about {@value #FETCH_BYTES}
   * bytes of a partition (the first batch at the position), a partition is paused as soon as
   * its first record arrived, and the whole read gives up after {@code admin-timeout}. So a
   * call costs one fetch per lagging partition however deep the backlog is.
   */
  private Map<TopicPartition, Long> timestampsAt(Map<TopicPartition, Long> positions,
      String group) {
    Map<String, Object> props = new HashMap<>(settings.consumerProperties());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // The position may have been deleted by retention meanwhile: then the oldest record left.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, positions.size());
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, FETCH_BYTES);
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG,
        (int) Math.min(Integer.MAX_VALUE, (long) FETCH_BYTES * positions.size()));
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "relaybus-lag-" + group);
    Map<TopicPartition, Long> timestamps = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props,
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.assign(positions.keySet());
      positions.forEach(c::seek);
      long deadline = System.nanoTime() + settings.adminTimeout().toNanos();
      while (timestamps.size() < positions.size()) {
        if (System.nanoTime() > deadline) {
          TreeSet<String> missing = new TreeSet<>();
          for (TopicPartition tp : positions.keySet()) {
            if (!timestamps.containsKey(tp)) {
              missing.add(tp.toString() + "@" + positions.get(tp));
            }
          }
          throw new RelaybusException("Cannot measure the lag age of group '" + group
              + "': no record read at " + missing + " within " + settings.adminTimeout() + " ("
              + KafkaSettings.ADMIN_TIMEOUT + ")");
        }
        ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(100));
        for (TopicPartition tp : records.partitions()) {
          List<ConsumerRecord<byte[], byte[]>> got = records.records(tp);
          if (!got.isEmpty() && !timestamps.containsKey(tp)) {
            timestamps.put(tp, got.get(0).timestamp());
            c.pause(List.of(tp));
          }
        }
      }
    }
    return timestamps;
  }
}
