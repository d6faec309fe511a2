package io.relaybus.postgres;

import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.Errors;
import io.relaybus.spi.TimeOrderedIds;
import io.relaybus.spi.InboundMessage;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.TransportSubscription;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a consumer group. Members share a topic's partitions through leases in the
 * {@code cursors} table: each holds about {@code partitions / members} of them, renews its
 * leases with a heartbeat, and gives partitions up (after finishing their in-flight events)
 * when new members arrive. A member that stops heartbeating loses its leases after
 * {@code lease-timeout}, and its unfinished events go to the others.
 *
 * <p>Per partition, events are read in {@code (txid, seq)} order and only below the oldest
 * running transaction, so none committed late is skipped. Acknowledgements advance the
 * partition's cursor over the finished prefix; finished events beyond it are stored in
 * {@code done_ahead} so a new owner does not deliver them again.
 *
 * <p>One thread per member does the fetching, heartbeats and cursor writes.
 */
final class GroupMember implements TransportSubscription {
  /** Rows handed to the bus at once while a fetch is read. */
  private static final int SUBMIT_BATCH = 32;
  /**
   * About how many bytes of events a member reads ahead of what it can hand over. A fetch costs
   * the server a fixed 0.12 ms before its first row, so fetches only as large as the free room
   * (52 events on average with the default {@code maxInFlight} of 64) spent a fifth of their
   * time on it; reading ahead took end to end from 96–117k to 134–163k events/s (ADR 0013).
   */
  private static final int READ_AHEAD_BYTES = 1 << 20;
  /** What an event costs in memory besides its data, for {@link #READ_AHEAD_BYTES}. */
  private static final int EVENT_OVERHEAD_BYTES = 512;

  private static final Logger LOG = LoggerFactory.getLogger(GroupMember.class);

  private final PostgresTransport transport;
  private final PostgresSettings settings;
  private final String schema;
  private final String topic;
  private final String group;
  private final String memberId = TimeOrderedIds.next();
  private final MessageSink sink;
  private final int partitionCount;
  private final int maxInFlight;
  private final Map<Integer, PartitionState> owned = new ConcurrentHashMap<>();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wakeUp = lock.newCondition();
  private boolean woken;
  private boolean heartbeatRequested;
  private volatile boolean fetching = true;
  private volatile boolean running = true;
  private final Thread thread;
  private long nextHeartbeat;
  private long nextCommit;
  /** Member thread only: which readable partition gets the first share of the next fetch. */
  private int fetchRound;
  /**
   * Whether a freed slot should wake the member: false only after a fetch that read everything
   * its partitions had, while notifications announce new rows (see {@link #capacityFreed}).
   */
  private volatile boolean wantsCapacity = true;
  /**
   * Member thread only: events fetched beyond the room the sink had, in fetch order, handed
   * over as deliveries finish. Their positions are in flight (not done), so no cursor passes
   * them; dropped if their partition is given up or lost, or the member stops.
   */
  private final ArrayDeque<Message> readAhead = new ArrayDeque<>();
  /**
   * Member thread only: the size of the largest event of the last fetch that read any, 0 before
   * the first one. The largest, not the average, so that a few large events among small ones
   * keep the read-ahead small.
   */
  private int largestEventBytes;
  /** How often the member looked for rows (for tests: who a notification woke). */
  private final AtomicLong fetchAttempts = new AtomicLong();
  /** Fetch statements by the number of partitions they read (index 0 unused). */
  private final String[] fetchSql;
  /** The same for whole packs ({@link #fetchPacks}). */
  private final String[] fetchPacksSql;

  GroupMember(PostgresTransport transport, String topic, SubscribeOptions options,
      MessageSink sink) {
    this.transport = transport;
    this.settings = transport.settings();
    this.schema = settings.schema;
    this.topic = topic;
    this.group = options.group();
    this.sink = sink;
    this.maxInFlight = options.maxInFlight();
    try (Connection c = transport.database().connection()) {
      this.partitionCount = transport.partitions(c, topic);
      this.fetchSql = new String[partitionCount + 1];
      this.fetchPacksSql = new String[partitionCount + 1];
      createCursors(c, options.startPosition());
      heartbeat(c);
    } catch (SQLException e) {
      throw new io.relaybus.RelaybusException("Cannot join group '" + group + "' of topic '"
          + topic + "' on PostgreSQL: " + e.getMessage(), e);
    }
    sink.onCapacity(this::capacityFreed);
    this.thread = transport.threads("member-" + topic + "-" + group).newThread(this::run);
    thread.start();
  }

  String topic() {
    return topic;
  }

  // ------------------------------------------------------------------ setup

  /** Creates the group's cursors if the group is new: at the start, or at the current end. */
  private void createCursors(Connection c, StartPosition start) throws SQLException {
    String sql;
    if (start == StartPosition.EARLIEST) {
      sql = "INSERT INTO " + schema + ".cursors (topic, grp, partition) "
          + "SELECT ?, ?, p FROM generate_series(0, ? - 1) AS p ON CONFLICT DO NOTHING";
    } else {
      // LATEST: after the last event below the oldest running transaction. Transactions still
      // running commit above it, so nothing published after subscribe() returns is skipped.
      sql = "INSERT INTO " + schema + ".cursors (topic, grp, partition, last_txid, last_seq) "
          + "SELECT ?, ?, p, coalesce(l.txid, '0'::xid8), coalesce(l.seq, 0) "
          + "FROM generate_series(0, ? - 1) AS p LEFT JOIN LATERAL (SELECT t.txid, t.seq FROM ("
          + "  (SELECT e.txid, e.seq FROM " + schema + ".events e"
          + "   WHERE e.topic = ? AND e.partition = p"
          + "     AND e.txid < pg_snapshot_xmin(pg_current_snapshot())"
          + "   ORDER BY e.txid DESC, e.seq DESC LIMIT 1)"
          + "  UNION ALL" // a pack's seq is its last event's
          + "  (SELECT k.txid, k.seq FROM " + schema + ".packs k"
          + "   WHERE k.topic = ? AND k.partition = p"
          + "     AND k.txid < pg_snapshot_xmin(pg_current_snapshot())"
          + "   ORDER BY k.txid DESC, k.seq DESC LIMIT 1)"
          + ") t ORDER BY t.txid DESC, t.seq DESC LIMIT 1) l ON true "
          + "ON CONFLICT DO NOTHING";
    }
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setInt(3, partitionCount);
      if (start != StartPosition.EARLIEST) {
        ps.setString(4, topic);
        ps.setString(5, topic);
      }
      ps.executeUpdate();
    }
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
    for (Integer p : owned.keySet()) {
      if (partitions.get(p)) {
        return true;
      }
    }
    return false;
  }

  /** How often this member looked for rows since it started. */
  long fetchAttempts() {
    return fetchAttempts.get();
  }

  /** The partitions this member holds now. */
  Set<Integer> ownedPartitions() {
    return Set.copyOf(owned.keySet());
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
      boolean handedAll = fetching ? handOver() : dropReadAhead(m -> true);
      if (!handedAll && !beat && now < nextCommit && !anyDraining()) {
        waitFor(Math.max(1, TimeUnit.NANOSECONDS.toMillis(
            Math.min(nextHeartbeat, nextCommit) - now))); // until a delivery frees room
        continue;
      }
      try (Connection c = transport.database().connection()) {
        if (beat) {
          heartbeat(c);
          nextHeartbeat = System.nanoTime() + heartbeatPeriod();
        }
        if (fetching && handedAll) {
          more = fetch(c);
          held = !more && readAhead.isEmpty() && rowsHeldBack(c);
        }
        dropReadAhead(m -> m.state.draining || owned.get(m.state.partition) != m.state);
        releaseDrained(c);
        if (System.nanoTime() >= nextCommit) {
          commit(c);
          nextCommit = System.nanoTime() + settings.commitInterval.toNanos();
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
        if (failures++ == 0) {
          LOG.warn("Member of group '{}' on topic '{}' lost the database ({}); retrying",
              group, topic, e.getMessage());
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
        if (hasDirty()) {
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

  // ------------------------------------------------------------------ leases

  private void heartbeat(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema + ".members (topic, "
        + "grp, member) VALUES (?, ?, ?) ON CONFLICT (topic, grp, member) DO UPDATE SET "
        + "heartbeat_at = now()")) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setString(3, memberId);
      ps.executeUpdate();
    }
    Set<Integer> stillOwned = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + schema + ".cursors SET "
        + "lease_until = now() + ? * interval '1 millisecond' WHERE topic = ? AND grp = ? AND "
        + "owner = ? RETURNING partition")) {
      ps.setLong(1, settings.leaseTimeout.toMillis());
      ps.setString(2, topic);
      ps.setString(3, group);
      ps.setString(4, memberId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          stillOwned.add(rs.getInt(1));
        }
      }
    }
    for (Iterator<Integer> it = owned.keySet().iterator(); it.hasNext(); ) {
      int p = it.next();
      if (!stillOwned.contains(p)) {
        LOG.warn("Member of group '{}' lost partition {} of topic '{}' (lease expired); its "
            + "unfinished events go to another member", group, p, topic);
        it.remove();
      }
    }
    int live;
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + schema + ".members "
        + "WHERE topic = ? AND grp = ? AND heartbeat_at > now() - ? * interval '1 millisecond'")) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setLong(3, settings.leaseTimeout.toMillis());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        live = Math.max(1, rs.getInt(1));
      }
    }
    int share = (partitionCount + live - 1) / live;
    List<PartitionState> active = new ArrayList<>();
    for (PartitionState ps : owned.values()) {
      if (!ps.draining) {
        active.add(ps);
      }
    }
    if (!fetching) {
      return;
    }
    if (active.size() > share) {
      active.sort((a, b) -> Integer.compare(b.partition, a.partition));
      for (int i = 0; i < active.size() - share; i++) {
        active.get(i).draining = true;
      }
    } else if (active.size() < share) {
      claim(c, share - active.size());
    }
  }

  private void claim(Connection c, int count) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + schema + ".cursors c SET owner = ?, "
        + "lease_until = now() + ? * interval '1 millisecond' FROM (SELECT partition, owner AS "
        + "previous_owner FROM " + schema + ".cursors WHERE topic = ? AND grp = ? AND (owner IS "
        + "NULL OR lease_until < now()) ORDER BY partition LIMIT ? FOR UPDATE SKIP LOCKED) f "
        + "WHERE c.topic = ? AND c.grp = ? AND c.partition = f.partition RETURNING c.partition, "
        + "c.last_txid::text, c.last_seq, c.done_ahead, f.previous_owner IS NOT NULL")) {
      ps.setString(1, memberId);
      ps.setLong(2, settings.leaseTimeout.toMillis());
      ps.setString(3, topic);
      ps.setString(4, group);
      ps.setInt(5, count);
      ps.setString(6, topic);
      ps.setString(7, group);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          PartitionState state = new PartitionState(rs.getInt(1),
              Long.parseLong(rs.getString(2)), rs.getLong(3));
          Array done = rs.getArray(4);
          for (Long seq : (Long[]) done.getArray()) {
            state.doneAhead.add(seq);
          }
          if (rs.getBoolean(5)) {
            countCrashedAttempts(c, state);
          }
          owned.put(state.partition, state);
          LOG.debug("Member {} of group '{}' took partition {} of topic '{}'", memberId, group,
              state.partition, topic);
        }
      }
    }
  }

  /**
   * A partition taken over from a member whose lease expired: that member may have died while
   * handling the first unfinished event of each key (and unkeyed events) in its window. Count one
   * attempt for each, so an event that crashes every member that handles it still reaches the
   * dead letters after maxAttempts instead of stalling its key forever.
   */
  private void countCrashedAttempts(Connection c, PartitionState state) throws SQLException {
    // The first maxInFlight events after the committed position that are not finished yet.
    String window = "SELECT w0.seq, w0.key FROM (SELECT ?::text AS topic, ?::int AS partition, "
        + "?::xid8 AS txid, ?::bigint AS seq, ?::int8[] AS done, ?::text AS grp, ?::int AS lim) "
        + "q CROSS JOIN LATERAL (" + EventRows.window(schema, List.of("txid", "seq", "key"),
            "q.topic", "q.partition", "q.txid", "q.seq", "q.grp", "q.lim",
            "q.lim + cardinality(q.done)", "NOT {seq} = ANY (q.done)") + ") w0";
    String sql = "INSERT INTO " + schema + ".attempts (topic, grp, seq, partition, attempts) "
        + "SELECT ?, ?, h.seq, ?, 1 FROM (SELECT DISTINCT ON (coalesce(w.key, w.seq::text)) "
        + "w.seq FROM (" + window + ") w ORDER BY coalesce(w.key, w.seq::text), w.seq) h "
        + "ON CONFLICT (topic, grp, seq) DO UPDATE SET attempts = "
        + schema + ".attempts.attempts + 1 RETURNING seq";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setInt(3, state.partition);
      ps.setString(4, topic);
      ps.setInt(5, state.partition);
      ps.setString(6, Long.toString(state.committedTxid));
      ps.setLong(7, state.committedSeq);
      ps.setArray(8, c.createArrayOf("int8", state.doneAhead.toArray()));
      ps.setString(9, group);
      ps.setInt(10, maxInFlight);
      int n = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          state.retried.add(rs.getLong(1));
          n++;
        }
      }
      if (n > 0) {
        LOG.warn("Took over partition {} of topic '{}' from a member of group '{}' whose lease "
            + "expired; counted an attempt for {} event(s) it may have been handling", state.partition,
            topic, group, n);
      }
    }
  }

  /** Gives up partitions marked for draining once nothing of them is in flight. */
  private void releaseDrained(Connection c) throws SQLException {
    boolean handedOver = false;
    for (PartitionState ps : owned.values()) {
      boolean idle;
      synchronized (ps) {
        idle = ps.draining && ps.inFlight.isEmpty();
      }
      if (idle) {
        writeCursor(c, ps, true);
        owned.remove(ps.partition);
        handedOver = true;
        LOG.debug("Member {} of group '{}' handed over partition {} of topic '{}'", memberId,
            group, ps.partition, topic);
      }
    }
    if (handedOver) {
      // Members waiting for a share take the freed partitions now, not at their next heartbeat.
      transport.announceRebalance(topic);
    }
  }

  // ------------------------------------------------------------------ fetching

  /**
   * Fetches what the sink has room for, and when there is room at all, reads ahead up to
   * {@code fetch-size} events or {@link #READ_AHEAD_BYTES} worth of the largest event of the
   * last fetch (whichever is less), keeping what the sink cannot take yet in
   * {@link #readAhead}; returns whether more may be waiting.
   */
  private boolean fetch(Connection c) throws SQLException {
    fetchAttempts.incrementAndGet();
    // Set before the capacity is read: a slot freed after that read wakes the member.
    wantsCapacity = true;
    int capacity = sink.capacity();
    if (capacity <= 0) {
      return false;
    }
    int budget = capacity;
    if (largestEventBytes > 0) { // the first fetch reads no more than there is room for
      budget = Math.max(capacity,
          Math.min(settings.fetchSize, READ_AHEAD_BYTES / largestEventBytes));
    }
    List<PartitionState> readable = new ArrayList<>();
    for (PartitionState ps : owned.values()) {
      if (!ps.draining) {
        readable.add(ps);
      }
    }
    if (readable.isEmpty()) {
      return false;
    }
    // Each partition's rows are limited on their own (LATERAL … LIMIT p.lim): each is asked for
    // its share of the budget, the remainder going to partitions in turn, so a fetch never
    // reads more rows than it can hand over or keep. Asked for all of it, a member of n
    // partitions read up to n times the rows it could hand over and read the rest again.
    int n = readable.size();
    int start = Math.floorMod(fetchRound, n);
    List<PartitionState> asked = new ArrayList<>(n);
    int highest = 0;
    for (PartitionState ps : readable) {
      highest = Math.max(highest, ps.partition);
    }
    int[] unread = new int[highest + 1]; // per partition: its share minus the rows returned
    for (int k = 0; k < n; k++) {
      int share = Math.min(settings.fetchSize, budget / n + (k < budget % n ? 1 : 0));
      if (share == 0) {
        break; // the rest of this turn get nothing; later fetches start with them
      }
      PartitionState ps = readable.get((start + k) % n);
      asked.add(ps);
      unread[ps.partition] = share;
    }
    // The next fetch starts with the partitions this one left out, or with those after the
    // ones that got the remainder.
    fetchRound = start + (asked.size() < n ? asked.size() : Math.max(1, budget % n));
    int[] limits = unread.clone();
    Pass pass = new Pass(capacity);
    boolean more;
    try {
      more = largestEventBytes > 0 && largestEventBytes <= READ_AHEAD_BYTES / EventRows.MAX_PACK
          ? fetchPacks(c, asked, limits, pass) : fetchRows(c, asked, unread, pass);
    } finally {
      pass.flush(); // in flight already: they must reach the bus even if reading failed
    }
    for (InvalidRow row : pass.invalid) {
      LOG.warn("Row seq={} of topic '{}' is not a valid event ({}); dead-lettering it for group "
          + "'{}'", row.pos.seq, topic, row.error.getMessage(), group);
      insertDeadLetter(row.state, row.pos, row.event, DeadLetterReason.UNDECODABLE, 0,
          Errors.describe(row.error));
      complete(row.state, row.pos);
    }
    if (pass.largest > 0) {
      largestEventBytes = pass.largest;
    }
    if (!readAhead.isEmpty()) {
      return false; // the member reads again once a finished delivery made room for them all
    }
    if (more) {
      return true; // a partition filled its share: it may have more
    }
    if (asked.size() == n && !settings.pollOnly && !anyDraining()) {
      // Every partition was asked and none filled its share: it read all there was. New rows
      // come with a notification; a freed slot alone need not send the member looking again.
      wantsCapacity = false;
    }
    // Partitions left out of this turn (less room than partitions) come first next time; look
    // at once only if this fetch found rows, or a member with little room and nothing to read
    // would spin.
    return asked.size() < n && pass.rows > 0;
  }

  /**
   * Reads up to {@code unread} events of each asked partition one row per event (the fetch
   * until the member knows its events' size, and for large ones); returns whether a partition
   * filled its share.
   */
  private boolean fetchRows(Connection c, List<PartitionState> asked, int[] unread, Pass pass)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(fetchSql(asked.size()))) {
      // each partition's share, before any row is counted
      bindFetch(ps, asked, state -> new int[] {unread[state.partition]});
      try (ResultSet rs = ps.executeQuery()) {
        EventRows.Source row = new EventRows.Source() {
          @Override
          public Event event(int j) throws SQLException {
            return EventRows.read(rs, 4);
          }

          @Override
          public Event salvage(int j) throws SQLException {
            return EventRows.salvage(rs, 4);
          }
        };
        while (rs.next()) {
          int partition = rs.getInt(1);
          unread[partition]--;
          PartitionState state = owned.get(partition);
          if (state != null) {
            pass.offer(state, Long.parseLong(rs.getString(2)), rs.getLong(3), row, 0,
                rs.getInt(14));
          }
        }
      }
    }
    for (PartitionState p : asked) {
      if (unread[p.partition] <= 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Reads rows and whole packs of each asked partition ({@link EventRows#packedWindow}): at most
   * {@code limits} rows and the packs that likely hold that many events; returns whether a
   * partition filled its share. Events after the last row or pack of a partition that hit its
   * limit are left for the next fetch: an unread row or pack may come before them.
   */
  private boolean fetchPacks(Connection c, List<PartitionState> asked, int[] limits, Pass pass)
      throws SQLException {
    int highest = limits.length - 1;
    int[] packLimits = new int[highest + 1];
    List<Fetched> fetched = new ArrayList<>();
    for (PartitionState state : asked) {
      packLimits[state.partition] = packLimit(state, limits[state.partition]);
    }
    try (PreparedStatement ps = c.prepareStatement(fetchPacksSql(asked.size()))) {
      bindFetch(ps, asked,
          state -> new int[] {limits[state.partition], packLimits[state.partition]});
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Array retriedSeqs = rs.getArray(16);
          fetched.add(new Fetched(rs.getInt(1), new EventRows.Packed(rs, 2),
              retriedSeqs == null ? null : (Long[]) retriedSeqs.getArray(),
              retriedSeqs == null ? null : (Integer[]) rs.getArray(17).getArray()));
        }
      }
    }
    // Per partition, the last row and the last pack read, and how many of each.
    int[] rowCount = new int[highest + 1];
    int[] packCount = new int[highest + 1];
    int[] packEvents = new int[highest + 1];
    Fetched[] lastRow = new Fetched[highest + 1];
    Fetched[] lastPack = new Fetched[highest + 1];
    for (Fetched f : fetched) {
      if (f.events.packed) {
        packCount[f.partition]++;
        packEvents[f.partition] += f.events.size();
        lastPack[f.partition] = f;
      } else {
        rowCount[f.partition]++;
        lastRow[f.partition] = f;
      }
    }
    boolean more = false;
    Fetched[] cut = new Fetched[highest + 1]; // read up to its last event
    for (PartitionState state : asked) {
      int p = state.partition;
      if (rowCount[p] >= limits[p]) {
        cut[p] = lastRow[p];
      }
      if (packCount[p] >= packLimits[p] && (cut[p] == null || lastPack[p].before(cut[p]))) {
        cut[p] = lastPack[p];
      }
      more |= cut[p] != null;
      if (packCount[p] > 0) {
        state.eventsPerPack = Math.max(1, packEvents[p] / packCount[p]);
      }
    }
    for (Fetched f : fetched) {
      PartitionState state = owned.get(f.partition);
      Fetched until = cut[f.partition];
      if (state == null || (until != null && until.before(f))) {
        continue;
      }
      for (int j = 0; j < f.events.size(); j++) {
        long seq = f.events.seq(j);
        pass.offer(state, f.events.txid, seq, f.events, j, f.attempts(seq));
      }
    }
    return more;
  }

  /**
   * Binds a fetch statement: the topic, the group, and for each asked partition its read
   * position followed by its {@code limits}.
   */
  private void bindFetch(PreparedStatement ps, List<PartitionState> asked,
      Function<PartitionState, int[]> limits) throws SQLException {
    int i = 1;
    ps.setString(i++, topic);
    ps.setString(i++, group);
    for (PartitionState state : asked) {
      synchronized (state) {
        ps.setInt(i++, state.partition);
        ps.setString(i++, Long.toString(state.fetchedTxid));
        ps.setLong(i++, state.fetchedSeq);
      }
      for (int limit : limits.apply(state)) {
        ps.setInt(i++, limit);
      }
    }
  }

  /**
   * How many packs a fetch reads of a partition to get about {@code share} events, from the
   * events per pack its last fetch found (at first {@link EventRows#MAX_PACK}, so that the first
   * fetch reads no more than one pack beyond the share), and never more than
   * {@link #READ_AHEAD_BYTES} of packs of the largest size.
   */
  private int packLimit(PartitionState state, int share) {
    int packs = (share + state.eventsPerPack - 1) / state.eventsPerPack;
    int bytes = READ_AHEAD_BYTES / (EventRows.MAX_PACK * largestEventBytes);
    return Math.max(1, Math.min(packs, bytes));
  }

  /** A row of the pack fetch: its partition, events and their attempts so far. */
  private record Fetched(int partition, EventRows.Packed events, Long[] retriedSeqs,
      Integer[] retriedCounts) {
    /** Whether this row's events all come before {@code other}'s last. */
    boolean before(Fetched other) {
      return events.txid < other.events.txid
          || (events.txid == other.events.txid && events.seq < other.events.seq);
    }

    int attempts(long seq) {
      if (retriedSeqs != null) {
        for (int i = 0; i < retriedSeqs.length; i++) {
          if (retriedSeqs[i] == seq) {
            return retriedCounts[i];
          }
        }
      }
      return 0;
    }
  }

  /** What one fetch hands over: to the sink up to its room, the rest to the read-ahead. */
  private final class Pass {
    private final int capacity;
    private int submitted;
    /** Events read, new or not. */
    int rows;
    /** The largest event read, with {@link #EVENT_OVERHEAD_BYTES}; 0 if none. */
    int largest;
    final List<InvalidRow> invalid = new ArrayList<>();
    // Handed over in batches: one handler-thread wake-up per batch, not per row.
    private final List<Message> batch = new ArrayList<>(SUBMIT_BATCH);

    Pass(int capacity) {
      this.capacity = capacity;
    }

    /** One event read at {@code (txid, seq)}, attempted {@code attempts} times before. */
    void offer(PartitionState state, long txid, long seq, EventRows.Source source, int j,
        int attempts)
        throws SQLException {
      rows++;
      Position pos = new Position(txid, seq);
      synchronized (state) {
        if (!state.advanceFetched(txid, seq)) {
          return;
        }
        if (state.doneAhead.contains(seq)) {
          state.inFlight.add(pos.done());
          state.popDone();
          return;
        }
      }
      Event event;
      try {
        event = source.event(j);
      } catch (InvalidEventException e) {
        invalid.add(new InvalidRow(state, pos, source.salvage(j), e));
        synchronized (state) {
          state.inFlight.add(pos);
        }
        return;
      }
      synchronized (state) {
        state.inFlight.add(pos);
      }
      largest = Math.max(largest, event.dataLength() + EVENT_OVERHEAD_BYTES);
      Message message = new Message(state, pos, event, attempts + 1);
      if (submitted == capacity) {
        readAhead.add(message);
        return;
      }
      batch.add(message);
      submitted++;
      if (batch.size() == SUBMIT_BATCH) {
        sink.submitAll(batch);
        batch.clear();
      }
    }

    void flush() {
      if (!batch.isEmpty()) {
        sink.submitAll(batch);
        batch.clear();
      }
    }
  }

  /**
   * Hands events read ahead to the sink as far as it has room, dropping those of partitions
   * this member no longer reads; returns whether none is left.
   */
  private boolean handOver() {
    if (readAhead.isEmpty()) {
      return true;
    }
    wantsCapacity = true; // before the capacity is read, as in fetch
    int room = sink.capacity();
    List<Message> batch = new ArrayList<>(Math.min(room, SUBMIT_BATCH));
    while (room > 0 && !readAhead.isEmpty()) {
      Message m = readAhead.poll();
      if (m.state.draining || owned.get(m.state.partition) != m.state) {
        forget(m);
        continue;
      }
      batch.add(m);
      room--;
      if (batch.size() == SUBMIT_BATCH) {
        sink.submitAll(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      sink.submitAll(batch);
    }
    return readAhead.isEmpty();
  }

  /** Drops the events read ahead that {@code test} selects; returns whether none is left. */
  private boolean dropReadAhead(Predicate<Message> test) {
    readAhead.removeIf(m -> {
      if (test.test(m)) {
        forget(m);
        return true;
      }
      return false;
    });
    return readAhead.isEmpty();
  }

  /**
   * Takes an event read ahead back: its position and every later one of its partition leave
   * the in-flight positions (all were read ahead too, or finished before: those stay known in
   * {@code doneAhead}), and the partition is read again from before it. So giving a partition
   * up does not wait for events never handed over, and no cursor passes them.
   */
  private static void forget(Message m) {
    PartitionState state = m.state;
    synchronized (state) {
      boolean present = false;
      for (Iterator<Position> it = state.inFlight.descendingIterator(); it.hasNext(); ) {
        if (it.next() == m.pos) {
          present = true;
          break;
        }
      }
      if (!present) {
        return; // taken back with an earlier one
      }
      while (state.inFlight.pollLast() != m.pos) {
        // the later positions go with it
      }
      Position last = state.inFlight.peekLast();
      state.fetchedTxid = last == null ? state.committedTxid : last.txid;
      state.fetchedSeq = last == null ? state.committedSeq : last.seq;
    }
  }

  /**
   * A delivery finished and freed a slot. The member looks for rows again only if its last
   * fetch was short of room (it may have left rows unread), a partition it gives up waits for
   * its last events, or no notification would tell it about new rows (poll-only). Looking
   * after every delivery cost a fetch and a held-back check per event that found nothing.
   */
  private void capacityFreed() {
    if (wantsCapacity) {
      wake();
    }
  }

  /** Whether a partition this member holds is one it gives up and waits to release. */
  private boolean anyDraining() {
    return anyOwned(ps -> ps.draining);
  }

  private boolean anyOwned(Predicate<PartitionState> test) {
    for (PartitionState ps : owned.values()) {
      if (test.test(ps)) {
        return true;
      }
    }
    return false;
  }

  /** What a fetch reads of each event: its position, topic and attributes. */
  private static final List<String> FETCH_COLUMNS = List.of("txid", "seq", "topic", "id",
      "source", "type", "subject", "time", "datacontenttype", "dataschema", "key", "headers",
      "data");

  /**
   * The fetch statement for {@code partitions} partitions: each partition's position and share
   * is a row of a VALUES list, each limited on its own ({@code LATERAL … LIMIT p.lim}). The
   * list's length is in the text, not in an array parameter, so the server's generic plan of
   * the prepared statement knows how many partitions it reads and costs about what the custom
   * plans cost: after its first executions on a connection, PostgreSQL keeps the generic plan
   * instead of planning every fetch again (with arrays it estimated ten rows for any array and
   * re-planned each fetch: ≈ 0.2 ms of server time per fetch, more than running it). One text
   * per length, cached.
   */
  private String fetchSql(int partitions) {
    String sql = fetchSql[partitions];
    if (sql == null) {
      sql = "SELECT p.partition, e.txid::text, e.seq, " + EventRows.SELECT_COLUMNS
          + ", coalesce(a.attempts, 0)" + fetchFrom(partitions, "lim") + "CROSS JOIN LATERAL (" + EventRows.window(schema, FETCH_COLUMNS, "q.topic",
              "p.partition", "p.txid", "p.seq", "q.grp", "p.lim", "p.lim", null)
          + ") e LEFT JOIN " + schema + ".attempts a ON a.topic = q.topic AND a.grp = q.grp "
          + "AND a.seq = e.seq ORDER BY e.txid, e.seq";
      fetchSql[partitions] = sql;
    }
    return sql;
  }

  /**
   * The pack fetch statement for {@code partitions} partitions, as {@link #fetchSql} with each
   * partition's pack limit, and each row's attempts so far as two arrays (seqs and counts; an
   * attempts row of another partition within a pack's range is ignored by the reader).
   */
  private String fetchPacksSql(int partitions) {
    String sql = fetchPacksSql[partitions];
    if (sql == null) {
      sql = "SELECT p.partition, e.txid::text, e.seq, e.packed, e.seqs, e.ids, e.sources, "
          + "e.types, e.subjects, e.micros, e.datacontenttypes, e.dataschemas, e.keys, "
          + "e.headers, e.data, a.seqs, a.attempts" + fetchFrom(partitions, "lim", "plim")
          + "CROSS JOIN LATERAL (" + EventRows.packedWindow(schema, "q.topic", "p.partition",
              "p.txid", "p.seq", "q.grp", "p.lim", "p.plim")
          + ") e CROSS JOIN LATERAL (SELECT array_agg(a.seq) AS seqs, array_agg(a.attempts) AS "
          + "attempts FROM " + schema + ".attempts a WHERE a.topic = q.topic AND a.grp = q.grp "
          + "AND a.seq BETWEEN e.seqs[1] AND e.seq) a ORDER BY e.txid, e.seq";
      fetchPacksSql[partitions] = sql;
    }
    return sql;
  }

  /**
   * A fetch's FROM up to the partitions, in the order {@link #bindFetch} binds: the topic and
   * group ({@code q}), and a VALUES row per partition ({@code p}) of its read position and its
   * {@code limits} (integer columns of these names).
   */
  private static String fetchFrom(int partitions, String... limits) {
    String row = "(?::int, ?::xid8, ?::bigint" + ", ?::int".repeat(limits.length) + ")";
    return " FROM (SELECT ?::text AS topic, ?::text AS grp) q CROSS JOIN (VALUES "
        + String.join(", ", Collections.nCopies(partitions, row))
        + ") AS p(partition, txid, seq, " + String.join(", ", limits) + ") ";
  }

  /** Whether committed rows of our partitions wait behind an older running transaction. */
  private boolean rowsHeldBack(Connection c) throws SQLException {
    List<Object> partitions = new ArrayList<>();
    for (PartitionState ps : owned.values()) {
      if (!ps.draining) {
        partitions.add(ps.partition);
      }
    }
    if (partitions.isEmpty()) {
      return false;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM " + schema
        + ".events WHERE topic = ? AND partition = ANY (?) AND txid >= "
        + "pg_snapshot_xmin(pg_current_snapshot())) OR EXISTS (SELECT 1 FROM " + schema
        + ".packs WHERE topic = ? AND partition = ANY (?) AND txid >= "
        + "pg_snapshot_xmin(pg_current_snapshot()))")) {
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

  private record InvalidRow(PartitionState state, Position pos, Event event,
      InvalidEventException error) {}

  // ------------------------------------------------------------------ outcomes

  private void complete(PartitionState state, Position pos) {
    synchronized (state) {
      pos.done = true;
      if (state.retried.remove(pos.seq)) {
        state.retriedDone.add(pos.seq);
      }
      state.popDone();
    }
    if (settings.commitInterval.isZero()) {
      wake();
    }
  }

  private boolean hasDirty() {
    return anyOwned(ps -> ps.dirty);
  }

  private void commit(Connection c) throws SQLException {
    for (PartitionState ps : owned.values()) {
      if (ps.dirty) {
        writeCursor(c, ps, false);
      }
    }
  }

  /** Writes a partition's cursor (and releases its lease when asked); false if not owned. */
  private boolean writeCursor(Connection c, PartitionState state, boolean release)
      throws SQLException {
    long txid;
    long seq;
    Long[] doneAhead;
    List<Long> retried;
    synchronized (state) {
      txid = state.committedTxid;
      seq = state.committedSeq;
      // Finished past the cursor: in flight and done, or known done from the cursor read at
      // claim and not yet passed (also those not fetched again yet, or taken back by forget).
      Set<Long> done = new HashSet<>(state.doneAhead);
      for (Position p : state.inFlight) {
        if (p.done) {
          done.add(p.seq);
        }
      }
      doneAhead = done.toArray(new Long[0]);
      retried = new ArrayList<>(state.retriedDone);
      state.retriedDone.clear();
      state.dirty = false;
    }
    int updated;
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + schema + ".cursors SET "
        + "last_txid = ?::xid8, last_seq = ?, done_ahead = ?, updated_at = now()"
        + (release ? ", owner = NULL, lease_until = NULL" : "")
        + " WHERE topic = ? AND grp = ? AND partition = ? AND owner = ?")) {
      ps.setString(1, Long.toString(txid));
      ps.setLong(2, seq);
      ps.setArray(3, c.createArrayOf("int8", doneAhead));
      ps.setString(4, topic);
      ps.setString(5, group);
      ps.setInt(6, state.partition);
      ps.setString(7, memberId);
      updated = ps.executeUpdate();
    } catch (SQLException e) {
      synchronized (state) {
        state.dirty = true;
        state.retriedDone.addAll(retried);
      }
      throw e;
    }
    if (!retried.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema + ".attempts WHERE "
          + "topic = ? AND grp = ? AND seq = ANY (?)")) {
        ps.setString(1, topic);
        ps.setString(2, group);
        ps.setArray(3, c.createArrayOf("int8", retried.toArray()));
        ps.executeUpdate();
      }
    }
    if (updated == 0 && owned.remove(state.partition) != null) {
      LOG.warn("Member of group '{}' no longer owns partition {} of topic '{}'; another member "
          + "continues from its last written position", group, state.partition, topic);
    }
    return updated == 1;
  }

  private void insertDeadLetter(PartitionState state, Position pos, Event e,
      DeadLetterReason reason, int attempts, String lastError) {
    long backoff = 100;
    while (true) {
      try (Connection c = transport.database().connection();
          PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema + ".dead_letters "
              + "(topic, grp, event_seq, partition, " + EventRows.COLUMNS + ", reason, attempts, "
              + "last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?) "
              + "ON CONFLICT (topic, grp, event_seq) DO NOTHING")) {
        ps.setString(1, topic);
        ps.setString(2, group);
        ps.setLong(3, pos.seq);
        ps.setInt(4, state.partition);
        EventRows.bind(ps, 5, e);
        ps.setString(15, reason.name());
        ps.setInt(16, attempts);
        ps.setString(17, lastError);
        ps.executeUpdate();
        return;
      } catch (SQLException ex) {
        if (!running) {
          throw new io.relaybus.RelaybusException("Cannot store dead letter of event " + e.id()
              + " while closing: " + ex.getMessage(), ex);
        }
        LOG.warn("Storing dead letter of event {} (topic '{}', group '{}') failed, retrying: {}",
            e.id(), topic, group, ex.getMessage());
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new io.relaybus.RelaybusException("Interrupted while storing dead letter", ie);
        }
        backoff = Math.min(5_000, backoff * 2);
      }
    }
  }

  /** The message handed to the delivery engine. */
  private final class Message implements InboundMessage {
    private final PartitionState state;
    private final Position pos;
    private final Event event;
    private final int attempt;

    Message(PartitionState state, Position pos, Event event, int attempt) {
      this.state = state;
      this.pos = pos;
      this.event = event;
      this.attempt = attempt;
    }

    @Override
    public Event event() {
      return event;
    }

    @Override
    public int attempt() {
      return attempt;
    }

    /** Built when asked: most deliveries never read it. */
    @Override
    public Map<String, String> metadata() {
      return Map.of("partition", Integer.toString(state.partition),
          "seq", Long.toString(pos.seq), "txid", Long.toString(pos.txid));
    }

    @Override
    public void ack() {
      complete(state, pos);
    }

    @Override
    public void retrying(int failedAttempt, Throwable error, Duration delay) {
      synchronized (state) {
        state.retried.add(pos.seq);
      }
      try (Connection c = transport.database().connection();
          PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema + ".attempts (topic, "
              + "grp, seq, partition, attempts) VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic, grp, "
              + "seq) DO UPDATE SET attempts = EXCLUDED.attempts")) {
        ps.setString(1, topic);
        ps.setString(2, group);
        ps.setLong(3, pos.seq);
        ps.setInt(4, state.partition);
        ps.setInt(5, failedAttempt);
        ps.executeUpdate();
      } catch (SQLException e) {
        LOG.warn("Could not store attempt {} of event {} (topic '{}', group '{}'); a redelivery "
            + "after a crash would count from an earlier attempt: {}", failedAttempt, event.id(),
            topic, group, e.getMessage());
      }
    }

    @Override
    public void deadLetter(DeadLetterReason reason, int attempts, Throwable lastError) {
      insertDeadLetter(state, pos, event, reason, attempts, Errors.describe(lastError));
      complete(state, pos);
    }

    @Override
    public void release() {
      // Not finished: the cursor stays before it, so the next owner of the partition reads it
      // again. Nothing else to do.
    }
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
    try (Connection c = transport.database().connection()) {
      for (PartitionState ps : new ArrayList<>(owned.values())) {
        writeCursor(c, ps, true);
      }
      owned.clear();
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema + ".members WHERE "
          + "topic = ? AND grp = ? AND member = ?")) {
        ps.setString(1, topic);
        ps.setString(2, group);
        ps.setString(3, memberId);
        ps.executeUpdate();
      }
    } catch (SQLException e) {
      LOG.warn("Member of group '{}' on topic '{}' could not write its final positions ({}); "
          + "other members continue after its lease expires, with possible redeliveries",
          group, topic, e.getMessage());
    }
    transport.left(this);
  }

  // ------------------------------------------------------------------ state

  /** A fetched event's position and whether it is finished. */
  private static final class Position {
    final long txid;
    final long seq;
    volatile boolean done;

    Position(long txid, long seq) {
      this.txid = txid;
      this.seq = seq;
    }

    Position done() {
      done = true;
      return this;
    }
  }

  /** What this member knows of one partition it holds. Guarded by its own monitor. */
  private static final class PartitionState {
    final int partition;
    long committedTxid;
    long committedSeq;
    long fetchedTxid;
    long fetchedSeq;
    final ArrayDeque<Position> inFlight = new ArrayDeque<>();
    final Set<Long> doneAhead = new HashSet<>();
    /** Events with a row in the attempts table. */
    final Set<Long> retried = new HashSet<>();
    /** Member thread only: events per pack in the last fetch that read packs of this partition. */
    int eventsPerPack = EventRows.MAX_PACK;
    /** Finished events whose attempts row can go. */
    final List<Long> retriedDone = new ArrayList<>();
    volatile boolean draining;
    volatile boolean dirty;

    PartitionState(int partition, long txid, long seq) {
      this.partition = partition;
      this.committedTxid = txid;
      this.committedSeq = seq;
      this.fetchedTxid = txid;
      this.fetchedSeq = seq;
    }

    /** Moves the cursor over the finished prefix of the in-flight events. */
    void popDone() {
      dirty = true;
      while (!inFlight.isEmpty() && inFlight.peekFirst().done) {
        Position head = inFlight.pollFirst();
        committedTxid = head.txid;
        committedSeq = head.seq;
        doneAhead.remove(head.seq);
      }
    }

    /** Moves the fetch position forward; false when the row was fetched already. */
    boolean advanceFetched(long txid, long seq) {
      if (txid < fetchedTxid || (txid == fetchedTxid && seq <= fetchedSeq)) {
        return false;
      }
      fetchedTxid = txid;
      fetchedSeq = seq;
      return true;
    }
  }
}
