package io.relaybus.kafka;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.kafka.KafkaDeadLetters.Entry;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dead letters for the operations API: search by filter with paging, counts per reason, and
 * replay or purge of every match. A group's dead letters are in its dead-letter topic
 * ({@link KafkaSettings#DEAD_LETTER_TOPIC}); a query without a group reads every dead-letter
 * topic of the topic, found among the cluster's topic names by the template with the topic
 * filled in (the records' own origin headers then decide, so a name that two topic/group pairs
 * share is still read correctly).
 *
 * <p>Pages are ordered by dead-lettering time, merged over the dead-letter topics (each in offset
 * order). A page token holds positions: per dead-letter topic, the offset after the last dead
 * letter handed out, so the next page starts exactly there whatever was dead-lettered, replayed
 * or purged meanwhile. Every call reads the dead-letter topics whole, as {@link
 * KafkaDeadLetters} does, since a resolution marker follows the entry it resolves.
 *
 * <p>Replay and purge keep the store's semantics, extended to a filter: replay republishes each
 * match to its origin topic for its group and then appends a resolution marker; purge appends
 * only the marker. Nothing is deleted from Kafka (topics are append-only; retention removes old
 * records); a resolved dead letter is no longer listed, counted or replayed.
 */
final class DeadLetterSearch {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

  private final KafkaDeadLetters store;
  private final TopicAdmin topics;
  private final String template;

  DeadLetterSearch(KafkaDeadLetters store, TopicAdmin topics, KafkaSettings settings) {
    this.store = store;
    this.topics = topics;
    this.template = settings.deadLetterTopicTemplate();
  }

  DeadLetterPage search(DeadLetterQuery query) {
    Map<String, Long> positions = new TreeMap<>(positions(query.after()));
    PriorityQueue<Head> heads = matches(query, positions);
    List<DeadLetter> page = new ArrayList<>(Math.min(query.limit(), 256));
    while (page.size() < query.limit() && !heads.isEmpty()) {
      Head h = heads.poll();
      page.add(h.entry.deadLetter());
      positions.put(h.entry.dlqTopic(), h.entry.offset() + 1);
      if (h.rest.hasNext()) {
        heads.add(new Head(h.rest.next(), h.rest));
      }
    }
    return new DeadLetterPage(page,
        heads.isEmpty() ? Optional.empty() : Optional.of(token(positions)));
  }

  Map<DeadLetterReason, Long> counts(String topic, String group) {
    Map<DeadLetterReason, Long> counts = new EnumMap<>(DeadLetterReason.class);
    for (Entry e : store.scan(store.topicName(topic, group), topic, group)) {
      counts.merge(e.deadLetter().reason(), 1L, Long::sum);
    }
    return Collections.unmodifiableMap(counts);
  }

  long replay(DeadLetterQuery filter) {
    synchronized (store) { // one replay or purge at a time, as the store's own
      return store.replay(all(filter));
    }
  }

  long purge(DeadLetterQuery filter) {
    synchronized (store) {
      return store.purge(all(filter), "purging");
    }
  }

  /**
   * The dead-letter topics among topic names: each name the template gives another of the
   * names with some group filled in.
   */
  Set<String> deadLetterTopics(Set<String> names) {
    Set<String> found = new HashSet<>();
    for (String origin : names) {
      Pattern ofOrigin = deadLetterTopicsOf(origin);
      for (String name : names) {
        if (!name.equals(origin) && ofOrigin.matcher(name).matches()) {
          found.add(name);
        }
      }
    }
    return found;
  }

  private List<Entry> all(DeadLetterQuery filter) {
    List<Entry> all = new ArrayList<>();
    PriorityQueue<Head> heads = matches(filter, Map.of());
    while (!heads.isEmpty()) {
      Head h = heads.poll();
      all.add(h.entry);
      if (h.rest.hasNext()) {
        heads.add(new Head(h.rest.next(), h.rest));
      }
    }
    return all;
  }

  /** The first match of each dead-letter topic at or after its position, oldest first. */
  private PriorityQueue<Head> matches(DeadLetterQuery query, Map<String, Long> from) {
    PriorityQueue<Head> heads = new PriorityQueue<>(Head.ORDER);
    for (String dlq : deadLetterTopics(query)) {
      long start = from.getOrDefault(dlq, 0L);
      List<Entry> matching = new ArrayList<>();
      for (Entry e : store.scan(dlq, query.topic(), query.group().orElse(null))) {
        if (e.offset() >= start && query.matches(e.deadLetter())) {
          matching.add(e);
        }
      }
      Iterator<Entry> it = matching.iterator();
      if (it.hasNext()) {
        heads.add(new Head(it.next(), it));
      }
    }
    return heads;
  }

  private List<String> deadLetterTopics(DeadLetterQuery query) {
    if (query.group().isPresent()) {
      return List.of(store.topicName(query.topic(), query.group().get()));
    }
    Pattern ofTopic = deadLetterTopicsOf(query.topic());
    List<String> found = new ArrayList<>();
    for (String name : topics.names()) {
      if (ofTopic.matcher(name).matches()) {
        found.add(name);
      }
    }
    Collections.sort(found);
    return found;
  }

  /** The names the template gives the topic's dead-letter topics, any group. */
  private Pattern deadLetterTopicsOf(String topic) {
    StringBuilder regex = new StringBuilder();
    Matcher m = Pattern.compile("\\{topic\\}|\\{group\\}").matcher(template);
    int at = 0;
    while (m.find()) {
      regex.append(Pattern.quote(template.substring(at, m.start())));
      regex.append(m.group().equals("{topic}") ? Pattern.quote(topic) : NAME.pattern());
      at = m.end();
    }
    regex.append(Pattern.quote(template.substring(at)));
    return Pattern.compile(regex.toString());
  }

  private static String token(Map<String, Long> positions) {
    StringBuilder sb = new StringBuilder();
    positions.forEach((dlq, offset) -> sb.append(dlq).append('=').append(offset).append('\n'));
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, Long> positions(Optional<String> token) {
    Map<String, Long> positions = new LinkedHashMap<>();
    if (token.isEmpty()) {
      return positions;
    }
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode(token.get()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid(token.get(), "not a page token of the Kafka transport");
    }
    for (String line : text.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      int eq = line.lastIndexOf('=');
      if (eq < 1 || !NAME.matcher(line.substring(0, eq)).matches()) {
        throw invalid(token.get(), "not a page token of the Kafka transport");
      }
      try {
        long offset = Long.parseLong(line.substring(eq + 1));
        if (offset < 0) {
          throw invalid(token.get(), "negative offset");
        }
        positions.put(line.substring(0, eq), offset);
      } catch (NumberFormatException e) {
        throw invalid(token.get(), "not a page token of the Kafka transport");
      }
    }
    return positions;
  }

  private static IllegalArgumentException invalid(String token, String why) {
    return new IllegalArgumentException("Invalid dead-letter page token '" + token + "': " + why);
  }

  /** The next match of one dead-letter topic and the rest of them. */
  private record Head(Entry entry, Iterator<Entry> rest) {
    static final Comparator<Head> ORDER = Comparator
        .comparing((Head h) -> h.entry.deadLetter().deadLetteredAt())
        .thenComparing(h -> h.entry.dlqTopic())
        .thenComparingLong(h -> h.entry.offset());
  }
}
