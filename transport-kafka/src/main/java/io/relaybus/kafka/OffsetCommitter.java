package io.relaybus.kafka;

import io.relaybus.spi.Errors;
import io.relaybus.spi.PositionTracker;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits a member's offsets: per partition, the offset after the longest finished prefix of
 * its submitted messages (never past an unfinished or released one), with commit metadata
 * carrying the attempts already made on the first unfinished event, so the next owner (after a
 * close, crash or rebalance) continues its count. Periodic commits are asynchronous; those of a
 * revoke and of close are synchronous. Poll thread only.
 */
final class OffsetCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(OffsetCommitter.class);
  private static final String ATTEMPTS_META = "relaybus-attempts=";
  private static final Pattern ATTEMPTS = Pattern.compile("relaybus-attempts=(\\d+)@(\\d+)");

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaSettings settings;
  private final String group;
  private final Map<TopicPartition, AssignedPartition> partitions;
  private final DeadLetterWriter deadLetters;
  /** A rebalance callback is running (no nested poll allowed). */
  private boolean inRebalanceCallback;

  OffsetCommitter(KafkaConsumer<byte[], byte[]> consumer, KafkaSettings settings, String group,
      Map<TopicPartition, AssignedPartition> partitions, DeadLetterWriter deadLetters) {
    this.consumer = consumer;
    this.settings = settings;
    this.group = group;
    this.partitions = partitions;
    this.deadLetters = deadLetters;
  }

  void inRebalanceCallback(boolean running) {
    inRebalanceCallback = running;
  }

  /** Starts a newly assigned partition at its committed offset and the attempts stored with it. */
  static void resume(AssignedPartition p, OffsetAndMetadata c) {
    p.committed(c);
    p.requested(c);
    p.next = c.offset();
    Matcher m = ATTEMPTS.matcher(c.metadata() == null ? "" : c.metadata());
    if (m.matches()) {
      p.priorAttempts = Integer.parseInt(m.group(1));
      p.priorOffset = Long.parseLong(m.group(2));
    }
  }

  /**
   * How many events after a committed offset its commit metadata records as already finished,
   * for the lag's depth. The metadata this class writes records only the attempts made on the
   * event at the committed offset ({@code relaybus-attempts=N@offset}), never events finished
   * beyond it, so the answer is 0 for every commit it makes (and for foreign metadata).
   *
   * @param metadata a commit's metadata, possibly {@code null}
   * @return events finished ahead of the committed offset
   */
  static long finishedAhead(String metadata) {
    return 0;
  }

  /** Commits, per partition, the offset after the finished prefix of its messages. */
  void commit(Collection<AssignedPartition> which, boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (AssignedPartition p : which) {
      advance(p);
      String meta = attemptsMetadata(p.submitted.first());
      long known = sync ? p.committed : p.requested;
      String knownMeta = sync ? p.committedMeta : p.requestedMeta;
      if (p.next > known || (p.next == known && !meta.equals(knownMeta))) {
        offsets.put(p.tp, new OffsetAndMetadata(p.next, meta));
      }
    }
    if (offsets.isEmpty()) {
      return;
    }
    if (sync) {
      commitSync(offsets);
    } else {
      commitAsync(offsets);
    }
  }

  /**
   * Moves {@link AssignedPartition#next} past the finished prefix, storing a pending dead letter
   * at its head when its next try is due.
   */
  private void advance(AssignedPartition p) {
    while (true) {
      KafkaInboundMessage last = p.submitted.advance();
      if (last != null) {
        p.next = last.offset() + 1;
      }
      PositionTracker.Entry<KafkaInboundMessage> head = p.submitted.first();
      if (head == null || !deadLetters.retry(head.position())) {
        return;
      }
      head.position().deadLetterStored();
    }
  }

  private void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach((tp, o) -> partitions.get(tp).requested(o));
    consumer.commitAsync(offsets, (done, error) -> offsets.forEach((tp, o) -> {
      AssignedPartition p = partitions.get(tp);
      if (p == null) {
        return;
      }
      if (error == null) {
        p.committed(o);
      } else if (p.requested == o.offset() && p.requestedMeta.equals(o.metadata())) {
        p.requestAgain();
      }
    }));
    if (LOG.isDebugEnabled()) {
      LOG.debug("Group '{}' commits {}", group, offsets);
    }
  }

  private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    long deadline = System.nanoTime() + settings.adminTimeout().toNanos();
    while (true) {
      try {
        consumer.commitSync(offsets, settings.adminTimeout());
        offsets.forEach((tp, o) -> {
          AssignedPartition p = partitions.get(tp);
          if (p != null) {
            p.committed(o);
            p.requested(o);
          }
        });
        return;
      } catch (RebalanceInProgressException e) {
        if (System.nanoTime() > deadline || inRebalanceCallback) {
          LOG.warn("Committing offsets {} of group '{}' failed during a rebalance; those events "
              + "will be delivered again: {}", offsets, group, Errors.describe(e));
          return;
        }
        // Let the rebalance finish (its revoke callback commits what it can), then retry.
        consumer.poll(Duration.ofMillis(50));
        offsets.keySet().removeIf(tp -> !partitions.containsKey(tp));
        if (offsets.isEmpty()) {
          return;
        }
      } catch (WakeupException e) {
        throw e;
      } catch (KafkaException e) {
        LOG.warn("Committing offsets {} of group '{}' failed; those events will be delivered "
            + "again: {}", offsets, group, Errors.describe(e));
        return;
      }
    }
  }

  /** The commit metadata for the first unfinished message of a partition. */
  private static String attemptsMetadata(PositionTracker.Entry<KafkaInboundMessage> head) {
    if (head == null) {
      return "";
    }
    KafkaInboundMessage m = head.position();
    int made = Math.max(m.failedAttempts, m.prior);
    return made == 0 ? "" : ATTEMPTS_META + made + "@" + m.offset();
  }
}
