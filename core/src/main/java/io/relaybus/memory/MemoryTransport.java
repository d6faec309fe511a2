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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory transport. Each topic is an append-only {@link EventLog}; each consumer group
 * has a cursor into it. Members pull up to their sink's capacity, round-robin. A key that has
 * events in flight at one member belongs to that member until they finish, so another member
 * never overtakes it; events of that key arriving meanwhile wait ("parked") in order.
 */
final class MemoryTransport implements Transport {

  private final Capabilities capabilities;
  private final int historyLimit;
  private final Map<String, Topic> topics = new ConcurrentHashMap<>();
  private final DeadLetters deadLetters = new MemoryDeadLetters();

  MemoryTransport(int historyLimit, long maxEventSize) {
    this.historyLimit = historyLimit;
    this.capabilities = Capabilities.of(Capability.CONSUMER_GROUPS, Capability.ORDERED_BY_KEY,
        Capability.REPLAY, Capability.BACKLOG, Capability.DEAD_LETTERS)
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
  public void close() {
    topics.clear();
  }

  private Topic topic(String name) {
    return topics.computeIfAbsent(name, Topic::new);
  }

  /** One topic: its log and its groups. Every field is guarded by {@code this}. */
  private final class Topic {
    private final String name;
    private final EventLog log = new EventLog();
    private final Map<String, Group> groups = new LinkedHashMap<>();

    Topic(String name) {
      this.name = name;
    }

    List<PublishReceipt> append(List<Event> events) {
      List<PublishReceipt> receipts = new ArrayList<>(events.size());
      synchronized (this) {
        for (Event e : events) {
          long seq = log.append(e);
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

  /** A group member: its sink. Identity matters. */
  private static final class Member {
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

  /** An event as one group sees it: its own attempt count and order. */
  private static final class GroupEntry {
    final Event event;
    final long order;
    final Map<String, String> metadata;
    int attemptsDone;

    GroupEntry(Event event, long order, Map<String, String> metadata) {
      this.event = event;
      this.order = order;
      this.metadata = metadata;
    }
  }

  /** A consumer group of a topic. Every field is guarded by the topic's lock. */
  private final class Group {
    final Topic topic;
    final String name;
    long cursor;
    long nextOrder;
    final List<Member> members = new ArrayList<>();
    int roundRobin;
    final ArrayDeque<GroupEntry> pending = new ArrayDeque<>();
    final Map<String, KeyState> keys = new HashMap<>();
    final LinkedHashSet<String> parkedKeys = new LinkedHashSet<>();
    final LinkedHashMap<String, DeadLetter> deadLetters = new LinkedHashMap<>();
    boolean dispatching;
    boolean dispatchAgain;

    Group(Topic topic, String name, long cursor) {
      this.topic = topic;
      this.name = name;
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
              Map.of("sequence", Long.toString(seq)));
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
      m.sink.submit(new MemoryInboundMessage(this, e));
    }

    /** An entry left the member (acked, dead-lettered or released). */
    void leave(GroupEntry e) {
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

    void replay(DeadLetter dl) {
      pending.addLast(new GroupEntry(dl.event(), nextOrder++, Map.of("replayed", "true")));
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
        group.deadLetters.put(dl.id(), dl);
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
        for (DeadLetter dl : g.deadLetters.values()) {
          if (out.size() == limit) {
            break;
          }
          out.add(dl);
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
        DeadLetter dl = g.deadLetters.remove(deadLetterId);
        if (dl == null) {
          return false;
        }
        g.replay(dl);
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
        for (DeadLetter dl : g.deadLetters.values()) {
          g.replay(dl);
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
