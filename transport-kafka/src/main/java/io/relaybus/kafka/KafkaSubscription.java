package io.relaybus.kafka;

import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.schema.SchemaNotFoundException;
import io.relaybus.kafka.schema.SchemaRegistryException;
import io.relaybus.ops.Health;
import io.relaybus.spi.Errors;
import io.relaybus.spi.HealthGrace;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.TransportSubscription;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One group member: a {@link KafkaConsumer} driven by its own poll thread, which polls, hands
 * buffered records to the bus, commits and pauses.
 *
 * <p>Only the poll thread touches the consumer. Records fetched beyond the bus's capacity wait
 * in their partition's {@link PartitionBuffer}; a partition whose buffer is full is paused until
 * it drains: backpressure without dropping fetched records, with the consumer still prefetching
 * for partitions whose buffers have room. Handler threads record outcomes in the
 * {@link KafkaInboundMessage}s and wake the poll thread ({@link PollWakeups}); the
 * {@link OffsetCommitter} commits every {@code commit-interval}; {@link PartitionRebalance}
 * follows the group's assignments and {@link DeadLetterWriter} stores the dead letters the bus
 * decides.
 */
final class KafkaSubscription implements TransportSubscription {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaSubscription.class);

  private final KafkaTransport transport;
  private final KafkaSettings settings;
  private final String topic;
  private final String group;
  private final MessageSink sink;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final Object submitLock = new Object();
  private final PollWakeups wakeups;
  private final DeadLetterWriter deadLetters;
  private final OffsetCommitter committer;
  /** Poll thread only. */
  private final Map<TopicPartition, AssignedPartition> partitions = new HashMap<>();
  /** Poll thread only: the last drain left a record that cannot be handed yet. */
  private boolean drainBlocked;
  /** Poll thread only: when offsets were last committed (asynchronously). */
  private long lastCommit = System.nanoTime();
  /**
   * While more records than this are buffered here, the poll thread only hands them out and
   * polls the consumer at most every poll timeout (for its callbacks and rebalances): one
   * {@code max.poll.records}, so the consumer is polled about as often as a plain poll loop
   * would poll it. Polling at every refill would fill the buffers up to the pause threshold all
   * the time, and a paused partition fetches nothing (ADR 0011).
   */
  private final int pollBelow;
  private long lastPoll = System.nanoTime();
  private final CountDownLatch joined = new CountDownLatch(1);
  private final CountDownLatch exited = new CountDownLatch(1);
  private volatile boolean stopped;
  private final StartPosition startPosition;
  private final String healthName;
  private final HealthGrace health;
  private final long created = System.nanoTime();
  /** When the poll loop last came round; written by the poll thread only. */
  private volatile long lastLoop = System.nanoTime();
  /** What the last poll loop failed with; null once one succeeds. Written by the poll thread. */
  private volatile String pollError;
  /** Poll thread only: when the last "registry does not answer" warning was logged. */
  private long lastRegistryWarning = System.nanoTime() - TimeUnit.MINUTES.toNanos(1);

  KafkaSubscription(KafkaTransport transport, String topic, SubscribeOptions options,
      MessageSink sink, KafkaConsumer<byte[], byte[]> consumer, String healthName) {
    this.transport = transport;
    this.startPosition = options.startPosition();
    this.healthName = healthName;
    this.health = new HealthGrace(healthName, transport.healthGrace(), Clock.systemUTC());
    this.settings = transport.settings();
    this.topic = topic;
    this.group = options.group();
    this.sink = sink;
    this.consumer = consumer;
    this.thread = transport.threadFactory("poller-" + topic + "-" + group).newThread(this::run);
    int maxInFlight = options.maxInFlight() == null ? 64 : options.maxInFlight();
    this.wakeups = new PollWakeups(sink, Math.max(1, maxInFlight / 4));
    this.pollBelow = maxPollRecords(settings);
    this.deadLetters = new DeadLetterWriter(transport.deadLetterStore(), topic, group);
    this.committer = new OffsetCommitter(consumer, settings, group, partitions, deadLetters);
  }

  private static int maxPollRecords(KafkaSettings settings) {
    Object v = settings.consumerProperties().get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG);
    return v == null ? ConsumerConfig.DEFAULT_MAX_POLL_RECORDS : Integer.parseInt(v.toString());
  }

  void start() {
    thread.start();
  }

  /** Waits for the first partition assignment (possibly empty); false on timeout. */
  boolean awaitJoined(Duration timeout) throws InterruptedException {
    return joined.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  String topic() {
    return topic;
  }

  String group() {
    return group;
  }

  StartPosition startPosition() {
    return startPosition;
  }

  String healthName() {
    return healthName;
  }

  /**
   * The member's health component: failing while its poll thread has stopped, its last poll
   * loop failed, the loop has not come round for longer than its slowest step can take (a
   * poll, a revoke's wait for in-flight events, three admin calls of an assignment), or no
   * partition assignment arrived within {@code join-timeout} of subscribing. The grace period
   * counts from the first call of this method that sees the failure.
   */
  Health.Component health() {
    String problem = problem();
    if (problem == null) {
      health.passed();
    } else {
      health.failed(problem);
    }
    return health.component();
  }

  private String problem() {
    if (wakeups.closing()) {
      return null; // closing: the member is about to leave the health report
    }
    if (exited.getCount() == 0) {
      return "the poll thread of topic '" + topic + "' group '" + group + "' has stopped";
    }
    String error = pollError;
    if (error != null) {
      return "polling topic '" + topic + "' group '" + group + "' failed: " + error;
    }
    long now = System.nanoTime();
    Duration stall = settings.pollTimeout().plus(settings.rebalanceTimeout())
        .plus(settings.adminTimeout().multipliedBy(3));
    long idle = now - lastLoop;
    if (idle > stall.toNanos()) {
      return "the poll loop of topic '" + topic + "' group '" + group + "' has not come round "
          + "for " + Duration.ofNanos(idle).toMillis() + " ms";
    }
    if (joined.getCount() > 0 && now - created > settings.joinTimeout().toNanos()) {
      return "no partition assignment for group '" + group + "' on topic '" + topic
          + "' within " + settings.joinTimeout() + " (" + KafkaSettings.JOIN_TIMEOUT
          + "): is the group coordinator reachable?";
    }
    return null;
  }

  @Override
  public void stopFetching() {
    synchronized (submitLock) {
      stopped = true;
    }
    wakeups.signal(); // let the poll thread pause its partitions now
  }

  @Override
  public void close() {
    stopFetching();
    wakeups.close();
    if (Thread.currentThread() != thread) {
      try {
        if (!exited.await(settings.closeTimeout().toMillis() + settings.rebalanceTimeout()
            .toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
          LOG.warn("Kafka poll thread of topic '{}' group '{}' did not stop in time", topic,
              group);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    transport.forget(this);
  }

  private void run() {
    try {
      consumer.subscribe(List.of(topic), new PartitionRebalance(consumer, settings, topic, group,
          partitions, committer, wakeups, joined));
      // The progress count as it was before the state (outcomes, capacity, buffers) was last
      // looked at. Taken before drain() and commit() read it, so a handler finishing after
      // that look is always seen: by its change of the count, which makes the next wait
      // return at once. Read at wait time instead, a window finished between drain() and the
      // wait would give no further signal and cost a whole poll timeout.
      long seen = wakeups.progress();
      while (!wakeups.closing()) {
        lastLoop = System.nanoTime();
        try {
          int buffered = bufferedRecords();
          boolean backlog = buffered > 0;
          // After a wait that did not end with a refill batch of room (timeout, urgent
          // signal), whatever room there is gets used: room held by retry waits may not
          // come back soon.
          boolean anyRoom = backlog
              && !wakeups.awaitCapacity(seen, settings.pollTimeout(), drainBlocked);
          seen = wakeups.progress();
          if (!backlog || buffered < pollBelow
              || System.nanoTime() - lastPoll >= settings.pollTimeout().toNanos()) {
            ConsumerRecords<byte[], byte[]> records =
                consumer.poll(backlog ? Duration.ZERO : settings.pollTimeout());
            lastPoll = System.nanoTime();
            for (TopicPartition tp : records.partitions()) {
              AssignedPartition p = partitions.get(tp);
              if (p != null) {
                p.buffer.addAll(records.records(tp));
              }
            }
          }
          drain(anyRoom);
          long now = System.nanoTime();
          if (now - lastCommit >= settings.commitInterval().toNanos()) {
            lastCommit = now;
            committer.commit(partitions.values(), false);
          }
          adjustPauses();
          if (pollError != null) {
            pollError = null;
          }
        } catch (WakeupException e) {
          // only close wakes the consumer; the loop condition decides
        } catch (RuntimeException e) {
          if (wakeups.closing()) {
            break;
          }
          pollError = Errors.describe(e);
          LOG.warn("Kafka consumer of topic '{}' group '{}' failed; retrying in 1s: {}", topic,
              group, Errors.describe(e), e instanceof KafkaException ? null : e);
          LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.error("Kafka poll thread of topic '{}' group '{}' stopped unexpectedly", topic, group,
          e);
    } finally {
      try {
        committer.commit(partitions.values(), true);
      } catch (RuntimeException e) {
        LOG.warn("Final commit of topic '{}' group '{}' failed: {}", topic, group,
            Errors.describe(e));
      }
      try {
        consumer.close(CloseOptions.timeout(settings.closeTimeout()));
      } catch (RuntimeException e) {
        LOG.warn("Closing the Kafka consumer of topic '{}' group '{}' failed: {}", topic, group,
            Errors.describe(e));
      }
      joined.countDown();
      exited.countDown();
    }
  }

  private int bufferedRecords() {
    int n = 0;
    for (AssignedPartition p : partitions.values()) {
      n += p.buffer.size();
    }
    return n;
  }

  /**
   * Hands buffered records to the sink, round-robin over partitions, while capacity lasts.
   * Records are prepared first and submitted together, and only once a refill batch of room is
   * free (unless {@code anyRoom}): a handler thread that has run dry is woken once per batch
   * instead of once per record.
   */
  private void drain(boolean anyRoom) {
    synchronized (submitLock) {
      if (stopped) {
        drainBlocked = true; // nothing is handed out any more: only wait
        return;
      }
      int capacity = sink.capacity();
      if (capacity < wakeups.refillBatch() && !anyRoom) {
        drainBlocked = false;
        return; // handlers are busy with the rest of the window: wait for a batch of room
      }
      boolean any = true;
      Set<AssignedPartition> waiting = new HashSet<>();
      List<KafkaInboundMessage> ready =
          new ArrayList<>(Math.min(capacity, wakeups.refillBatch() * 4));
      drainBlocked = false;
      while (capacity > 0 && any) {
        any = false;
        for (AssignedPartition p : partitions.values()) {
          if (waiting.contains(p)) {
            continue;
          }
          ConsumerRecord<byte[], byte[]> record = p.buffer.take();
          if (record == null) {
            continue;
          }
          any = true;
          KafkaInboundMessage msg = hand(p, record);
          if (msg == null) {
            p.buffer.putBack(record);
            waiting.add(p);
            drainBlocked = true;
            continue;
          }
          if (msg.entry.finished()) {
            continue; // skipped: nothing for the bus to do
          }
          ready.add(msg);
          capacity--;
          if (capacity == 0) {
            submit(ready);
            capacity = sink.capacity();
            if (capacity == 0) {
              break;
            }
          }
        }
      }
      submit(ready);
    }
  }

  private void submit(List<KafkaInboundMessage> ready) {
    if (!ready.isEmpty()) {
      sink.submitAll(ready);
      ready.clear();
    }
  }

  /**
   * Prepares a record for the bus and tracks it in its partition. Only what can make the
   * partition wait is done here: the value is unframed (and validated) with the schema
   * registry, which may not answer now. A value that is no valid frame or payload makes an
   * unreadable message, which the bus dead-letters.
   *
   * @return the message (finished already when an earlier owner of the partition finished it,
   *     or it is a dead letter replayed for another group), or {@code null} when the record
   *     must wait for the registry
   */
  private KafkaInboundMessage hand(AssignedPartition p, ConsumerRecord<byte[], byte[]> record) {
    KafkaInboundMessage msg = new KafkaInboundMessage(p, record, wakeups, deadLetters);
    if (p.finishedEarlier(record.offset())
        || replayedForOtherGroup(EventRecords.header(record, EventRecords.REPLAY_GROUP))) {
      msg.entry = p.submitted.addFinished(msg);
      return msg;
    }
    try {
      msg.data = EventRecords.data(record, transport.framing());
    } catch (SchemaRegistryException e) {
      if (!(e instanceof SchemaNotFoundException)) {
        // The registry cannot answer now: keep the record and try again on the next loop.
        long now = System.nanoTime();
        if (now - lastRegistryWarning > TimeUnit.SECONDS.toNanos(10)) {
          lastRegistryWarning = now;
          LOG.warn("Cannot read record {}-{}@{} for group '{}' while the schema registry does "
              + "not answer; its partition waits: {}", record.topic(), record.partition(),
              record.offset(), group, Errors.describe(e));
        }
        return null;
      }
      msg.unreadable(e);
    } catch (RuntimeException e) {
      msg.unreadable(e);
    }
    msg.entry = p.submitted.add(msg);
    return msg;
  }

  private boolean replayedForOtherGroup(String replayGroup) {
    return replayGroup != null && !replayGroup.equals(group);
  }

  private void adjustPauses() {
    Set<TopicPartition> assigned = consumer.assignment();
    if (assigned.isEmpty()) {
      return;
    }
    Set<TopicPartition> pause = new HashSet<>();
    Set<TopicPartition> resume = new HashSet<>();
    Set<TopicPartition> paused = consumer.paused();
    for (TopicPartition tp : assigned) {
      AssignedPartition p = partitions.get(tp);
      boolean hold = stopped || (p != null && p.buffer.full());
      if (hold && !paused.contains(tp)) {
        pause.add(tp);
      } else if (!hold && paused.contains(tp)) {
        resume.add(tp);
      }
    }
    if (!pause.isEmpty()) {
      consumer.pause(pause);
    }
    if (!resume.isEmpty()) {
      consumer.resume(resume);
    }
  }
}
