package io.relaybus.postgres;

import io.relaybus.BusClosedException;
import io.relaybus.Capabilities;
import io.relaybus.Capability;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import io.relaybus.RelaybusException;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.EventSizes;
import io.relaybus.spi.Names;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportSubscription;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The PostgreSQL transport. Reach it from a bus with
 * {@code bus.unwrap(PostgresTransport.class)} for what only PostgreSQL can do: publishing inside
 * the caller's own transaction, and asking which groups consumed an event and how far behind
 * a group is.
 *
 * <p>Events live in {@code <schema>.events}; the schema, the SQL publishing contract and the
 * guarantees are described in the README's PostgreSQL section and in ADR 0005.
 */
public final class PostgresTransport implements Transport {
  private final Capabilities capabilities;
  private final PostgresSettings settings;
  private final TransportContext context;
  private final Database database;
  private final Topics topics;
  private final MemberRegistry members;
  private final MemberContext memberContext;
  private final PublishPipeline pipeline;
  private final NotifyCoalescer notifier;
  private final NotificationListener listener;
  private final ScheduledExecutorService maintenance;
  private final PostgresDeadLetters deadLetters;
  private volatile boolean closed;
  /** This bus's id in its notifications, so that its listener skips them. */
  private final String origin =
      Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);

  private PostgresTransport(PostgresSettings settings, DataSource dataSource,
      TransportContext context) {
    this.settings = settings;
    this.capabilities = Capabilities.of(Capability.PERSISTENT, Capability.CONSUMER_GROUPS,
        Capability.ORDERED_BY_KEY, Capability.REPLAY, Capability.BACKLOG,
        Capability.TRANSACTIONAL_PUBLISH, Capability.DEAD_LETTERS)
        .withMaxEventSize(settings.maxEventSize)
        .withMaxBatchSize(PostgresSettings.MAX_BATCH_SIZE);
    this.context = context;
    ConnectionCheck.awaitDatabase(settings, dataSource);
    this.database = new Database(settings, dataSource);
    this.topics = new Topics(settings);
    this.members = new MemberRegistry(settings, database);
    this.memberContext = new MemberContext(settings, database, topics, context::threadFactory,
        members);
    try {
      prepareSchema();
      PublishContext publishContext = new PublishContext(settings, database, topics,
          this::published);
      this.deadLetters = new PostgresDeadLetters(publishContext);
      this.pipeline = new PublishPipeline(publishContext, publishWriters(settings),
          threads("publisher"));
      this.notifier = settings.notifyMode == PostgresSettings.NotifyMode.COALESCED
          ? new NotifyCoalescer(database, settings.channel(), origin, settings.notifyInterval,
              threads("notifier")) : null;
      this.listener = settings.pollOnly ? null : new NotificationListener(database, settings,
          this::onNotification, members::catchUp, threads("listener"));
      this.maintenance = Executors.newSingleThreadScheduledExecutor(threads("maintenance"));
      long period = Math.max(1_000, Math.min(60_000, settings.retention.toMillis() / 10));
      maintenance.scheduleWithFixedDelay(new RetentionJob(settings, database), period, period,
          TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }

  static PostgresTransport start(PostgresSettings settings, DataSource dataSource,
      TransportContext context) {
    return new PostgresTransport(settings, dataSource, context);
  }

  /**
   * The publish writers: {@code publish-writers}, but at most a third of the pool, so that
   * subscriptions keep connections while every writer holds one.
   */
  static int publishWriters(PostgresSettings settings) {
    return Math.min(settings.publishWriters, Math.max(1, settings.poolSize / 3));
  }

  private void prepareSchema() {
    try (Connection c = database.connection()) {
      if (settings.autoDdl) {
        SchemaMigrator.migrate(c, settings.schema);
      } else {
        SchemaMigrator.verify(c, settings.schema);
      }
    } catch (SQLException e) {
      throw new RelaybusException("Cannot prepare the Relaybus schema '" + settings.schema
          + "' on " + redactedUrl() + ": " + e.getMessage(), e);
    }
  }

  private String redactedUrl() {
    if (settings.url == null) {
      return "the given DataSource";
    }
    int q = settings.url.indexOf('?');
    return q < 0 ? settings.url : settings.url.substring(0, q);
  }

  // ------------------------------------------------------------------ Transport

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public CompletableFuture<List<PublishReceipt>> publish(String topic, List<Event> events) {
    return pipeline.submit(topic, events);
  }

  /**
   * Publishes events inside the caller's transaction (transactional outbox): they become visible
   * to subscribers when the caller commits, and never when it rolls back. Subscribers are
   * notified at commit by the table's trigger. The connection is neither committed nor closed.
   *
   * @param connection a connection to the same database, usually with auto-commit off
   * @param topic the topic
   * @param events the events
   * @return receipts, valid once the caller commits
   * @throws io.relaybus.InvalidNameException when the topic name is invalid
   * @throws io.relaybus.EventTooLargeException when an event is over {@code max-event-size}
   *     or all of them together over 64 MiB; nothing is inserted
   * @throws RelaybusException when the insert fails; the caller should roll back
   * @throws BusClosedException when the bus is closed
   */
  public List<PublishReceipt> publish(Connection connection, String topic, List<Event> events) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(events, "events");
    Names.requireTopic(topic);
    for (int i = 0; i < events.size(); i++) {
      Objects.requireNonNull(events.get(i), "events[" + i + "]");
    }
    ensureOpen("publish to topic '" + topic + "'");
    EventSizes.check(PostgresTransportProvider.NAME, capabilities, topic, events);
    try {
      int partitions;
      // Register the topic in its own committed transaction: if the caller rolls back, the
      // cached partition count must still be the stored one.
      try (Connection own = database.connection()) {
        partitions = topics.partitions(own, topic);
      }
      return PublishPipeline.insert(connection, settings, topic, partitions, events);
    } catch (SQLException e) {
      throw new RelaybusException("Publishing " + events.size() + " event(s) to topic '" + topic
          + "' in the caller's transaction failed: " + SqlErrors.describe(e),
          SqlErrors.withoutValues(e));
    }
  }

  @Override
  public TransportSubscription subscribe(String topic, SubscribeOptions options,
      MessageSink sink) {
    GroupMember member = new GroupMember(memberContext, topic, options, sink);
    members.joined(member);
    return member;
  }

  @Override
  public DeadLetters deadLetters() {
    return deadLetters;
  }

  /**
   * Counts the events a group has not consumed yet, over all partitions.
   *
   * @param topic the topic
   * @param group the group
   * @return the number of events after the group's positions (0 for an unknown group)
   * @throws BusClosedException when the bus is closed
   */
  public long lag(String topic, String group) {
    Names.requireTopic(topic);
    Names.requireGroup(group);
    ensureOpen("compute the lag of group '" + group + "' on topic '" + topic + "'");
    String s = settings.schema;
    String sql = "SELECT (SELECT count(*) FROM " + s + ".cursors c JOIN " + s + ".events e ON "
        + "e.topic = c.topic AND e.partition = c.partition AND (e.txid, e.seq) > (c.last_txid, "
        + "c.last_seq) AND NOT e.seq = ANY (c.done_ahead) AND (e.target_group IS NULL OR "
        + "e.target_group = c.grp) WHERE c.topic = ? AND c.grp = ?) + (SELECT count(*) FROM "
        + s + ".cursors c JOIN " + s + ".packs k ON k.topic = c.topic AND k.partition = "
        + "c.partition AND (k.txid, k.seq) > (c.last_txid, c.last_seq) AND (k.target_group IS "
        + "NULL OR k.target_group = c.grp) CROSS JOIN LATERAL unnest(k.seqs) AS u(seq) WHERE "
        + "c.topic = ? AND c.grp = ? AND (k.txid, u.seq) > (c.last_txid, c.last_seq) AND NOT "
        + "u.seq = ANY (c.done_ahead))";
    try {
      return read(c -> {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setString(1, topic);
          ps.setString(2, group);
          ps.setString(3, topic);
          ps.setString(4, group);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
          }
        }
      });
    } catch (SQLException e) {
      throw new RelaybusException("Cannot compute the lag of group '" + group + "' on topic '"
          + topic + "': " + e.getMessage(), e);
    }
  }

  /** Where an event stands for one consumer group. */
  public enum Consumption {
    /** The group finished it (handled or dead-lettered and then purged or replayed). */
    CONSUMED,
    /** The group's dead letters hold it. */
    DEAD_LETTERED,
    /** The group has not finished it yet. */
    PENDING
  }

  /**
   * Tells, for every group of the topic, whether it consumed an event: the record of who
   * consumed what that the seed write-up asks for. Events removed by retention are unknown.
   *
   * @param topic the topic
   * @param eventId the event's id
   * @return group name to status, empty when the event is not (or no longer) stored
   * @throws BusClosedException when the bus is closed
   */
  public Map<String, Consumption> consumption(String topic, String eventId) {
    Names.requireTopic(topic);
    Objects.requireNonNull(eventId, "eventId");
    ensureOpen("look up event '" + eventId + "' of topic '" + topic + "'");
    String s = settings.schema;
    // Rows are found by the id index; packs (ADR 0012) by scanning their ids within retention.
    String sql = "SELECT c.grp, EXISTS (SELECT 1 FROM " + s + ".dead_letters d WHERE d.topic = "
        + "c.topic AND d.grp = c.grp AND d.event_seq = e.seq), ((e.txid, e.seq) <= (c.last_txid,"
        + " c.last_seq) OR e.seq = ANY (c.done_ahead)) FROM (SELECT x.topic, x.partition, "
        + "x.txid, x.seq FROM " + s + ".events x WHERE x.topic = ? AND x.id = ? AND "
        + "x.target_group IS NULL UNION ALL SELECT k.topic, k.partition, k.txid, u.seq FROM "
        + s + ".packs k CROSS JOIN LATERAL unnest(k.seqs, k.ids) AS u(seq, id) WHERE k.topic = ? "
        + "AND ? = ANY (k.ids) AND u.id = ? AND k.target_group IS NULL) e JOIN " + s
        + ".cursors c ON c.topic = e.topic AND c.partition = e.partition ORDER BY c.grp";
    try {
      return read(c -> {
        Map<String, Consumption> result = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setString(1, topic);
          ps.setString(2, eventId);
          ps.setString(3, topic);
          ps.setString(4, eventId);
          ps.setString(5, eventId);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              result.put(rs.getString(1), rs.getBoolean(2) ? Consumption.DEAD_LETTERED
                  : rs.getBoolean(3) ? Consumption.CONSUMED : Consumption.PENDING);
            }
          }
        }
        return result;
      });
    } catch (SQLException e) {
      throw new RelaybusException("Cannot look up event '" + eventId + "' of topic '" + topic
          + "': " + e.getMessage(), e);
    }
  }

  /**
   * How many NOTIFYs Relaybus's coalescing notifier has sent; far fewer than events under load.
   *
   * @return the count since the bus started (0 unless {@code notify=coalesced})
   */
  public long notificationsSent() {
    return notifier == null ? 0 : notifier.notificationsSent();
  }

  // ------------------------------------------------------------------ internals

  private void ensureOpen(String operation) {
    if (closed) {
      throw new BusClosedException("Cannot " + operation + ": the postgres event bus is closed");
    }
  }

  /** The number of publish writer threads (for tests). */
  int publishWriterCount() {
    return pipeline.writerCount();
  }

  /** The settings (for tests). */
  PostgresSettings settings() {
    return settings;
  }

  /** Where connections come from (for tests). */
  Database database() {
    return database;
  }

  private ThreadFactory threads(String purpose) {
    return context.threadFactory(purpose);
  }

  /** A read-only query. */
  private interface Read<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs a read-only query, again on another connection while the ones the pool hands out turn
   * out to be dead: after a restart or {@code pg_terminate_backend} the pool may still hold
   * connections the server closed (it checks only those idle for a while), and discards each on
   * its failure, so at most pool-size attempts meet a dead one. Reading again has no effect to
   * repeat.
   */
  private <T> T read(Read<T> query) throws SQLException {
    SQLException first = null;
    for (int attempt = 0; ; attempt++) {
      // Not getting a connection at all (the server is down) is not retried here: the pool
      // already waited its connection timeout.
      try (Connection c = database.connection()) {
        try {
          return query.run(c);
        } catch (SQLException e) {
          if (!SqlErrors.isConnectionFailure(e) || attempt >= settings.poolSize) {
            if (first != null) {
              e.addSuppressed(first);
            }
            throw e;
          }
          if (first == null) {
            first = e;
          }
        }
      }
    }
  }

  /**
   * A publish of this bus committed: wakes this bus's members that read one of the partitions
   * and has the other buses' members woken by a notification.
   *
   * @param partitions the partitions written to, or {@code null} for any
   */
  private void published(String topic, BitSet partitions) {
    if (notifier != null) {
      notifier.published(topic, partitions);
    }
    members.wake(topic, partitions);
  }

  private void onNotification(String payload) {
    if (payload == null) {
      return;
    }
    if (payload.startsWith(MemberRegistry.REBALANCE)) {
      members.rebalanceRequested(payload.substring(MemberRegistry.REBALANCE.length()));
      return;
    }
    NotifyPayload notice = NotifyPayload.parse(payload);
    if (origin.equals(notice.origin())) {
      return; // our own publish: its members were woken at commit
    }
    members.wake(notice.topic(), notice.partitions());
  }

  /** This bus's members of a topic (for tests). */
  Set<GroupMember> members(String topic) {
    return members.members(topic);
  }

  /** This bus's id in its notifications (for tests). */
  String origin() {
    return origin;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    pipeline.close();
    if (listener != null) {
      listener.close();
    }
    if (notifier != null) {
      notifier.close();
    }
    maintenance.shutdownNow();
    database.close();
  }
}
