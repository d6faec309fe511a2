package io.relaybus.kafka;

import io.relaybus.DeadLetterReason;
import io.relaybus.DecodingException;
import io.relaybus.Event;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.Errors;
import io.relaybus.kafka.schema.SchemaNotFoundException;
import io.relaybus.kafka.schema.SchemaRegistryException;
import io.relaybus.spi.InboundMessage;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.TransportSubscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One group member: a {@link KafkaConsumer} driven by its own poll thread.
 *
 * <p>Only the poll thread touches the consumer. Handler threads record outcomes in the
 * message ({@link Msg#outcome}) and bump a progress counter; the poll thread commits, per
 * partition, the offset after the longest prefix of finished messages (never past an
 * unfinished or released one). Records fetched beyond the sink's capacity wait in a
 * per-partition buffer; a partition whose buffer is full is paused until it drains below
 * that: backpressure without dropping fetched records, with the consumer still prefetching
 * for partitions whose buffers have room. Handler threads wake the poll thread when a refill
 * batch of capacity is free, not per event, and offsets are committed every
 * {@code commit-interval}. On revoke, the member stops handing out records of the
 * revoked partitions, waits (up to the rebalance timeout) for their in-flight events and
 * commits what was finished, before the partitions move; lost partitions are never committed.
 */
final class KafkaSubscription implements TransportSubscription {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaSubscription.class);

  private static final int PENDING = 0;
  private static final int DONE = 1;
  private static final int RELEASED = 2;
  /** The handler gave up on it but its dead letter could not be stored yet. */
  private static final int DEAD_LETTER_PENDING = 3;
  private static final long DEAD_LETTER_RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final String ATTEMPTS_META = "relaybus-attempts=";
  private static final Pattern ATTEMPTS = Pattern.compile("relaybus-attempts=(\\d+)@(\\d+)");

  private final KafkaTransport transport;
  private final KafkaSettings settings;
  private final String topic;
  private final String group;
  private final MessageSink sink;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final Object submitLock = new Object();
  private final Object progressLock = new Object();
  /** Bumped by every signal that must wake the poll thread at once. */
  private final AtomicLong progress = new AtomicLong();
  /** Slots the sink has freed (one per finished message), for batched refills. */
  private final AtomicLong freed = new AtomicLong();
  /**
   * While the poll thread waits for capacity: the {@link #freed} count at which it wants to be
   * woken; {@code Long.MAX_VALUE} otherwise. Waking the poll thread for every freed slot made
   * it refill one record at a time, a thread hand-off per event; waiting for a quarter of the
   * window keeps the handlers busy (three quarters are still queued) at a fraction of the cost.
   */
  private volatile long wakeAt = Long.MAX_VALUE;
  /** A revoke waits for in-flight events: every outcome wakes it. */
  private volatile boolean revoking;
  /** Free slots the poll thread waits for before refilling (a quarter of maxInFlight). */
  private final int refillBatch;
  /** Texts of repeated header values, one cache per handler thread (they decode events). */
  private static final ThreadLocal<EventRecords.HeaderTexts> HEADER_TEXTS =
      ThreadLocal.withInitial(EventRecords.HeaderTexts::new);
  /** Poll thread only: the last drain left a record that cannot be handed yet (WAIT). */
  private boolean drainBlocked;
  /** Poll thread only: when offsets were last committed (asynchronously). */
  private long lastCommit = System.nanoTime();
  /**
   * While more records than this are buffered here, the poll thread only hands them out and
   * polls the consumer at most every poll timeout (for its callbacks and rebalances): one
   * {@code max.poll.records}, so the consumer is polled about as often as a plain poll loop
   * would poll it. Polling at every refill instead made the buffers reach the pause threshold
   * all the time, and a paused partition fetches nothing (measured: half the consume
   * throughput with the default {@code maxInFlight} of 64; ADR 0011).
   */
  private final int pollBelow;
  private long lastPoll = System.nanoTime();
  private final CountDownLatch joined = new CountDownLatch(1);
  private final CountDownLatch exited = new CountDownLatch(1);
  /** Poll thread only. */
  private final Map<TopicPartition, Track> tracks = new HashMap<>();
  private volatile boolean stopped;
  private volatile boolean closing;
  /** Poll thread only: a rebalance callback is running (no nested poll allowed). */
  private boolean inRebalanceCallback;
  /** Poll thread only: when the last "registry does not answer" warning was logged. */
  private long lastRegistryWarning = System.nanoTime() - TimeUnit.MINUTES.toNanos(1);

  KafkaSubscription(KafkaTransport transport, String topic, SubscribeOptions options,
      MessageSink sink, KafkaConsumer<byte[], byte[]> consumer) {
    this.transport = transport;
    this.settings = transport.settings();
    this.topic = topic;
    this.group = options.group();
    this.sink = sink;
    this.consumer = consumer;
    this.thread = transport.threadFactory("poller-" + topic + "-" + group).newThread(this::run);
    int maxInFlight = options.maxInFlight() == null ? 64 : options.maxInFlight();
    this.refillBatch = Math.max(1, maxInFlight / 4);
    this.pollBelow = maxPollRecords(settings);
    // The bus frees a message's capacity only after its ack/deadLetter/release returned; the
    // poll thread refills when enough capacity is there (see wakeAt).
    sink.onCapacity(this::slotFreed);
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

  @Override
  public void stopFetching() {
    synchronized (submitLock) {
      stopped = true;
    }
    signalProgress(); // let the poll thread pause its partitions now
  }

  @Override
  public void close() {
    stopFetching();
    closing = true;
    signalProgress();
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

  // ------------------------------------------------------------------ poll thread

  private void run() {
    try {
      consumer.subscribe(List.of(topic), new Rebalance());
      // The progress count as it was before the state (outcomes, capacity, buffers) was last
      // looked at. Taken before drain() and commit() read it, so a handler finishing after
      // that look is always seen: by its change of the count, which makes the next wait
      // return at once. Read at wait time instead, a window finished between drain() and the
      // wait gave no further signal and cost a whole poll timeout.
      long seen = progress.get();
      while (!closing) {
        try {
          int buffered = bufferedRecords();
          boolean backlog = buffered > 0;
          // After a wait that did not end with a refill batch of room (timeout, urgent
          // signal), whatever room there is gets used: room held by retry waits may not
          // come back soon.
          boolean anyRoom = backlog && !awaitCapacity(seen, settings.pollTimeout());
          seen = progress.get();
          if (!backlog || buffered < pollBelow
              || System.nanoTime() - lastPoll >= settings.pollTimeout().toNanos()) {
            ConsumerRecords<byte[], byte[]> records =
                consumer.poll(backlog ? Duration.ZERO : settings.pollTimeout());
            lastPoll = System.nanoTime();
            for (TopicPartition tp : records.partitions()) {
              Track t = tracks.get(tp);
              if (t != null) {
                t.buffer(records.records(tp));
              }
            }
          }
          drain(anyRoom);
          long now = System.nanoTime();
          if (now - lastCommit >= settings.commitInterval().toNanos()) {
            lastCommit = now;
            commit(tracks.values(), false);
          }
          adjustPauses();
        } catch (WakeupException e) {
          // only close wakes the consumer; the loop condition decides
        } catch (RuntimeException e) {
          if (closing) {
            break;
          }
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
        commit(tracks.values(), true);
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
    for (Track t : tracks.values()) {
      n += t.bufferedRecords();
    }
    return n;
  }

  /**
   * Hands buffered records to the sink, round-robin over partitions, while capacity lasts.
   * Records are decoded first and submitted together, and only once a refill batch of room
   * is free (unless {@code anyRoom}): a handler thread that has run dry is woken once per
   * batch instead of once per record.
   */
  private void drain(boolean anyRoom) {
    synchronized (submitLock) {
      if (stopped) {
        drainBlocked = true; // nothing is handed out any more: only wait
        return;
      }
      int capacity = sink.capacity();
      if (capacity < refillBatch && !anyRoom) {
        drainBlocked = false;
        return; // handlers are busy with the rest of the window: wait for a batch of room
      }
      boolean any = true;
      Set<Track> waiting = new HashSet<>();
      List<Msg> ready = new ArrayList<>(Math.min(capacity, refillBatch * 4));
      drainBlocked = false;
      while (capacity > 0 && any) {
        any = false;
        for (Track t : tracks.values()) {
          if (waiting.contains(t)) {
            continue;
          }
          ConsumerRecord<byte[], byte[]> record = t.takeBuffered();
          if (record == null) {
            continue;
          }
          any = true;
          Handed handed = hand(t, record);
          if (handed == Handed.WAIT) {
            t.putBack(record);
            waiting.add(t);
            drainBlocked = true;
            continue;
          }
          if (handed == Handed.READY) {
            ready.add(t.submitted.peekLast());
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
      }
      submit(ready);
    }
  }

  private void submit(List<Msg> ready) {
    if (!ready.isEmpty()) {
      sink.submitAll(ready);
      ready.clear();
    }
  }

  /** What became of a buffered record. */
  private enum Handed { READY, FINISHED, WAIT }

  /**
   * Prepares a record for the bus. Only what can make its partition wait is done here: the
   * value is unframed (and validated) with the schema registry, which may not answer now. The
   * CloudEvents envelope is decoded later, on the handler thread that first asks for the
   * event ({@link Msg#event()}), so the poll thread's work per record stays small.
   */
  private Handed hand(Track t, ConsumerRecord<byte[], byte[]> record) {
    Msg msg = new Msg(t, record);
    if (replayedForOtherGroup(EventRecords.header(record, EventRecords.REPLAY_GROUP))) {
      return skip(t, msg);
    }
    try {
      msg.data = transport.framing().decode(record.topic(), record.value());
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
        return Handed.WAIT;
      }
      return deadLetterUnreadable(t, msg, record, e);
    } catch (RuntimeException e) {
      return deadLetterUnreadable(t, msg, record, e);
    }
    t.submitted.addLast(msg);
    return Handed.READY;
  }

  private boolean replayedForOtherGroup(String replayGroup) {
    return replayGroup != null && !replayGroup.equals(group);
  }

  /** A dead letter replayed for another group: finished here without handling. */
  private static Handed skip(Track t, Msg msg) {
    msg.outcome = DONE;
    t.submitted.addLast(msg);
    return Handed.FINISHED;
  }

  private Handed deadLetterUnreadable(Track t, Msg msg, ConsumerRecord<byte[], byte[]> record,
      RuntimeException e) {
    LOG.warn("Record {}-{}@{} is not a readable event; dead-lettering it for group '{}': {}",
        record.topic(), record.partition(), record.offset(), group, Errors.describe(e));
    try {
      msg.event = EventRecords.toEvent(record, SchemaFraming.NONE); // keep the original value
    } catch (RuntimeException notAnEvent) {
      msg.event = transport.deadLetterStore().placeholder(record);
    }
    t.submitted.addLast(msg);
    try {
      msg.storeDeadLetter(DeadLetterReason.UNDECODABLE, 0, e);
      msg.outcome = DONE;
      return Handed.FINISHED;
    } catch (RuntimeException storeFailed) {
      // Not stored: keep the record and try again on the next loop; its partition waits.
      t.submitted.pollLast();
      LOG.warn("Cannot store the dead letter of record {}-{}@{} for group '{}'; retrying: {}",
          record.topic(), record.partition(), record.offset(), group,
          Errors.describe(storeFailed));
      return Handed.WAIT;
    }
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
      Track t = tracks.get(tp);
      boolean hold = stopped || (t != null && t.bufferFull());
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

  /** Commits, per partition, the offset after the finished prefix of its messages. */
  private void commit(Collection<Track> which, boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (Track t : which) {
      Msg head;
      while ((head = t.submitted.peekFirst()) != null
          && (head.outcome == DONE || retryDeadLetter(head))) {
        t.submitted.pollFirst();
        t.next = head.offset + 1;
      }
      String meta = attemptsMetadata(t.submitted.peekFirst());
      long known = sync ? t.committed : t.requested;
      String knownMeta = sync ? t.committedMeta : t.requestedMeta;
      if (t.next > known || (t.next == known && !meta.equals(knownMeta))) {
        offsets.put(t.tp, new OffsetAndMetadata(t.next, meta));
      }
    }
    if (offsets.isEmpty()) {
      return;
    }
    if (!sync) {
      offsets.forEach((tp, o) -> tracks.get(tp).requested(o));
      consumer.commitAsync(offsets, (done, error) -> offsets.forEach((tp, o) -> {
        Track t = tracks.get(tp);
        if (t == null) {
          return;
        }
        if (error == null) {
          t.committed(o);
        } else if (t.requested == o.offset() && t.requestedMeta.equals(o.metadata())) {
          t.requested = t.committed; // send again on the next loop
          t.requestedMeta = t.committedMeta;
        }
      }));
      if (LOG.isDebugEnabled()) {
        LOG.debug("Group '{}' commits {}", group, offsets);
      }
      return;
    }
    long deadline = System.nanoTime() + settings.adminTimeout().toNanos();
    while (true) {
      try {
        consumer.commitSync(offsets, settings.adminTimeout());
        offsets.forEach((tp, o) -> {
          Track t = tracks.get(tp);
          if (t != null) {
            t.committed(o);
            t.requested(o);
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
        offsets.keySet().removeIf(tp -> !tracks.containsKey(tp));
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

  /**
   * Stores a dead letter that could not be stored when the handler gave up (at most every
   * {@value #DEAD_LETTER_RETRY_NANOS} ns); the partition's commit waits for it.
   */
  private boolean retryDeadLetter(Msg m) {
    if (m.outcome != DEAD_LETTER_PENDING || System.nanoTime() < m.nextDeadLetterTry) {
      return false;
    }
    try {
      m.storeDeadLetter(m.pendingReason, m.pendingAttempts, m.pendingError);
      m.outcome = DONE;
      LOG.info("Stored the dead letter of {}-{}@{} for group '{}' on a later try",
          m.record.topic(), m.record.partition(), m.offset, group);
      return true;
    } catch (RuntimeException e) {
      m.nextDeadLetterTry = System.nanoTime() + DEAD_LETTER_RETRY_NANOS;
      LOG.debug("Dead letter of {}-{}@{} still cannot be stored: {}", m.record.topic(),
          m.record.partition(), m.offset, Errors.describe(e));
      return false;
    }
  }

  /**
   * Commit metadata carrying the attempts already made on the first unfinished event of a
   * partition, so the next owner (after a close, crash or rebalance) continues its count.
   */
  private static String attemptsMetadata(Msg head) {
    if (head == null) {
      return "";
    }
    int made = Math.max(head.failedAttempts, head.prior);
    return made == 0 ? "" : ATTEMPTS_META + made + "@" + head.offset;
  }

  /**
   * Waits, while records are buffered, until the sink has room for a refill batch, an urgent
   * signal moves the progress count past {@code seen} (a failed attempt, a dead letter, a
   * release, stop or close), or {@code max} passes.
   *
   * @return whether a refill batch of room is there (false: use whatever room there is)
   */
  private boolean awaitCapacity(long seen, Duration max) {
    long freedBefore = freed.get(); // read before capacity: a slot freed in between wakes early
    int missing = refillBatch - sink.capacity();
    if (missing <= 0) {
      if (!drainBlocked) {
        return true; // handlers finished a batch while the poll thread committed: refill now
      }
      missing = 1; // a record waits for the registry or a dead-letter store: retry on timeout
    }
    wakeAt = freedBefore + missing;
    try {
      long deadline = System.nanoTime() + max.toNanos();
      synchronized (progressLock) {
        long remaining;
        while (progress.get() == seen && freed.get() < wakeAt && !closing
            && (remaining = deadline - System.nanoTime()) > 0) {
          try {
            TimeUnit.NANOSECONDS.timedWait(progressLock, remaining);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        }
        return freed.get() >= wakeAt && !drainBlocked;
      }
    } finally {
      wakeAt = Long.MAX_VALUE;
    }
  }

  /** The sink freed one slot: wakes the poll thread when its refill batch is complete. */
  private void slotFreed() {
    if (freed.incrementAndGet() >= wakeAt || revoking) {
      wakeUp();
    }
  }

  /** An outcome was recorded: only a waiting revoke needs to know at once. */
  private void outcomeRecorded() {
    if (revoking) {
      wakeUp();
    }
  }

  /** Wakes the poll thread now (failed attempts, dead letters, releases, stop, close). */
  private void signalProgress() {
    progress.incrementAndGet();
    wakeUp();
  }

  private void wakeUp() {
    synchronized (progressLock) {
      progressLock.notifyAll();
    }
  }

  private static boolean settled(Track t) {
    for (Msg m : t.submitted) {
      if (m.outcome == PENDING) {
        return false;
      }
    }
    return true;
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      try {
        if (!partitions.isEmpty()) {
          Map<TopicPartition, OffsetAndMetadata> committed =
              consumer.committed(new HashSet<>(partitions), settings.adminTimeout());
          Map<TopicPartition, OffsetAndMetadata> pin = new HashMap<>();
          for (TopicPartition tp : partitions) {
            Track t = new Track(tp);
            OffsetAndMetadata c = committed.get(tp);
            if (c == null) {
              // A new group's start (EARLIEST/LATEST) is resolved now and committed, so a
              // later rebalance cannot move it past events published meanwhile.
              long position = consumer.position(tp, settings.adminTimeout());
              pin.put(tp, new OffsetAndMetadata(position));
              t.committed(new OffsetAndMetadata(position));
              t.requested(new OffsetAndMetadata(position));
              t.next = position;
            } else {
              t.committed(c);
              t.requested(c);
              t.next = c.offset();
              Matcher m = ATTEMPTS.matcher(c.metadata() == null ? "" : c.metadata());
              if (m.matches()) {
                t.priorAttempts = Integer.parseInt(m.group(1));
                t.priorOffset = Long.parseLong(m.group(2));
              }
            }
            tracks.put(tp, t);
          }
          if (!pin.isEmpty()) {
            consumer.commitSync(pin, settings.adminTimeout());
          }
          LOG.debug("Group '{}' member of topic '{}' assigned {}", group, topic, partitions);
        }
      } finally {
        joined.countDown();
      }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      inRebalanceCallback = true;
      revoking = true;
      try {
        revoke(partitions);
      } finally {
        revoking = false;
        inRebalanceCallback = false;
      }
    }

    private void revoke(Collection<TopicPartition> partitions) {
      List<Track> revoked = new ArrayList<>();
      for (TopicPartition tp : partitions) {
        Track t = tracks.get(tp);
        if (t != null) {
          t.clearBuffer();
          revoked.add(t);
        }
      }
      if (revoked.isEmpty()) {
        return;
      }
      // When closing, the bus has already waited for the member's handlers (its close
      // timeout); whatever is still unfinished is released or is the closing handler itself.
      long deadline = System.nanoTime()
          + (closing ? 0 : settings.rebalanceTimeout().toNanos());
      synchronized (progressLock) {
        long remaining;
        while (!revoked.stream().allMatch(KafkaSubscription::settled)
            && (remaining = deadline - System.nanoTime()) > 0) {
          try {
            TimeUnit.NANOSECONDS.timedWait(progressLock, Math.min(remaining,
                TimeUnit.MILLISECONDS.toNanos(50)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
      commit(revoked, true);
      for (Track t : revoked) {
        if (!settled(t) && !closing) {
          LOG.warn("Partition {} of group '{}' revoked while {} event(s) were still being "
              + "handled after {} ({}); they will be delivered again to the new owner",
              t.tp, group, t.submitted.stream().filter(m -> m.outcome == PENDING).count(),
              settings.rebalanceTimeout(), KafkaSettings.REBALANCE_TIMEOUT);
        }
        t.gone = true;
        tracks.remove(t.tp);
      }
      LOG.debug("Group '{}' member of topic '{}' revoked {}", group, topic, partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        Track t = tracks.remove(tp);
        if (t != null) {
          t.gone = true;
        }
      }
      LOG.warn("Group '{}' member of topic '{}' lost partitions {} (session expired); their "
          + "unfinished events will be delivered again", group, topic, partitions);
    }
  }

  /** One assigned partition's fetched-not-submitted records and submitted-not-committed ones. */
  private static final class Track {
    final TopicPartition tp;
    /**
     * Fetched records not yet handed to the sink. The partition is paused only when this holds
     * {@value #PAUSE_RECORDS} records or {@value #PAUSE_BYTES} bytes: pausing whenever anything
     * was left over (every poll returns more than a handler window) stopped the consumer's
     * prefetching, so each refill waited for a fetch round trip.
     */
    final ArrayDeque<ConsumerRecord<byte[], byte[]>> buffered = new ArrayDeque<>();
    private long bufferedBytes;
    static final int PAUSE_RECORDS = 1_000;
    static final long PAUSE_BYTES = 1L << 20;
    final ArrayDeque<Msg> submitted = new ArrayDeque<>();
    /** Offset after the finished prefix. */
    long next;
    /** Last offset (and its metadata) the broker confirmed as committed. */
    long committed = -1;
    String committedMeta = "";
    /** Last offset (and its metadata) sent in an asynchronous commit. */
    long requested = -1;
    String requestedMeta = "";
    /** Attempts an earlier owner made on the event at priorOffset (from commit metadata). */
    long priorOffset = -1;
    int priorAttempts;

    void committed(OffsetAndMetadata o) {
      if (o.offset() >= committed) {
        committed = o.offset();
        committedMeta = o.metadata() == null ? "" : o.metadata();
      }
    }

    void requested(OffsetAndMetadata o) {
      if (o.offset() >= requested) {
        requested = o.offset();
        requestedMeta = o.metadata() == null ? "" : o.metadata();
      }
    }
    volatile boolean gone;

    Track(TopicPartition tp) {
      this.tp = tp;
    }


    void buffer(List<ConsumerRecord<byte[], byte[]>> records) {
      for (ConsumerRecord<byte[], byte[]> r : records) {
        buffered.addLast(r);
        bufferedBytes += size(r);
      }
    }

    int bufferedRecords() {
      return buffered.size();
    }

    ConsumerRecord<byte[], byte[]> takeBuffered() {
      ConsumerRecord<byte[], byte[]> r = buffered.pollFirst();
      if (r != null) {
        bufferedBytes -= size(r);
      }
      return r;
    }

    void putBack(ConsumerRecord<byte[], byte[]> r) {
      buffered.addFirst(r);
      bufferedBytes += size(r);
    }

    void clearBuffer() {
      buffered.clear();
      bufferedBytes = 0;
    }

    boolean bufferFull() {
      return buffered.size() >= PAUSE_RECORDS || bufferedBytes >= PAUSE_BYTES;
    }

    private static long size(ConsumerRecord<byte[], byte[]> r) {
      return Math.max(0, r.serializedKeySize()) + Math.max(0, r.serializedValueSize());
    }
  }

  /**
   * A delivery's {@code kafka.topic}, {@code kafka.partition} and {@code kafka.offset}, built
   * only when a handler looks at them (most never do).
   */
  private static final class RecordMetadata extends AbstractMap<String, String> {
    private final ConsumerRecord<?, ?> record;
    private Map<String, String> entries;

    RecordMetadata(ConsumerRecord<?, ?> record) {
      this.record = record;
    }

    @Override
    public Set<Map.Entry<String, String>> entrySet() {
      Map<String, String> e = entries;
      if (e == null) {
        e = Map.of("kafka.topic", record.topic(),
            "kafka.partition", Integer.toString(record.partition()),
            "kafka.offset", Long.toString(record.offset()));
        entries = e; // immutable and built the same each time: a racing second build is fine
      }
      return e.entrySet();
    }
  }

  /** One record handed to the bus. */
  private final class Msg implements InboundMessage {
    final Track track;
    final ConsumerRecord<byte[], byte[]> record;
    final long offset;
    /** Attempts made by earlier owners of the partition. */
    final int prior;
    /** The unframed value (poll thread, before submit). */
    byte[] data;
    /** Decoded on first use (a handler thread), or set by the poll thread for dead letters. */
    volatile Event event;
    volatile int outcome = PENDING;
    /** The last attempt that failed in this member (absolute, counting prior attempts). */
    volatile int failedAttempts;
    /** A dead letter waiting to be stored (outcome DEAD_LETTER_PENDING). */
    volatile DeadLetterReason pendingReason;
    volatile int pendingAttempts;
    volatile Throwable pendingError;
    /** Poll thread only: when to try storing the pending dead letter again. */
    long nextDeadLetterTry;

    Msg(Track track, ConsumerRecord<byte[], byte[]> record) {
      this.track = track;
      this.record = record;
      this.offset = record.offset();
      this.prior = offset == track.priorOffset ? track.priorAttempts : 0;
    }

    @Override
    public Event event() {
      Event e = event;
      if (e == null) {
        try {
          e = EventRecords.toEvent(record, data, HEADER_TEXTS.get());
        } catch (RuntimeException notAnEvent) {
          throw new DecodingException("Kafka record " + record.topic() + "-"
              + record.partition() + "@" + offset + " is not a readable event: "
              + Errors.describe(notAnEvent), notAnEvent);
        }
        event = e; // a racing second decode builds an equal event
      }
      return e;
    }

    @Override
    public String key() {
      byte[] key = record.key();
      return key == null ? null : new String(key, StandardCharsets.UTF_8);
    }

    @Override
    public int attempt() {
      return 1 + prior;
    }

    @Override
    public void retrying(int failedAttempt, Throwable error, Duration delay) {
      failedAttempts = failedAttempt;
      signalProgress();
    }

    @Override
    public Map<String, String> metadata() {
      return new RecordMetadata(record);
    }

    @Override
    public void ack() {
      outcome = DONE;
      outcomeRecorded();
    }

    @Override
    public void deadLetter(DeadLetterReason reason, int attempts, Throwable lastError) {
      try {
        storeDeadLetter(reason, attempts, lastError);
        outcome = DONE;
      } catch (RuntimeException e) {
        // The group goes on; the offset is not committed past this event until the poll
        // thread has stored its dead letter (or a new owner handles it again).
        LOG.warn("Cannot store the dead letter of {}-{}@{} for group '{}' now; the poll thread "
            + "retries and the partition's commit waits: {}", record.topic(),
            record.partition(), offset, group, Errors.describe(e));
        pendingReason = reason;
        pendingAttempts = attempts;
        pendingError = lastError;
        nextDeadLetterTry = System.nanoTime() + DEAD_LETTER_RETRY_NANOS;
        outcome = DEAD_LETTER_PENDING;
      } finally {
        signalProgress();
      }
    }

    void storeDeadLetter(DeadLetterReason reason, int attempts, Throwable lastError) {
      transport.deadLetterStore().write(topic, group, record, eventOrPlaceholder(), reason,
          attempts, lastError);
    }

    /** The event, or for a record that is none, a stand-in keeping its value. */
    private Event eventOrPlaceholder() {
      try {
        return event();
      } catch (DecodingException notAnEvent) {
        try {
          return EventRecords.toEvent(record, SchemaFraming.NONE); // the original value
        } catch (RuntimeException stillNot) {
          return transport.deadLetterStore().placeholder(record);
        }
      }
    }

    @Override
    public void release() {
      outcome = RELEASED;
      signalProgress();
    }
  }
}
