package io.relaybus.postgres;

import io.relaybus.BusClosedException;
import io.relaybus.Capabilities;
import io.relaybus.Capability;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import io.relaybus.RelaybusException;
import io.relaybus.SubscribeOptions;
import io.relaybus.ops.Operations;
import io.relaybus.spi.CallerTransactionPublish;
import io.relaybus.spi.HealthGrace;
import io.relaybus.spi.Instrumentation;
import io.relaybus.spi.Names;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportSubscription;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
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
  /** The bus's instrumentations, for the publish into the caller's transaction; or null. */
  private final Instrumentation instrumentation;
  private final Database database;
  private final Topics topics;
  private final MemberRegistry members;
  private final MemberContext memberContext;
  private final PublishPipeline pipeline;
  private final NotifyCoalescer notifier;
  private final NotificationListener listener;
  private final ScheduledExecutorService maintenance;
  private final PostgresDeadLetters deadLetters;
  private final PostgresHealth health;
  private final PostgresOperations operations;
  private volatile boolean closed;
  /** This bus's id in its notifications, so that its listener skips them. */
  private final String origin =
      Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);

  private PostgresTransport(PostgresSettings settings, DataSource dataSource,
      TransportContext context) {
    this.settings = settings;
    this.capabilities = Capabilities.of(Capability.PERSISTENT, Capability.CONSUMER_GROUPS,
        Capability.ORDERED_BY_KEY, Capability.REPLAY, Capability.BACKLOG,
        Capability.TRANSACTIONAL_PUBLISH, Capability.DEAD_LETTERS, Capability.LAG,
        Capability.EVENT_LOOKUP)
        .withMaxEventSize(settings.maxEventSize)
        .withMaxBatchSize(PostgresSettings.MAX_BATCH_SIZE);
    this.context = context;
    this.instrumentation = context.instrumentation();
    ConnectionCheck.awaitDatabase(settings, dataSource);
    this.database = new Database(settings, dataSource);
    this.topics = new Topics(settings);
    this.members = new MemberRegistry(settings, database);
    this.health = new PostgresHealth(settings, HealthGrace.gracePeriod(context.settings()),
        members);
    this.memberContext = new MemberContext(settings, database, topics, context::threadFactory,
        members, health);
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
          this::onNotification, members::catchUp, health.listen(), threads("listener"));
      this.operations = new PostgresOperations(settings, database, deadLetters, health,
          members);
      this.maintenance = Executors.newSingleThreadScheduledExecutor(threads("maintenance"));
      long period = Math.max(1_000, Math.min(60_000, settings.retention.toMillis() / 10));
      maintenance.scheduleWithFixedDelay(new RetentionJob(settings, database), period, period,
          TimeUnit.MILLISECONDS);
      health.start(database, threads("health"), threads("health-check"));
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
   * <p>The bus's instrumentations observe this publish as they observe {@code bus.publish}: a
   * tracing instrumentation adds the caller's trace context to the stored events (so the trace
   * continues into the handlers) and a metrics one counts them. The publish completes for them
   * when the insert succeeded, before the caller commits or rolls back.
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
    CallerTransactionPublish.requireArguments(topic, events);
    ensureOpen("publish to topic '" + topic + "'");
    return CallerTransactionPublish.observed(PostgresTransportProvider.NAME, capabilities,
        instrumentation, topic, events, checked -> insert(connection, topic, checked));
  }

  private List<PublishReceipt> insert(Connection connection, String topic, List<Event> events) {
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

  @Override
  public Operations operations() {
    return operations;
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
    return operations.lag(topic, group).depth();
  }

  /** Where an event stands for one consumer group. */
  public enum Consumption {
    /**
     * The group finished it: handled it, or dead-lettered it and then purged the dead letter or
     * handled its replay.
     */
    CONSUMED,
    /** The group's dead letters hold it. */
    DEAD_LETTERED,
    /** The group has not finished it (or a replay of it) yet. */
    PENDING
  }

  /**
   * Tells, for every group of the topic, whether it consumed an event: the record of who
   * consumed what that the seed write-up asks for. Events removed by retention are unknown,
   * unless a group's dead letter keeps them.
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
    Map<String, Consumption> result = new LinkedHashMap<>();
    operations.event(topic, eventId).ifPresent(status -> new TreeMap<>(status.groups())
        .forEach((group, consumption) -> result.put(group, switch (consumption) {
          case CONSUMED -> Consumption.CONSUMED;
          case PENDING -> Consumption.PENDING;
          case DEAD_LETTER -> Consumption.DEAD_LETTERED;
        })));
    return result;
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
    health.close();
    database.close();
  }
}
