package io.relaybus.kafka;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a member does when the group moves partitions. An assigned partition starts at its
 * committed offset, with the attempts and the finished offsets an earlier owner stored there; a new group's start
 * (EARLIEST/LATEST) is resolved and committed at once, so a later rebalance cannot move it past
 * events published meanwhile. On revoke, the member stops handing out records of the revoked
 * partitions, waits (up to the rebalance timeout) for their in-flight events and commits what
 * was finished, before the partitions move. Lost partitions are never committed. Runs on the
 * poll thread, inside {@code poll}.
 */
final class PartitionRebalance implements ConsumerRebalanceListener {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionRebalance.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaSettings settings;
  private final String topic;
  private final String group;
  private final Map<TopicPartition, AssignedPartition> partitions;
  private final OffsetCommitter committer;
  private final PollWakeups wakeups;
  /** Counted down by the first assignment (possibly empty). */
  private final CountDownLatch joined;

  PartitionRebalance(KafkaConsumer<byte[], byte[]> consumer, KafkaSettings settings,
      String topic, String group, Map<TopicPartition, AssignedPartition> partitions,
      OffsetCommitter committer, PollWakeups wakeups, CountDownLatch joined) {
    this.consumer = consumer;
    this.settings = settings;
    this.topic = topic;
    this.group = group;
    this.partitions = partitions;
    this.committer = committer;
    this.wakeups = wakeups;
    this.joined = joined;
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
    try {
      if (!assigned.isEmpty()) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            consumer.committed(new HashSet<>(assigned), settings.adminTimeout());
        Map<TopicPartition, OffsetAndMetadata> pin = new HashMap<>();
        Map<TopicPartition, Long> ends = logEnds(committed);
        for (TopicPartition tp : assigned) {
          AssignedPartition p = new AssignedPartition(tp);
          OffsetAndMetadata c = committed.get(tp);
          if (c == null) {
            c = new OffsetAndMetadata(consumer.position(tp, settings.adminTimeout()));
            pin.put(tp, c);
          }
          OffsetCommitter.resume(p, c, ends.getOrDefault(tp, c.offset()));
          partitions.put(tp, p);
        }
        if (!pin.isEmpty()) {
          consumer.commitSync(pin, settings.adminTimeout());
        }
        LOG.debug("Group '{}' member of topic '{}' assigned {}", group, topic, assigned);
      }
    } finally {
      joined.countDown();
    }
  }

  /**
   * The end offsets of the partitions whose commit records finished offsets (asked only for
   * them): finished ranges at or beyond the log end are ignored, since they name records the
   * log does not hold (a log truncated or a topic recreated since).
   */
  private Map<TopicPartition, Long> logEnds(Map<TopicPartition, OffsetAndMetadata> committed) {
    Set<TopicPartition> ask = new HashSet<>();
    committed.forEach((tp, c) -> {
      if (c != null && OffsetCommitter.recordsFinishedAhead(c)) {
        ask.add(tp);
      }
    });
    return ask.isEmpty() ? Map.of() : consumer.endOffsets(ask, settings.adminTimeout());
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> revokedPartitions) {
    committer.inRebalanceCallback(true);
    try {
      revoke(revokedPartitions);
    } finally {
      committer.inRebalanceCallback(false);
    }
  }

  private void revoke(Collection<TopicPartition> revokedPartitions) {
    List<AssignedPartition> revoked = new ArrayList<>();
    for (TopicPartition tp : revokedPartitions) {
      AssignedPartition p = partitions.get(tp);
      if (p != null) {
        p.buffer.clear();
        revoked.add(p);
      }
    }
    if (revoked.isEmpty()) {
      return;
    }
    // When closing, the bus has already waited for the member's handlers (its close
    // timeout); whatever is still unfinished is released or is the closing handler itself.
    wakeups.awaitSettled(revoked, System.nanoTime()
        + (wakeups.closing() ? 0 : settings.rebalanceTimeout().toNanos()));
    committer.commit(revoked, true);
    for (AssignedPartition p : revoked) {
      if (!p.settled() && !wakeups.closing()) {
        LOG.warn("Partition {} of group '{}' revoked while {} event(s) were still being "
            + "handled after {} ({}); they will be delivered again to the new owner",
            p.tp, group, p.handling(), settings.rebalanceTimeout(),
            KafkaSettings.REBALANCE_TIMEOUT);
      }
      partitions.remove(p.tp);
    }
    LOG.debug("Group '{}' member of topic '{}' revoked {}", group, topic, revokedPartitions);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> lost) {
    for (TopicPartition tp : lost) {
      AssignedPartition p = partitions.remove(tp);
      if (p != null) {
        p.submitted.clear();
      }
    }
    LOG.warn("Group '{}' member of topic '{}' lost partitions {} (session expired); their "
        + "unfinished events will be delivered again", group, topic, lost);
  }
}
