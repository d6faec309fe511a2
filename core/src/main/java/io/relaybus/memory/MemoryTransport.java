package io.relaybus.memory;

import io.relaybus.Capabilities;
import io.relaybus.Capability;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.Operations;
import io.relaybus.ops.PartitionLag;
import io.relaybus.spi.Errors;
import io.relaybus.spi.Names;
import io.relaybus.spi.TimeOrderedIds;
import io.relaybus.spi.InboundMessage;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportSubscription;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory transport. Each topic is an append-only {@link EventLog}; each consumer group
 * has a cursor into it. Members pull up to their sink's capacity, round-robin. A key that has
 * events in flight at one member belongs to that member until they finish, so another member
 * never overtakes it; events of that key arriving meanwhile wait ("parked") in order.
 *
 * <p>A group's events not yet finished are, oldest first: those handed to a member (in flight),
 * those parked or waiting to be handed out again (released, replayed), and those past its
 * cursor; {@link MemoryOperations} reads them to measure lag and to look up events. The
 * transport has one partition, 0.
 */
final class MemoryTransport implements Transport {

  private final Capabilities capabilities;
  private final int historyLimit;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private final DeadLetters deadLetters = new MemoryDeadLetters();
  private final Operations operations = new MemoryOperations(this);

  MemoryTransport(int historyLimit, long maxEventSize) {
    this.historyLimit = historyLimit;
    this.capabilities = Capabilities.of(Capability.CONSUMER_GROUPS, Capability.ORDERED_BY_KEY,
        Capability.REPLAY, Capability.BACKLOG, Capability.DEAD_LETTERS, Capability.LAG,
        Capability.EVENT_LOOKUP)
        .withMaxEventSize(maxEventSize);
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public CompletableFuture<List<PublishReceipt>> publish(String topic, List<Event> events) {
    return CompletableFuture.completedFuture(topic(topic).append(events));
  }

  @Override
  public TransportSubscription subscribe(String topic, SubscribeOptions options,
      MessageSink sink) {
    return topic(topic).join(options, sink);
  }

  @Override
  public DeadLetters deadLetters() {
    return deadLetters;
  }

  @Override
  public Operations operations() {
    return operations;
  }

  @Override
  public void close() {
    topics.clear();
  }

  private Topic topic(String name) {
    return topics.computeIfAbsent(name, Topic::new);
  }

  /** The topic, or {@code null} when nothing was published to or subscribed to it. */
  Topic existingTopic(String name) {
    return topics.get(name);
  }

  /** The names of the topics published to or subscribed to. */
  Set<String> topicNames() {
    return new TreeSet<>(topics.keySet());
  }

  /** One topic: its log and its groups. Every field is guarded by {@code this}. */
  final class Topic {
    final String name;
    final EventLog log = new EventLog();
    final Map<String, Group> groups = new LinkedHashMap<>();

    Topic(String name) {
      this.name = name;
    }

    List<PublishReceipt> append(List<Event> events) {
      List<PublishReceipt> receipts = new ArrayList<>(events.size());
      synchronized (this) {
        Instant publishedAt = Instant.now();
        for (Event e : events) {
          long seq = log.append(e, publishedAt);
          receipts.add(new PublishReceipt(name, e.id(), Long.toString(seq)));
        }
        for (Group g : groups.values()) {
          g.dispatch();
        }
        trim();
      }
      return receipts;
    }

    private void trim() {
      long keepFrom = log.end();
      for (Group g : groups.values()) {
        keepFrom = Math.min(keepFrom, g.cursor);
      }
      log.dropBefore(keepFrom - historyLimit);
    }

    TransportSubscription join(SubscribeOptions options, MessageSink sink) {
      Member member = new Member(sink);
      Group group;
      synchronized (this) {
        group = groups.get(options.group());
        if (group == null) {
          long cursor = options.startPosition() == StartPosition.EARLIEST ? log.start()
              : log.end();
          group = new Group(this, options.group(), cursor);
          groups.put(options.group(), group);
        }
        group.members.add(member);
      }
      Group g = group;
      sink.onCapacity(() -> {
        synchronized (this) {
          g.dispatch();
        }
      });
      synchronized (this) {
        g.dispatch();
      }
      return new TransportSubscription() {
        @Override
        public void stopFetching() {
          synchronized (Topic.this) {
            g.members.remove(member);
          }
        }

        @Override
        public void close() {
          stopFetching();
        }
      };
    }

    synchronized Group group(String name) {
      return groups.get(name);
    }
  }

  /** A group member: its id, as the operations API shows it, and its sink. Identity matters. */
  static final class Member {
    final String id = TimeOrderedIds.next();
    final MessageSink sink;

    Member(MessageSink sink) {
      this.sink = sink;
    }
  }

  /** Per-key state of a group: who holds the key and what waits for it. */
  private static final class KeyState {
    Member owner;
    int inFlight;
    /** Waiting entries, sorted by order. */
    final ArrayList<GroupEntry> parked = new ArrayList<>(2);

    void park(GroupEntry e) {
      int i = parked.size();
      while (i > 0 && parked.get(i - 1).order > e.order) {
        i--;
      }
      parked.add(i, e);
    }
  }

  /**
   * An event as one group sees it: its own attempt count and order, where it is in the log and
   * when it was published.
   */
  static final class GroupEntry {
    final Event event;
    final long order;
    final Map<String, String> metadata;
    final long seq;
    final Instant publishedAt;
    int attemptsDone;

    GroupEntry(Event event, long order, Map<String, String> metadata, long seq,
        Instant publishedAt) {
      this.event = event;
      this.order = order;
      this.metadata = metadata;
      this.seq = seq;
      this.publishedAt = publishedAt;
    }
  }

  /**
   * A dead letter with what the log knew of its event: its sequence number and when it was
   * published, kept for a replay and for event lookup.
   */
  record DeadEntry(DeadLetter letter, long seq, Instant publishedAt) {}

  /** A consumer group of a topic. Every field is guarded by the topic's lock. */
  final class Group {
    final Topic topic;
    final String name;
    /** The cursor the group started at: earlier events were never its to consume. */
    final long firstSeq;
    long cursor;
    long nextOrder;
    final List<Member> members = new ArrayList<>();
    int roundRobin;
    final ArrayDeque<GroupEntry> pending = new ArrayDeque<>();
    final Map<String, KeyState> keys = new HashMap<>();
    final LinkedHashSet<String> parkedKeys = new LinkedHashSet<>();
    final LinkedHashMap<String, DeadEntry> deadLetters = new LinkedHashMap<>();
    /** Entries members hold, oldest hand-out first (identity: entries are never equal). */
    final Set<GroupEntry> inFlight = new LinkedHashSet<>();
    boolean dispatching;
    boolean dispatchAgain;

    Group(Topic topic, String name, long cursor) {
      this.topic = topic;
      this.name = name;
      this.firstSeq = cursor;
      this.cursor = cursor;
    }

    /** Hands out as much as members can take. Re-entrant calls are folded into one loop. */
    void dispatch() {
      if (dispatching) {
        dispatchAgain = true;
        return;
      }
      dispatching = true;
      try {
        do {
          dispatchAgain = false;
          dispatchOnce();
        } while (dispatchAgain);
      } finally {
        dispatching = false;
      }
    }

    private void dispatchOnce() {
      if (members.isEmpty()) {
        return;
      }
      for (Iterator<String> it = parkedKeys.iterator(); it.hasNext(); ) {
        String key = it.next();
        KeyState ks = keys.get(key);
        while (!ks.parked.isEmpty()) {
          Member m = ks.owner != null ? (ks.owner.sink.capacity() > 0 ? ks.owner : null)
              : nextMemberWithCapacity();
          if (m == null) {
            break;
          }
          handTo(m, ks.parked.remove(0), ks);
        }
        if (ks.parked.isEmpty()) {
          it.remove();
        }
      }
      while (true) {
        Member m = nextMemberWithCapacity();
        if (m == null) {
          return;
        }
        GroupEntry e = pending.pollFirst();
        if (e == null) {
          if (cursor >= topic.log.end()) {
            return;
          }
          long seq = cursor++;
          e = new GroupEntry(topic.log.get(seq), nextOrder++,
              Map.of("sequence", Long.toString(seq)), seq, topic.log.publishedAt(seq));
        }
        String key = e.event.key().orElse(null);
        if (key == null) {
          handTo(m, e, null);
          continue;
        }
        KeyState ks = keys.computeIfAbsent(key, k -> new KeyState());
        if (ks.owner != null) {
          if (ks.owner.sink.capacity() > 0 && ks.parked.isEmpty()) {
            handTo(ks.owner, e, ks);
          } else {
            ks.park(e);
            parkedKeys.add(key);
          }
        } else if (!ks.parked.isEmpty()) {
          ks.park(e);
          parkedKeys.add(key);
        } else {
          handTo(m, e, ks);
        }
      }
    }

    private Member nextMemberWithCapacity() {
      int n = members.size();
      for (int i = 0; i < n; i++) {
        Member m = members.get((roundRobin + i) % n);
        if (m.sink.capacity() > 0) {
          roundRobin = (roundRobin + i + 1) % n;
          return m;
        }
      }
      return null;
    }

    private void handTo(Member m, GroupEntry e, KeyState ks) {
      if (ks != null) {
        ks.owner = m;
        ks.inFlight++;
      }
      inFlight.add(e);
      m.sink.submit(new MemoryInboundMessage(this, e));
    }

    /** An entry left the member (acked, dead-lettered or released). */
    void leave(GroupEntry e) {
      inFlight.remove(e);
      String key = e.event.key().orElse(null);
      if (key == null) {
        return;
      }
      KeyState ks = keys.get(key);
      if (--ks.inFlight == 0) {
        ks.owner = null;
        if (ks.parked.isEmpty()) {
          keys.remove(key);
        } else {
          parkedKeys.add(key);
        }
      }
    }

    void release(GroupEntry e) {
      String key = e.event.key().orElse(null);
      leave(e);
      if (key == null) {
        pending.addFirst(e);
      } else {
        KeyState ks = keys.computeIfAbsent(key, k -> new KeyState());
        ks.park(e);
        parkedKeys.add(key);
      }
      dispatch();
    }

    void replay(DeadEntry dead) {
      pending.addLast(new GroupEntry(dead.letter().event(), nextOrder++,
          Map.of("replayed", "true"), dead.seq(), dead.publishedAt()));
    }

    /**
     * The group's lag on the one partition: every unfinished event, and the publish time of the
     * oldest. Walks what the group holds in memory (in flight, parked, pending), never the log.
     */
    PartitionLag lag(Instant now) {
      long end = topic.log.end();
      long depth = end - cursor + pending.size() + inFlight.size();
      Instant oldest = cursor < end ? topic.log.publishedAt(cursor) : null;
      for (GroupEntry e : pending) {
        oldest = older(oldest, e.publishedAt);
      }
      for (KeyState ks : keys.values()) {
        depth += ks.parked.size();
        for (GroupEntry e : ks.parked) {
          oldest = older(oldest, e.publishedAt);
        }
      }
      for (GroupEntry e : inFlight) {
        oldest = older(oldest, e.publishedAt);
      }
      Duration age = oldest == null || oldest.isAfter(now) ? Duration.ZERO
          : Duration.between(oldest, now);
      return new PartitionLag(0, depth, age);
    }

    private static Instant older(Instant a, Instant b) {
      return a == null || b.isBefore(a) ? b : a;
    }

    /**
     * What the group did with the event at {@code seq}: {@code null} when the group started
     * after it.
     */
    EventStatus.Consumption consumption(long seq) {
      if (seq < firstSeq) {
        return null;
      }
      for (DeadEntry d : deadLetters.values()) {
        if (d.seq() == seq) {
          return EventStatus.Consumption.DEAD_LETTER;
        }
      }
      return seq >= cursor || holds(seq) ? EventStatus.Consumption.PENDING
          : EventStatus.Consumption.CONSUMED;
    }

    private boolean holds(long seq) {
      for (GroupEntry e : pending) {
        if (e.seq == seq) {
          return true;
        }
      }
      for (KeyState ks : keys.values()) {
        for (GroupEntry e : ks.parked) {
          if (e.seq == seq) {
            return true;
          }
        }
      }
      for (GroupEntry e : inFlight) {
        if (e.seq == seq) {
          return true;
        }
      }
      return false;
    }
  }

  /** The message handed to a member; its callbacks run under the topic's lock. */
  private static final class MemoryInboundMessage implements InboundMessage {
    private final Group group;
    private final GroupEntry entry;

    MemoryInboundMessage(Group group, GroupEntry entry) {
      this.group = group;
      this.entry = entry;
    }

    @Override
    public Event event() {
      return entry.event;
    }

    @Override
    public int attempt() {
      synchronized (group.topic) {
        return entry.attemptsDone + 1;
      }
    }

    @Override
    public Map<String, String> metadata() {
      return entry.metadata;
    }

    @Override
    public void ack() {
      synchronized (group.topic) {
        group.leave(entry);
      }
    }

    @Override
    public void retrying(int failedAttempt, Throwable error, Duration delay) {
      synchronized (group.topic) {
        entry.attemptsDone = failedAttempt;
      }
    }

    @Override
    public void deadLetter(DeadLetterReason reason, int attempts, Throwable lastError) {
      synchronized (group.topic) {
        DeadLetter dl = new DeadLetter(TimeOrderedIds.next(), group.topic.name, group.name,
            entry.event, reason, attempts, Errors.describe(lastError), Instant.now());
        group.deadLetters.put(dl.id(), new DeadEntry(dl, entry.seq, entry.publishedAt));
        group.leave(entry);
      }
    }

    @Override
    public void release() {
      synchronized (group.topic) {
        group.release(entry);
      }
    }
  }

  /** Dead letters kept in each group. */
  private final class MemoryDeadLetters implements DeadLetters {

    private Group find(String topic, String group) {
      Names.requireTopic(topic);
      Names.requireGroup(group);
      Topic t = topics.get(topic);
      return t == null ? null : t.group(group);
    }

    @Override
    public List<DeadLetter> list(String topic, String group, int limit) {
      if (limit < 1) {
        throw new IllegalArgumentException("limit must be >= 1, got " + limit);
      }
      Group g = find(topic, group);
      if (g == null) {
        return List.of();
      }
      synchronized (g.topic) {
        List<DeadLetter> out = new ArrayList<>();
        for (DeadEntry dead : g.deadLetters.values()) {
          if (out.size() == limit) {
            break;
          }
          out.add(dead.letter());
        }
        return out;
      }
    }

    @Override
    public long count(String topic, String group) {
      Group g = find(topic, group);
      if (g == null) {
        return 0;
      }
      synchronized (g.topic) {
        return g.deadLetters.size();
      }
    }

    @Override
    public boolean replay(String topic, String group, String deadLetterId) {
      java.util.Objects.requireNonNull(deadLetterId, "deadLetterId");
      Group g = find(topic, group);
      if (g == null) {
        return false;
      }
      synchronized (g.topic) {
        DeadEntry dead = g.deadLetters.remove(deadLetterId);
        if (dead == null) {
          return false;
        }
        g.replay(dead);
        g.dispatch();
        return true;
      }
    }

    @Override
    public int replayAll(String topic, String group) {
      Group g = find(topic, group);
      if (g == null) {
        return 0;
      }
      synchronized (g.topic) {
        int n = g.deadLetters.size();
        for (DeadEntry dead : g.deadLetters.values()) {
          g.replay(dead);
        }
        g.deadLetters.clear();
        g.dispatch();
        return n;
      }
    }

    @Override
    public int purge(String topic, String group) {
      Group g = find(topic, group);
      if (g == null) {
        return 0;
      }
      synchronized (g.topic) {
        int n = g.deadLetters.size();
        g.deadLetters.clear();
        return n;
      }
    }
  }
}
