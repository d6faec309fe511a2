package io.relaybus.console.internal;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.Operations;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The dead-letter filter of the console's forms: the operations API's {@link DeadLetterQuery}
 * fields, plus a JSON field of the data, which the console matches itself on the pages the API
 * returns (so a search by JSON field reads one API page per console page, never the whole
 * set, and bulk actions, which the API performs by its own filter, are not offered with it).
 */
final class DeadLetterFilter {
  /** The API page read per console page when a JSON field is matched by the console. */
  static final int SCAN_PAGE = 500;
  private static final ObjectMapper JSON = new ObjectMapper();

  final String topic;
  final String group;
  final String eventId;
  final String type;
  final DeadLetterReason reason;
  final Instant from;
  final Instant to;
  final String field;
  final String value;
  private final JsonPointer pointer;

  private DeadLetterFilter(Map<String, String> p) {
    topic = p.get("topic");
    if (topic == null) {
      throw new IllegalArgumentException("Parameter 'topic' is required");
    }
    group = p.get("group");
    eventId = p.get("id");
    type = p.get("type");
    String r = p.get("reason");
    try {
      reason = r == null ? null : DeadLetterReason.valueOf(r.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Parameter 'reason' is '" + r + "'; use one of "
          + List.of(DeadLetterReason.values()));
    }
    from = instant("from", p.get("from"));
    to = instant("to", p.get("to"));
    field = p.get("field");
    value = p.get("value");
    if (field != null && value == null) {
      throw new IllegalArgumentException("Parameter 'field' (" + field + ") needs a 'value'");
    }
    try {
      pointer = field == null ? null
          : JsonPointer.compile(field.startsWith("/") ? field : "/" + field.replace('.', '/'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Parameter 'field' is not a JSON field path: " + field);
    }
  }

  /** Reads a filter from request parameters; blank ones are absent. */
  static DeadLetterFilter of(Map<String, String> params) {
    Map<String, String> p = new LinkedHashMap<>();
    params.forEach((k, v) -> {
      if (v != null && !v.isBlank()) {
        p.put(k, v.trim());
      }
    });
    return new DeadLetterFilter(p);
  }

  private static Instant instant(String name, String text) {
    if (text == null) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException("Parameter '" + name + "' is '" + text
            + "'; use an ISO-8601 time such as 2026-01-31T12:00:00Z (UTC without a zone)");
      }
    }
  }

  boolean matchesDataField() {
    return pointer != null;
  }

  DeadLetterQuery.Builder query() {
    DeadLetterQuery.Builder b = DeadLetterQuery.builder(topic);
    if (group != null) {
      b.group(group);
    }
    if (eventId != null) {
      b.eventId(eventId);
    }
    if (type != null) {
      b.type(type);
    }
    if (reason != null) {
      b.reason(reason);
    }
    if (from != null || to != null) {
      b.deadLetteredBetween(from, to);
    }
    return b;
  }

  boolean dataMatches(DeadLetter dl) {
    if (pointer == null) {
      return true;
    }
    try {
      JsonNode node = JSON.readTree(dl.event().data()).at(pointer);
      if (node.isMissingNode()) {
        return false;
      }
      return (node.isValueNode() ? node.asText() : node.toString()).equals(value);
    } catch (IOException e) {
      return false; // data that is not JSON has no field to match
    }
  }

  /** One console page: the API's page (filtered by the JSON field when one is set). */
  DeadLetterPage page(Operations ops, String after, int size) {
    DeadLetterQuery.Builder b = query().limit(pointer == null ? size : SCAN_PAGE);
    if (after != null) {
      b.after(after);
    }
    DeadLetterPage page = ops.deadLetters(b.build());
    if (pointer == null) {
      return page;
    }
    List<DeadLetter> matching = new ArrayList<>();
    for (DeadLetter dl : page.items()) {
      if (dataMatches(dl)) {
        matching.add(dl);
      }
    }
    return new DeadLetterPage(matching, page.next());
  }

  /** How many dead letters match, by paging through the API with its largest pages. */
  long count(Operations ops) {
    long n = 0;
    Optional<String> next = Optional.empty();
    do {
      DeadLetterQuery.Builder b = query().limit(DeadLetterQuery.MAX_LIMIT);
      next.ifPresent(b::after);
      DeadLetterPage page = ops.deadLetters(b.build());
      for (DeadLetter dl : page.items()) {
        if (dataMatches(dl)) {
          n++;
        }
      }
      next = page.next();
    } while (next.isPresent());
    return n;
  }

  /** The filter as request parameters, in a fixed order. */
  Map<String, String> params() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("topic", topic);
    put(p, "group", group);
    put(p, "id", eventId);
    put(p, "type", type);
    put(p, "reason", reason == null ? null : reason.name());
    put(p, "from", from == null ? null : from.toString());
    put(p, "to", to == null ? null : to.toString());
    put(p, "field", field);
    put(p, "value", value);
    return p;
  }

  private static void put(Map<String, String> p, String k, String v) {
    if (v != null) {
      p.put(k, v);
    }
  }

  String queryString() {
    StringBuilder sb = new StringBuilder();
    params().forEach((k, v) -> sb.append(sb.length() == 0 ? "" : "&").append(k).append('=')
        .append(Html.url(v)));
    return sb.toString();
  }

  @Override
  public String toString() {
    return params().toString();
  }
}
