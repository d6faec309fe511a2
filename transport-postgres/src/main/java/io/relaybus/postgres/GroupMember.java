package io.relaybus.postgres;

import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.RelaybusException;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.Errors;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.TimeOrderedIds;
import io.relaybus.spi.TransportSubscription;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a consumer group, and its thread: it holds partitions of the topic by lease
 * ({@link PartitionLeases}), fetches their events ({@link FetchPlan}, {@link RowReader},
 * {@link PackReader}) into the delivery engine's sink and its {@link ReadAhead}, and writes
 * their cursors ({@link CursorWriter}) as events finish.
 *
 * <p>Per partition, events are read in {@code (txid, seq)} order and only below the oldest
 * running transaction, so none committed late is skipped. Acknowledgements advance the
 * partition's cursor over the finished prefix ({@link PartitionState}); finished events beyond
 * it are stored in {@code done_ahead} so a new owner does not deliver them again.
 *
 * <p>One thread per member does the fetching, heartbeats and cursor writes.
 */
final class GroupMember implements TransportSubscription {
  private static final Logger LOG = LoggerFactory.getLogger(GroupMember.class);

  private final MemberContext context;
  private final PostgresSettings settings;
  private final String topic;
  private final String group;
  private final String memberId;
  private final MessageSink sink;
  private final MemberStatements sql;
  private final PartitionLeases leases;
  private final DeadLetterWriter deadLetters;
  private final CursorWriter cursors;
  private final FetchPlan plan;
  private final RowReader rowReader;
  private final PackReader packReader;
  private final ReadAhead readAhead = new ReadAhead();
  private final MemberHealth health;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wakeUp = lock.newCondition();
  private boolean woken;
  private boolean heartbeatRequested;
  private volatile boolean fetching = true;
  private volatile boolean running = true;
  private final Thread thread;
  private long nextHeartbeat;
  private long nextCommit;
  /**
   * Whether a freed slot should wake the member: false only after a fetch that read everything
   * its partitions had, while notifications announce new rows (see {@link #capacityFreed}).
   */
  private volatile boolean wantsCapacity = true;
  /** How often the member looked for rows (for tests: who a notification woke). */
  private final AtomicLong fetchAttempts = new AtomicLong();

  GroupMember(MemberContext context, String topic, SubscribeOptions options, MessageSink sink) {
    this.context = context;
    this.settings = context.settings();
    this.topic = topic;
    this.group = options.group();
    this.sink = sink;
    this.health = context.health().member(topic, group);
    this.memberId = TimeOrderedIds.next();
    try (Connection c = context.database().connection()) {
      int partitionCount = context.topics().partitions(c, topic);
      this.sql = new MemberStatements(settings.schema, partitionCount);
      this.cursors = new CursorWriter(sql, context.database(), topic, group, memberId);
      this.leases = new PartitionLeases(sql, cursors, settings, topic, group, memberId,
          partitionCount, options.maxInFlight());
      leases.join(c, options.startPosition());
    } catch (SQLException e) {
      throw new RelaybusException("Cannot join group '" + group + "' of topic '"
          + topic + "' on PostgreSQL: " + e.getMessage(), e);
    }
    this.deadLetters = new DeadLetterWriter(sql, context.database(), topic, group,
        () -> running);
    this.plan = new FetchPlan(settings.fetchSize);
    this.rowReader = new RowReader(sql, leases, topic, group);
    this.packReader = new PackReader(sql, leases, plan, topic, group);
    sink.onCapacity(this::capacityFreed);
    this.thread = context.threads().apply("member-" + topic + "-" + group)
        .newThread(this::run);
    thread.start();
  }

  String topic() {
    return topic;
  }

  /** Its id in the {@code members} table and as the owner of the partitions it leases. */
  String memberId() {
    return memberId;
  }

  // ------------------------------------------------------------------ signals

  void wake() {
    lock.lock();
    try {
      woken = true;
      wakeUp.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether this member reads one of the partitions: a notification about others need not wake
   * it. Partitions it takes over later are read when it takes them.
   */
  boolean reads(BitSet partitions) {
    return leases.holdsAny(partitions);
  }

  /**
   * This member's health component: whether its heartbeats reach the database and it keeps its
   * leases.
   */
  MemberHealth health() {
    return health;
  }

  /** How often this member looked for rows since it started. */
  long fetchAttempts() {
    return fetchAttempts.get();
  }

  /** The partitions this member holds now. */
  Set<Integer> ownedPartitions() {
    return leases.partitions();
  }

  void requestHeartbeat() {
    lock.lock();
    try {
      heartbeatRequested = true;
      woken = true;
      wakeUp.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * A delivery finished and freed a slot. The member looks for rows again only if its last
   * fetch was short of room (it may have left rows unread), a partition it gives up waits for
   * its last events, or no notification would tell it about new rows (poll-only): looking after
   * every delivery would cost a fetch and a held-back check per event that found nothing.
   */
  private void capacityFreed() {
    if (wantsCapacity) {
      wake();
    }
  }

  // ------------------------------------------------------------------ main loop

  private void run() {
    long now = System.nanoTime();
    nextHeartbeat = now + heartbeatPeriod();
    nextCommit = now + settings.commitInterval.toNanos();
    int failures = 0;
    long heldBackoffMillis = 0;
    while (running) {
      boolean more = false;
      boolean held = false;
      now = System.nanoTime();
      boolean beat;
      lock.lock();
      try {
        beat = heartbeatRequested || now >= nextHeartbeat;
        heartbeatRequested = false;
        woken = false; // before the sink's room is read: a slot freed after that wakes it
      } finally {
        lock.unlock();
      }
      // Events read ahead go out first; the member reads again once all are handed over.
      boolean handedAll = fetching ? handOver() : dropReadAhead();
      if (!handedAll && !beat && now < nextCommit && !leases.anyDraining()) {
        waitFor(Math.max(1, TimeUnit.NANOSECONDS.toMillis(
            Math.min(nextHeartbeat, nextCommit) - now))); // until a delivery frees room
        continue;
      }
      try (Connection c = context.database().connection()) {
        if (beat) {
          leases.heartbeat(c, fetching);
          nextHeartbeat = System.nanoTime() + heartbeatPeriod();
        }
        if (fetching && handedAll) {
          more = fetch(c);
          held = !more && readAhead.isEmpty() && rowsHeldBack(c);
        }
        readAhead.dropUnread(leases);
        if (leases.releaseDrained(c)) {
          // Members waiting for a share take the freed partitions now, not at their next
          // heartbeat.
          context.registry().announceRebalance(topic);
        }
        if (System.nanoTime() >= nextCommit) {
          leases.commit(c);
          nextCommit = System.nanoTime() + settings.commitInterval.toNanos();
        }
        List<Integer> lost = leases.takeLost();
        if (!lost.isEmpty()) {
          health.lost(lost);
        } else if (beat || failures > 0) {
          health.passed();
        }
        if (failures > 0) {
          LOG.info("Member of group '{}' on topic '{}' reconnected after {} failure(s)", group,
              topic, failures);
          failures = 0;
        }
      } catch (SQLException | RuntimeException e) {
        if (!running) {
          return;
        }
        health.failed("heartbeat or fetch failed: " + Errors.describe(e));
        if (failures++ == 0) {
          LOG.warn("Member of group '{}' on topic '{}' lost the database ({}); retrying",
              group, topic, SqlErrors.rootCause(e));
        }
        waitFor(Math.min(5_000, 50L << Math.min(failures, 7)));
        continue;
      }
      // Rows committed but still behind an older running transaction become readable when it
      // ends, and nothing notifies that moment: look again soon, backing off to the poll interval.
      heldBackoffMillis = held ? Math.max(2, Math.min(heldBackoffMillis * 2,
          settings.pollInterval.toMillis())) : 0;
      if (!more) {
        long untilHeartbeat = TimeUnit.NANOSECONDS.toMillis(nextHeartbeat - System.nanoTime());
        long wait = Math.min(settings.pollInterval.toMillis(), Math.max(1, untilHeartbeat));
        if (held) {
          wait = Math.min(wait, heldBackoffMillis);
        }
        if (leases.anyDirty()) {
          wait = Math.min(wait, Math.max(1, settings.commitInterval.toMillis()));
        }
        waitFor(wait);
      }
    }
  }

  private long heartbeatPeriod() {
    return settings.leaseTimeout.toNanos() / 3;
  }

  private void waitFor(long millis) {
    lock.lock();
    try {
      long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
      while (!woken && running && nanos > 0) {
        nanos = wakeUp.awaitNanos(nanos);
      }
      woken = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  // ------------------------------------------------------------------ fetching

  /** Hands the events read ahead to the sink as far as it has room; whether none is left. */
  private boolean handOver() {
    if (readAhead.isEmpty()) {
      return true;
    }
    wantsCapacity = true; // before the capacity is read, as in fetch
    return readAhead.handOver(sink, sink.capacity(), leases);
  }

  /** Takes back every event read ahead; true, as none is left. */
  private boolean dropReadAhead() {
    readAhead.dropAll();
    return true;
  }

  /**
   * Fetches what the sink has room for and reads ahead as {@link FetchPlan} plans, keeping what
   * the sink cannot take yet in the {@link ReadAhead}; returns whether more may be waiting.
   */
  private boolean fetch(Connection c) throws SQLException {
    fetchAttempts.incrementAndGet();
    // Set before the capacity is read: a slot freed after that read wakes the member.
    wantsCapacity = true;
    int capacity = sink.capacity();
    if (capacity <= 0) {
      return false;
    }
    List<PartitionState> readable = leases.readable();
    if (readable.isEmpty()) {
      return false;
    }
    plan.plan(capacity, readable);
    List<PartitionState> asked = plan.asked();
    FetchPass pass = new FetchPass(this, sink, readAhead, capacity);
    boolean more;
    try {
      more = plan.readsPacks() ? packReader.read(c, asked, plan.shares(), pass)
          : rowReader.read(c, asked, plan.shares(), pass);
    } finally {
      pass.flush(); // in flight already: they must reach the bus even if reading failed
    }
    plan.fetched(pass.largest);
    if (!readAhead.isEmpty()) {
      return false; // the member reads again once a finished delivery made room for them all
    }
    if (more) {
      return true; // a partition filled its share: it may have more
    }
    if (plan.asksAll() && !settings.pollOnly && !leases.anyDraining()) {
      // Every partition was asked and none filled its share: it read all there was. New rows
      // come with a notification; a freed slot alone need not send the member looking again.
      wantsCapacity = false;
    }
    // Partitions left out of this turn (less room than partitions) come first next time; look
    // at once only if this fetch found rows, or a member with little room and nothing to read
    // would spin.
    return !plan.asksAll() && pass.rows > 0;
  }

  /** Whether committed rows of our partitions wait behind an older running transaction. */
  private boolean rowsHeldBack(Connection c) throws SQLException {
    List<Object> partitions = new ArrayList<>();
    for (PartitionState ps : leases.readable()) {
      partitions.add(ps.partition);
    }
    if (partitions.isEmpty()) {
      return false;
    }
    try (PreparedStatement ps = c.prepareStatement(sql.rowsHeldBack)) {
      Array held = c.createArrayOf("int4", partitions.toArray());
      ps.setString(1, topic);
      ps.setArray(2, held);
      ps.setString(3, topic);
      ps.setArray(4, held);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  // ------------------------------------------------------------------ outcomes

  /** A message was acked or dead-lettered. */
  void finished(PostgresInboundMessage message) {
    message.state.finish(message.entry);
    if (settings.commitInterval.isZero()) {
      wake();
    }
  }

  /** A message's attempt failed and the engine retries it. */
  void retrying(PostgresInboundMessage message, String eventId, int failedAttempt) {
    cursors.recordAttempt(message.state, message.seq, eventId, failedAttempt);
  }

  /** The engine gave up on a message: its dead letter is stored, then it is finished. */
  void deadLettered(PostgresInboundMessage message, Event event, DeadLetterReason reason,
      int attempts, Throwable lastError) {
    deadLetters.insert(message.state.partition, message.seq, event, reason, attempts,
        Errors.describe(lastError));
    finished(message);
  }

  // ------------------------------------------------------------------ close

  @Override
  public void stopFetching() {
    fetching = false;
    wantsCapacity = true; // what is in flight finishes now: release and commit promptly
    wake();
  }

  @Override
  public void close() {
    fetching = false;
    running = false;
    wake();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Connection c = context.database().connection()) {
      leases.leave(c);
    } catch (SQLException e) {
      LOG.warn("Member of group '{}' on topic '{}' could not write its final positions ({}); "
          + "other members continue after its lease expires, with possible redeliveries",
          group, topic, e.getMessage());
    }
    context.registry().left(this);
  }
}
