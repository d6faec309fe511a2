package io.relaybus.kafka;

import io.relaybus.spi.Errors;
import io.relaybus.spi.PositionTracker;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.OffsetMetadataTooLarge;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits a member's offsets: per partition, the offset after the longest finished prefix of
 * its submitted messages (never past an unfinished or released one), with commit metadata
 * ({@link CommitMetadata}) carrying the attempts already made on the first unfinished event and
 * the offsets finished beyond it, so the next owner (after a close, crash or rebalance)
 * continues the count and skips what is finished. Periodic commits are asynchronous; those of a
 * revoke and of close are synchronous. Poll thread only.
 */
final class OffsetCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(OffsetCommitter.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaSettings settings;
  private final String group;
  private final Map<TopicPartition, AssignedPartition> partitions;
  private final DeadLetterWriter deadLetters;
  /**
   * The most characters of commit metadata: {@code commit-metadata-max-bytes}, or 0 (attempts
   * only) once the broker rejected metadata as too large.
   */
  private volatile int metadataLimit;
  /** When metadata was last too small for the finished ranges. */
  private long lastTruncationWarning = System.nanoTime() - TimeUnit.MINUTES.toNanos(2);
  /** A rebalance callback is running (no nested poll allowed). */
  private boolean inRebalanceCallback;

  OffsetCommitter(KafkaConsumer<byte[], byte[]> consumer, KafkaSettings settings, String group,
      Map<TopicPartition, AssignedPartition> partitions, DeadLetterWriter deadLetters) {
    this.consumer = consumer;
    this.settings = settings;
    this.group = group;
    this.partitions = partitions;
    this.deadLetters = deadLetters;
    this.metadataLimit = settings.commitMetadataMaxBytes();
  }

  void inRebalanceCallback(boolean running) {
    inRebalanceCallback = running;
  }

  /**
   * Starts a newly assigned partition at its committed offset, with the attempts and the
   * finished offsets stored with it.
   *
   * @param logEnd the partition's end offset; finished ranges at or beyond it are ignored
   */
  static void resume(AssignedPartition p, OffsetAndMetadata c, long logEnd) {
    p.committed(c);
    p.requested(c);
    p.next = c.offset();
    CommitMetadata meta = CommitMetadata.parse(c.metadata(), c.offset());
    if (meta.attempts > 0) {
      p.priorAttempts = meta.attempts;
      p.priorOffset = meta.attemptsOffset;
    }
    p.finishedEarlier(meta.aheadWithin(c.offset() + 1, logEnd));
  }

  /**
   * Whether a commit's metadata records offsets finished beyond the committed one (then the
   * partition's end offset is needed to {@link #resume} it).
   */
  static boolean recordsFinishedAhead(OffsetAndMetadata c) {
    return c.metadata() != null && c.metadata().contains(CommitMetadata.AHEAD);
  }

  /**
   * How many offsets of {@code [from, logEnd)} a commit's metadata records as finished beyond
   * the committed offset, for the lag's depth. Ranges written for another offset than the
   * committed one (an offset reset by a tool), below {@code from} or at or beyond the log end
   * do not count, nor does metadata not written by Relaybus.
   *
   * @param c the commit
   * @param from the group's position (the committed offset, or the log start when retention
   *     has passed it)
   * @param logEnd the partition's end offset
   * @return events finished ahead of the position
   */
  static long finishedAhead(OffsetAndMetadata c, long from, long logEnd) {
    return CommitMetadata.parse(c.metadata(), c.offset())
        .finishedWithin(Math.max(from, c.offset() + 1), logEnd);
  }

  /** Commits, per partition, the offset after the finished prefix of its messages. */
  void commit(Collection<AssignedPartition> which, boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (AssignedPartition p : which) {
      advance(p);
      String meta = metadata(p);
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
        return;
      }
      if (error instanceof OffsetMetadataTooLarge) {
        metadataTooLarge(error);
      }
      if (p.requested == o.offset() && p.requestedMeta.equals(o.metadata())) {
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
      } catch (OffsetMetadataTooLarge e) {
        if (metadataLimit == 0) {
          LOG.warn("Committing offsets {} of group '{}' failed; those events will be delivered "
              + "again: {}", offsets, group, Errors.describe(e));
          return;
        }
        metadataTooLarge(e);
        offsets.replaceAll((tp, o) -> new OffsetAndMetadata(o.offset(),
            metadata(partitions.get(tp))));
      } catch (WakeupException e) {
        throw e;
      } catch (KafkaException e) {
        LOG.warn("Committing offsets {} of group '{}' failed; those events will be delivered "
            + "again: {}", offsets, group, Errors.describe(e));
        return;
      }
    }
  }

  /**
   * The broker's {@code offset.metadata.max.bytes} is below {@code commit-metadata-max-bytes}:
   * from now on the member commits attempt counts only, so its commits go through and after a
   * crash more events are delivered again.
   */
  private void metadataTooLarge(Exception e) {
    if (metadataLimit > 0) {
      metadataLimit = 0;
      LOG.warn("The broker rejected the commit metadata of group '{}' as too large ({}={} "
          + "exceeds the broker's offset.metadata.max.bytes): from now on this member commits "
          + "no finished offsets beyond the committed ones, so after a crash more events are "
          + "delivered again: {}", group, KafkaSettings.COMMIT_METADATA_MAX_BYTES,
          settings.commitMetadataMaxBytes(), Errors.describe(e));
    }
  }

  /**
   * The commit metadata of a partition: the attempts made on its first unfinished message and
   * the offsets finished beyond it, within {@link #metadataLimit}.
   */
  private String metadata(AssignedPartition p) {
    PositionTracker.Entry<KafkaInboundMessage> head = p.submitted.first();
    int made = 0;
    if (head != null) {
      KafkaInboundMessage m = head.position();
      made = Math.max(m.failedAttempts, m.prior);
    }
    CommitMetadata.Writer w = new CommitMetadata.Writer(made, p.next, metadataLimit);
    if (metadataLimit > 0) {
      p.finishedAhead(w);
    }
    String text = w.finish();
    if (w.left() > 0) {
      long now = System.nanoTime();
      if (now - lastTruncationWarning > TimeUnit.MINUTES.toNanos(1)) {
        lastTruncationWarning = now;
        LOG.warn("Commit metadata of partition {} group '{}' cannot record {} event(s) finished "
            + "beyond offset {} within {} characters ({}); after a crash they will be delivered "
            + "again", p.tp, group, w.left(), p.next, metadataLimit,
            KafkaSettings.COMMIT_METADATA_MAX_BYTES);
      }
    }
    return text;
  }
}
