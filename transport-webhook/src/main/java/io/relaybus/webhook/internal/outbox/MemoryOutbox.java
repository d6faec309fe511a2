package io.relaybus.webhook.internal.outbox;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.webhook.EndpointState;
import io.relaybus.webhook.WebhookEndpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbox in this JVM's memory: fast, and <b>not durable</b> — pending deliveries and dead
 * letters are lost when the process stops. One lock guards everything; every operation is short.
 */
public final class MemoryOutbox implements Outbox {

  private static final int MAX_ATTEMPT_RECORDS = 10_000;

  private final Object lock = new Object();
  private final AtomicLong ids = new AtomicLong();
  private final Map<String, RouteEntry> routes = new LinkedHashMap<>();
  /** Pending deliveries by id, so iteration is oldest first. */
  private final TreeMap<Long, Pending> pending = new TreeMap<>();
  /** Dead letters by id, so iteration is oldest first. */
  private final TreeMap<Long, DeadLetter> deadLetters = new TreeMap<>();
  private final java.util.ArrayDeque<RouteAttempt> attempts = new java.util.ArrayDeque<>();

  private static final class RouteEntry {
    WebhookEndpoint endpoint;
    String topic;
    String group;
    String secret;
    EndpointState state = EndpointState.ENABLED;
    String reason;
    final Map<String, MemberEntry> members = new LinkedHashMap<>();
  }

  private record MemberEntry(int capacity, Instant expires) {}

  private record RouteAttempt(String route, AttemptRecord attempt) {}

  private static final class Pending {
    final long id;
    final String route;
    final String topic;
    final Event event;
    final Instant created;
    int attempts;
    int handlerAttempt = 1;
    Instant due;
    Instant leaseUntil;

    Pending(long id, String route, String topic, Event event, Instant due) {
      this.id = id;
      this.route = route;
      this.topic = topic;
      this.event = event;
      this.created = due;
      this.due = due;
    }
  }

  @Override
  public int publish(String topic, List<Event> events) {
    synchronized (lock) {
      int n = 0;
      Instant now = Instant.now();
      for (Event e : events) {
        for (Map.Entry<String, RouteEntry> r : routes.entrySet()) {
          if (matches(r.getValue(), topic)) {
            long id = ids.incrementAndGet();
            pending.put(id, new Pending(id, r.getKey(), topic, e, now));
            n++;
          }
        }
      }
      return n;
    }
  }

  private static boolean matches(RouteEntry r, String topic) {
    return r.endpoint != null ? r.endpoint.matches(topic) : r.topic.equals(topic);
  }

  @Override
  public void putEndpoint(WebhookEndpoint endpoint) {
    synchronized (lock) {
      RouteEntry r = routes.computeIfAbsent(endpoint.name(), k -> new RouteEntry());
      if (r.endpoint == null && r.topic != null) {
        throw new IllegalArgumentException("'" + endpoint.name() + "' is a group route");
      }
      r.endpoint = endpoint;
    }
  }

  @Override
  public String putGroup(String group, String topic, String secret) {
    synchronized (lock) {
      RouteEntry r = routes.computeIfAbsent(Route.groupRoute(group, topic), k -> {
        RouteEntry n = new RouteEntry();
        n.group = group;
        n.topic = topic;
        n.secret = secret;
        return n;
      });
      return r.secret;
    }
  }

  @Override
  public boolean removeRoute(String name) {
    synchronized (lock) {
      pending.values().removeIf(p -> p.route.equals(name));
      return routes.remove(name) != null;
    }
  }

  @Override
  public boolean setState(String name, EndpointState state, String reason) {
    synchronized (lock) {
      RouteEntry r = routes.get(name);
      if (r == null) {
        return false;
      }
      r.state = state;
      r.reason = reason;
      return true;
    }
  }

  @Override
  public void putMember(String route, String url, int capacity, Duration ttl) {
    synchronized (lock) {
      RouteEntry r = routes.get(route);
      if (r != null) {
        r.members.put(url, new MemberEntry(capacity, Instant.now().plus(ttl)));
      }
    }
  }

  @Override
  public void removeMember(String route, String url) {
    synchronized (lock) {
      RouteEntry r = routes.get(route);
      if (r != null) {
        r.members.remove(url);
      }
    }
  }

  @Override
  public List<Route> routes() {
    synchronized (lock) {
      Instant now = Instant.now();
      List<Route> out = new ArrayList<>();
      routes.forEach((name, r) -> {
        List<Route.Member> members = new ArrayList<>();
        r.members.forEach((url, m) -> {
          if (m.expires().isAfter(now)) {
            members.add(new Route.Member(url, m.capacity()));
          }
        });
        out.add(new Route(name, r.endpoint, r.topic, r.group, r.secret, r.state, r.reason,
            List.copyOf(members)));
      });
      return out;
    }
  }

  @Override
  public long pending(String route) {
    synchronized (lock) {
      return pending.values().stream().filter(p -> p.route.equals(route)).count();
    }
  }

  @Override
  public List<OutboxDelivery> claim(String route, int max, boolean ordered, boolean byKey,
      Duration lease) {
    synchronized (lock) {
      RouteEntry entry = routes.get(route);
      if (entry != null && entry.state != EndpointState.ENABLED) {
        // A sender acting on a route list read before the endpoint was disabled (410 Gone,
        // the API) must not send: the state is checked where the delivery is claimed.
        return List.of();
      }
      Instant now = Instant.now();
      List<OutboxDelivery> out = new ArrayList<>();
      Set<String> keysSeen = new HashSet<>();
      for (Pending p : pending.values()) {
        if (!p.route.equals(route)) {
          continue;
        }
        String key = p.event.key().orElse(null);
        if (byKey && key != null && !keysSeen.add(key)) {
          continue; // an older delivery of this key is still pending
        }
        boolean free = p.leaseUntil == null || p.leaseUntil.isBefore(now);
        boolean due = !p.due.isAfter(now);
        if (ordered && !(free && due)) {
          break;
        }
        if (free && due) {
          if (byKey && p.leaseUntil != null) {
            p.handlerAttempt++; // a lapsed lease: see Outbox.claim
          }
          p.leaseUntil = now.plus(lease);
          out.add(new OutboxDelivery(p.id, p.route, p.topic, p.event, p.attempts,
              p.handlerAttempt));
          if (ordered || out.size() >= max) {
            break;
          }
        }
      }
      return out;
    }
  }

  @Override
  public void renew(Collection<Long> ids, Duration lease) {
    synchronized (lock) {
      Instant until = Instant.now().plus(lease);
      for (Long id : ids) {
        Pending p = pending.get(id);
        if (p != null && p.leaseUntil != null) {
          p.leaseUntil = until;
        }
      }
    }
  }

  @Override
  public void succeeded(AttemptRecord attempt) {
    synchronized (lock) {
      Pending p = pending.remove(attempt.deliveryId());
      if (p != null) {
        record(p.route, attempt);
      }
    }
  }

  @Override
  public void recordAttempt(String route, AttemptRecord attempt) {
    synchronized (lock) {
      record(route, attempt);
    }
  }

  @Override
  public void succeeded(List<AttemptRecord> attempts) {
    synchronized (lock) {
      for (AttemptRecord a : attempts) {
        succeeded(a);
      }
    }
  }

  @Override
  public void failed(AttemptRecord attempt, Instant due, int handlerAttempt, boolean counted) {
    synchronized (lock) {
      Pending p = pending.get(attempt.deliveryId());
      if (p == null) {
        return;
      }
      record(p.route, attempt);
      if (counted) {
        p.attempts++;
      }
      p.handlerAttempt = handlerAttempt;
      p.due = due;
      p.leaseUntil = null;
    }
  }

  @Override
  public void deadLetterDelivery(AttemptRecord attempt, OutboxDelivery delivery, String group,
      DeadLetterReason reason, int attemptCount, String lastError) {
    synchronized (lock) {
      Pending p = pending.remove(delivery.id());
      if (p == null) {
        return;
      }
      if (attempt != null) {
        record(p.route, attempt);
      }
      deadLetter(delivery.topic(), group, delivery.event(), reason, attemptCount, lastError);
    }
  }

  @Override
  public void deadLetter(String topic, String group, Event event, DeadLetterReason reason,
      int attemptCount, String lastError) {
    synchronized (lock) {
      long id = ids.incrementAndGet();
      deadLetters.put(id, new DeadLetter(Long.toString(id), topic, group, event, reason,
          attemptCount, lastError == null ? "" : lastError, Instant.now()));
    }
  }

  @Override
  public List<DeadLetter> deadLetters(DeadLetterQuery filter, DeadLetterCursor after,
      int limit) {
    synchronized (lock) {
      List<DeadLetter> out = new ArrayList<>();
      for (DeadLetter d : deadLetters.values()) {
        if (filter.matches(d) && (after == null || after.isBefore(d))) {
          out.add(d);
        }
      }
      // Stored under the lock with the time read there, so id order is nearly always time
      // order; sorted for when the clock stepped back.
      out.sort(Comparator.comparing(DeadLetter::deadLetteredAt)
          .thenComparingLong(d -> Long.parseLong(d.id())));
      return List.copyOf(out.subList(0, Math.min(limit, out.size())));
    }
  }

  @Override
  public Map<DeadLetterReason, Long> deadLetterCounts(String topic, String group) {
    synchronized (lock) {
      Map<DeadLetterReason, Long> counts = new EnumMap<>(DeadLetterReason.class);
      for (DeadLetter d : deadLetters.values()) {
        if (d.topic().equals(topic) && d.group().equals(group)) {
          counts.merge(d.reason(), 1L, Long::sum);
        }
      }
      return counts;
    }
  }

  @Override
  public int replay(String topic, String group, List<String> idsToReplay, String route) {
    synchronized (lock) {
      int n = 0;
      for (String id : idsToReplay) {
        Long key = parseId(id);
        DeadLetter d = key == null ? null : deadLetters.get(key);
        if (d != null && d.topic().equals(topic) && d.group().equals(group)) {
          deadLetters.remove(key);
          long deliveryId = ids.incrementAndGet();
          pending.put(deliveryId, new Pending(deliveryId, route, topic, d.event(), Instant.now()));
          n++;
        }
      }
      return n;
    }
  }

  private static Long parseId(String id) {
    try {
      return Long.valueOf(id);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  @Override
  public int purge(DeadLetterQuery filter) {
    synchronized (lock) {
      int before = deadLetters.size();
      deadLetters.values().removeIf(filter::matches);
      return before - deadLetters.size();
    }
  }

  @Override
  public Backlog backlog(String route, String topic) {
    synchronized (lock) {
      long depth = 0;
      Instant oldest = null;
      for (Pending p : pending.values()) {
        if (p.route.equals(route) && p.topic.equals(topic)) {
          depth++;
          if (oldest == null || p.created.isBefore(oldest)) {
            oldest = p.created;
          }
        }
      }
      return new Backlog(depth, oldest, Instant.now());
    }
  }

  @Override
  public List<String> topics() {
    synchronized (lock) {
      Set<String> out = new TreeSet<>();
      for (RouteEntry r : routes.values()) {
        if (r.endpoint != null) {
          out.addAll(r.endpoint.topics());
        } else {
          out.add(r.topic);
        }
      }
      out.remove("*");
      pending.values().forEach(p -> out.add(p.topic));
      deadLetters.values().forEach(d -> out.add(d.topic()));
      return List.copyOf(out);
    }
  }

  @Override
  public EventTrace trace(String topic, String eventId, Collection<String> routeNames) {
    synchronized (lock) {
      Map<String, Long> waiting = new HashMap<>();
      for (Pending p : pending.values()) {
        if (p.topic.equals(topic) && p.event.id().equals(eventId)) {
          waiting.merge(p.route, 1L, Long::sum);
        }
      }
      Set<String> dead = new HashSet<>();
      for (DeadLetter d : deadLetters.values()) {
        if (d.topic().equals(topic) && d.event().id().equals(eventId)) {
          dead.add(d.group());
        }
      }
      Set<String> delivered = new HashSet<>();
      for (RouteAttempt a : attempts) {
        AttemptRecord r = a.attempt();
        if (eventId.equals(r.eventId()) && r.status() >= 200 && r.status() < 300
            && routeNames.contains(a.route())) {
          delivered.add(a.route());
        }
      }
      return new EventTrace(waiting, dead, delivered);
    }
  }

  @Override
  public void check() {
    // Nothing to reach: the outbox is this JVM's memory.
  }

  @Override
  public List<AttemptRecord> attempts(String route, int limit, boolean newestFirst) {
    synchronized (lock) {
      List<AttemptRecord> out = new ArrayList<>();
      Iterator<RouteAttempt> it = newestFirst ? attempts.descendingIterator()
          : attempts.iterator();
      while (it.hasNext() && out.size() < limit) {
        RouteAttempt a = it.next();
        if (a.route().equals(route)) {
          out.add(a.attempt());
        }
      }
      return out;
    }
  }

  private void record(String route, AttemptRecord a) {
    if (attempts.size() >= MAX_ATTEMPT_RECORDS) {
      attempts.pollFirst();
    }
    attempts.add(new RouteAttempt(route, a));
  }

  @Override
  public int prune(Duration attemptRetention) {
    synchronized (lock) {
      Instant cutoff = Instant.now().minus(attemptRetention);
      int before = attempts.size();
      attempts.removeIf(a -> a.attempt().startedAt().isBefore(cutoff));
      int removed = before - attempts.size();
      Instant expired = Instant.now().minusSeconds(60);
      for (RouteEntry r : routes.values()) {
        int n = r.members.size();
        r.members.values().removeIf(m -> m.expires().isBefore(expired));
        removed += n - r.members.size();
      }
      return removed;
    }
  }

  @Override
  public boolean durable() {
    return false;
  }

  @Override
  public void close() {}
}
