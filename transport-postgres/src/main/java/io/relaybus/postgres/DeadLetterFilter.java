package io.relaybus.postgres;

import io.relaybus.ops.DeadLetterQuery;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Which rows of {@code dead_letters} a {@link DeadLetterQuery} means, as a SQL condition with
 * its values, and the keyset page tokens: a page continues after the
 * {@code (dead_lettered_at, dl_id)} of the last dead letter of the page before, so pages stay
 * right while dead letters are added or removed, and each is one index range
 * ({@code dead_letters_group} with a group, {@code dead_letters_topic} without).
 */
final class DeadLetterFilter {
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private final StringBuilder where = new StringBuilder("topic = ?");
  private final List<Object> values = new ArrayList<>();

  private DeadLetterFilter(String topic) {
    values.add(topic);
  }

  /** Every dead letter of a topic and group. */
  static DeadLetterFilter of(String topic, String group) {
    return new DeadLetterFilter(topic).and("grp = ?", group);
  }

  /** The dead letters the query's filter matches; its page plays no part. */
  static DeadLetterFilter matching(DeadLetterQuery query) {
    DeadLetterFilter f = new DeadLetterFilter(query.topic());
    query.group().ifPresent(g -> f.and("grp = ?", g));
    query.eventId().ifPresent(id -> f.and("id = ?", id));
    query.type().ifPresent(t -> f.and("type = ?", t));
    query.reason().ifPresent(r -> f.and("reason = ?", r.name()));
    query.from().ifPresent(t -> f.and("dead_lettered_at >= ?", timestamp(t)));
    query.to().ifPresent(t -> f.and("dead_lettered_at < ?", timestamp(t)));
    return f;
  }

  /** The query's filter and page start: after its {@code after} token, if any. */
  static DeadLetterFilter page(DeadLetterQuery query) {
    DeadLetterFilter f = matching(query);
    if (query.after().isPresent()) {
      String token = query.after().get();
      Position after = parse(token);
      f.where.append(" AND (dead_lettered_at, dl_id) > (?, ?)");
      f.values.add(timestamp(after.at()));
      f.values.add(after.id());
    }
    return f;
  }

  /** Adds a condition with one value. */
  DeadLetterFilter and(String condition, Object value) {
    where.append(" AND ").append(condition);
    values.add(value);
    return this;
  }

  /** The condition, for a {@code WHERE}. */
  String where() {
    return where.toString();
  }

  /** Binds the values from parameter {@code first}; returns the next parameter's index. */
  int bind(PreparedStatement ps, int first) throws SQLException {
    int i = first;
    for (Object v : values) {
      ps.setObject(i++, v);
    }
    return i;
  }

  /** The token of the page after the dead letter at this position. */
  static String token(Instant deadLetteredAt, String deadLetterId) {
    long micros = ChronoUnit.MICROS.between(Instant.EPOCH, deadLetteredAt);
    return ENCODER.encodeToString((micros + ":" + deadLetterId)
        .getBytes(StandardCharsets.US_ASCII));
  }

  private static Position parse(String token) {
    try {
      String text = new String(DECODER.decode(token), StandardCharsets.US_ASCII);
      int colon = text.indexOf(':');
      long micros = Long.parseLong(text.substring(0, colon));
      return new Position(Instant.EPOCH.plus(micros, ChronoUnit.MICROS),
          UUID.fromString(text.substring(colon + 1)));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("Invalid dead-letter page token '"
          + (token.length() > 80 ? token.substring(0, 80) + "..." : token)
          + "': pass the next() of a page this transport returned", e);
    }
  }

  private static OffsetDateTime timestamp(Instant t) {
    return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
  }

  /** Where a page ends. */
  private record Position(Instant at, UUID id) {}
}
