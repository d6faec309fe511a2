package io.relaybus.memory;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.GroupMember;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The in-memory transport's operations, read under each topic's lock. One partition, 0. Dead
 * letters are ordered by the time they were dead-lettered, then by their (unique) id; a page
 * token is that pair of the page's last item.
 */
final class MemoryOperations implements Operations {

  private static final Comparator<DeadLetter> OLDEST_FIRST =
      Comparator.comparing(DeadLetter::deadLetteredAt).thenComparing(DeadLetter::id);

  private final MemoryTransport transport;
  private final Instant createdAt = Instant.now();

  MemoryOperations(MemoryTransport transport) {
    this.transport = transport;
  }

  @Override
  public List<String> topics() {
    return List.copyOf(transport.topicNames());
  }

  @Override
  public List<String> groups(String topic) {
    MemoryTransport.Topic t = transport.existingTopic(topic);
    if (t == null) {
      return List.of();
    }
    synchronized (t) {
      return t.groups.keySet().stream().sorted().toList();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Every member runs in this process and holds the one partition, 0: the group's events go
   * to whichever member has capacity.
   */
  @Override
  public List<GroupMember> members(String topic, String group) {
    MemoryTransport.Topic t = transport.existingTopic(topic);
    if (t == null) {
      return List.of();
    }
    List<GroupMember> members = new ArrayList<>();
    synchronized (t) {
      MemoryTransport.Group g = t.groups.get(group);
      if (g != null) {
        for (MemoryTransport.Member m : g.members) {
          members.add(GroupMember.inThisProcess(m.id, List.of(0)));
        }
      }
    }
    members.sort(Comparator.comparing(GroupMember::id));
    return members;
  }

  /**
   * {@inheritDoc}
   *
   * <p>A group that does not exist has no lag and no partitions.
   */
  @Override
  public GroupLag lag(String topic, String group) {
    MemoryTransport.Topic t = transport.existingTopic(topic);
    Instant now = Instant.now();
    if (t == null) {
      return GroupLag.of(topic, group, List.of(), now);
    }
    synchronized (t) {
      MemoryTransport.Group g = t.groups.get(group);
      return GroupLag.of(topic, group, g == null ? List.of() : List.of(g.lag(now)), now);
    }
  }

  @Override
  public DeadLetterPage deadLetters(DeadLetterQuery query) {
    Cursor after = query.after().map(Cursor::decode).orElse(null);
    List<DeadLetter> matches = new ArrayList<>();
    MemoryTransport.Topic t = transport.existingTopic(query.topic());
    if (t != null) {
      synchronized (t) {
        for (MemoryTransport.Group g : groupsOf(t, query)) {
          for (MemoryTransport.DeadEntry dead : g.deadLetters.values()) {
            DeadLetter dl = dead.letter();
            if (query.matches(dl) && (after == null || after.isBefore(dl))) {
              matches.add(dl);
            }
          }
        }
      }
    }
    matches.sort(OLDEST_FIRST);
    if (matches.size() <= query.limit()) {
      return new DeadLetterPage(matches, Optional.empty());
    }
    List<DeadLetter> page = matches.subList(0, query.limit());
    return new DeadLetterPage(page, Optional.of(Cursor.of(page.get(page.size() - 1)).encode()));
  }

  @Override
  public Map<DeadLetterReason, Long> deadLetterCounts(String topic, String group) {
    Map<DeadLetterReason, Long> counts = new EnumMap<>(DeadLetterReason.class);
    MemoryTransport.Topic t = transport.existingTopic(topic);
    if (t == null) {
      return Map.of();
    }
    synchronized (t) {
      MemoryTransport.Group g = t.groups.get(group);
      if (g != null) {
        for (MemoryTransport.DeadEntry dead : g.deadLetters.values()) {
          counts.merge(dead.letter().reason(), 1L, Long::sum);
        }
      }
    }
    return Map.copyOf(counts);
  }

  @Override
  public long replayDeadLetters(DeadLetterQuery filter) {
    MemoryTransport.Topic t = transport.existingTopic(filter.topic());
    if (t == null) {
      return 0;
    }
    long replayed = 0;
    synchronized (t) {
      for (MemoryTransport.Group g : groupsOf(t, filter)) {
        long before = replayed;
        for (Iterator<MemoryTransport.DeadEntry> it = g.deadLetters.values().iterator();
            it.hasNext(); ) {
          MemoryTransport.DeadEntry dead = it.next();
          if (filter.matches(dead.letter())) {
            it.remove();
            g.replay(dead);
            replayed++;
          }
        }
        if (replayed > before) {
          g.dispatch();
        }
      }
    }
    return replayed;
  }

  @Override
  public long purgeDeadLetters(DeadLetterQuery filter) {
    MemoryTransport.Topic t = transport.existingTopic(filter.topic());
    if (t == null) {
      return 0;
    }
    long purged = 0;
    synchronized (t) {
      for (MemoryTransport.Group g : groupsOf(t, filter)) {
        for (Iterator<MemoryTransport.DeadEntry> it = g.deadLetters.values().iterator();
            it.hasNext(); ) {
          if (filter.matches(it.next().letter())) {
            it.remove();
            purged++;
          }
        }
      }
    }
    return purged;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Found in the topic's retained events, or among a group's dead letters when the event
   * itself is no longer retained; location {@code partition} 0 and {@code sequence}. Groups
   * that started after the event was published are absent.
   */
  @Override
  public Optional<EventStatus> event(String topic, String eventId) {
    MemoryTransport.Topic t = transport.existingTopic(topic);
    if (t == null) {
      return Optional.empty();
    }
    synchronized (t) {
      long seq = find(t, eventId);
      if (seq < 0) {
        return Optional.empty();
      }
      Map<String, EventStatus.Consumption> groups = new TreeMap<>();
      for (MemoryTransport.Group g : t.groups.values()) {
        EventStatus.Consumption c = g.consumption(seq);
        if (c != null) {
          groups.put(g.name, c);
        }
      }
      return Optional.of(new EventStatus(topic, eventId,
          Map.of("partition", "0", "sequence", Long.toString(seq)), groups));
    }
  }

  /** The sequence number of the event, or -1. Caller holds the topic's lock. */
  private static long find(MemoryTransport.Topic t, String eventId) {
    for (long seq = t.log.end() - 1; seq >= t.log.start(); seq--) {
      if (t.log.get(seq).id().equals(eventId)) {
        return seq;
      }
    }
    for (MemoryTransport.Group g : t.groups.values()) {
      for (MemoryTransport.DeadEntry dead : g.deadLetters.values()) {
        if (dead.letter().event().id().equals(eventId)) {
          return dead.seq();
        }
      }
    }
    return -1;
  }

  /** Throws: the in-memory transport has no webhook endpoints. */
  @Override
  public List<EndpointStatus> endpoints() {
    throw new UnsupportedOperationException("The memory transport does not declare "
        + "WEBHOOK_ENDPOINTS: it has no webhook endpoints");
  }

  /** One component, {@code memory}, up since the transport was created. */
  @Override
  public Health health() {
    return Health.of(List.of(new Health.Component("memory", Health.Status.UP, Optional.empty(),
        createdAt)));
  }

  private static List<MemoryTransport.Group> groupsOf(MemoryTransport.Topic t,
      DeadLetterQuery query) {
    if (query.group().isEmpty()) {
      return List.copyOf(t.groups.values());
    }
    MemoryTransport.Group g = t.groups.get(query.group().get());
    return g == null ? List.of() : List.of(g);
  }

  /** A place in the dead-letter order: a dead-lettering time and a dead letter's id. */
  private record Cursor(Instant at, String id) {

    static Cursor of(DeadLetter dl) {
      return new Cursor(dl.deadLetteredAt(), dl.id());
    }

    boolean isBefore(DeadLetter dl) {
      int byTime = at.compareTo(dl.deadLetteredAt());
      return byTime < 0 || byTime == 0 && id.compareTo(dl.id()) < 0;
    }

    String encode() {
      String plain = at.getEpochSecond() + "." + at.getNano() + "." + id;
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String token) {
      try {
        String plain = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        String[] parts = plain.split("\\.", 3);
        return new Cursor(Instant.ofEpochSecond(Long.parseLong(parts[0]),
            Long.parseLong(parts[1])), parts[2]);
      } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException
          | java.time.DateTimeException e) {
        throw new IllegalArgumentException("Invalid dead-letter page token '" + token
            + "': pass the next() of a page of the same transport", e);
      }
    }
  }
}
