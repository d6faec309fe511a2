package io.relaybus.ops;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.spi.Names;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Which dead letters: a topic, optionally one group, and any of event id, event type, reason
 * and a range of dead-lettering times; with a page ({@link #limit()} and the {@link #after()}
 * token of the previous {@link DeadLetterPage}). Immutable; build with {@link #builder(String)}.
 */
public final class DeadLetterQuery {
  /** The largest page. */
  public static final int MAX_LIMIT = 10_000;

  private final String topic;
  private final String group;
  private final String eventId;
  private final String type;
  private final DeadLetterReason reason;
  private final Instant from;
  private final Instant to;
  private final int limit;
  private final String after;

  private DeadLetterQuery(Builder b) {
    this.topic = b.topic;
    this.group = b.group;
    this.eventId = b.eventId;
    this.type = b.type;
    this.reason = b.reason;
    this.from = b.from;
    this.to = b.to;
    this.limit = b.limit;
    this.after = b.after;
  }

  /**
   * Starts a query over one topic's dead letters, every group.
   *
   * @param topic the topic
   * @return a builder
   * @throws io.relaybus.InvalidNameException when the topic name is invalid
   */
  public static Builder builder(String topic) {
    return new Builder(Names.requireTopic(topic));
  }

  /**
   * The topic.
   *
   * @return the topic
   */
  public String topic() {
    return topic;
  }

  /**
   * The group, when the query is about one group.
   *
   * @return the group, or empty for every group of the topic
   */
  public Optional<String> group() {
    return Optional.ofNullable(group);
  }

  /**
   * The event id to match exactly.
   *
   * @return the id, or empty for any
   */
  public Optional<String> eventId() {
    return Optional.ofNullable(eventId);
  }

  /**
   * The event type to match exactly.
   *
   * @return the type, or empty for any
   */
  public Optional<String> type() {
    return Optional.ofNullable(type);
  }

  /**
   * The reason to match.
   *
   * @return the reason, or empty for any
   */
  public Optional<DeadLetterReason> reason() {
    return Optional.ofNullable(reason);
  }

  /**
   * The earliest dead-lettering time, inclusive.
   *
   * @return the time, or empty for no lower bound
   */
  public Optional<Instant> from() {
    return Optional.ofNullable(from);
  }

  /**
   * The dead-lettering time before which to match, exclusive.
   *
   * @return the time, or empty for no upper bound
   */
  public Optional<Instant> to() {
    return Optional.ofNullable(to);
  }

  /**
   * The most dead letters on one page.
   *
   * @return 1 to {@value #MAX_LIMIT}
   */
  public int limit() {
    return limit;
  }

  /**
   * Where the page starts: the {@link DeadLetterPage#next()} token of the page before.
   *
   * @return the token, or empty for the first page
   */
  public Optional<String> after() {
    return Optional.ofNullable(after);
  }

  /**
   * Tells whether a dead letter matches the filter (topic, group, event id, type, reason,
   * time range); the page plays no part.
   *
   * @param deadLetter a dead letter
   * @return {@code true} when it matches
   */
  public boolean matches(DeadLetter deadLetter) {
    return deadLetter.topic().equals(topic)
        && (group == null || deadLetter.group().equals(group))
        && (eventId == null || deadLetter.event().id().equals(eventId))
        && (type == null || deadLetter.event().type().equals(type))
        && (reason == null || deadLetter.reason() == reason)
        && (from == null || !deadLetter.deadLetteredAt().isBefore(from))
        && (to == null || deadLetter.deadLetteredAt().isBefore(to));
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("DeadLetterQuery{topic=").append(topic);
    if (group != null) {
      sb.append(", group=").append(group);
    }
    if (eventId != null) {
      sb.append(", eventId=").append(eventId);
    }
    if (type != null) {
      sb.append(", type=").append(type);
    }
    if (reason != null) {
      sb.append(", reason=").append(reason);
    }
    if (from != null) {
      sb.append(", from=").append(from);
    }
    if (to != null) {
      sb.append(", to=").append(to);
    }
    return sb.append(", limit=").append(limit).append('}').toString();
  }

  /** Builds a {@link DeadLetterQuery}. Not thread-safe. */
  public static final class Builder {
    private final String topic;
    private String group;
    private String eventId;
    private String type;
    private DeadLetterReason reason;
    private Instant from;
    private Instant to;
    private int limit = 100;
    private String after;

    private Builder(String topic) {
      this.topic = topic;
    }

    /**
     * Only this group's dead letters.
     *
     * @param group the group
     * @return this builder
     * @throws io.relaybus.InvalidNameException when the group name is invalid
     */
    public Builder group(String group) {
      this.group = Names.requireGroup(group);
      return this;
    }

    /**
     * Only dead letters of this event.
     *
     * @param eventId the event's id
     * @return this builder
     */
    public Builder eventId(String eventId) {
      this.eventId = Objects.requireNonNull(eventId, "eventId");
      return this;
    }

    /**
     * Only events of this type.
     *
     * @param type the event type
     * @return this builder
     */
    public Builder type(String type) {
      this.type = Objects.requireNonNull(type, "type");
      return this;
    }

    /**
     * Only dead letters with this reason.
     *
     * @param reason the reason
     * @return this builder
     */
    public Builder reason(DeadLetterReason reason) {
      this.reason = Objects.requireNonNull(reason, "reason");
      return this;
    }

    /**
     * Only dead letters from {@code from} (inclusive) to {@code to} (exclusive); either may be
     * {@code null} for no bound.
     *
     * @param from the earliest dead-lettering time, or {@code null}
     * @param to the time before which, or {@code null}
     * @return this builder
     * @throws IllegalArgumentException when {@code to} is before {@code from}
     */
    public Builder deadLetteredBetween(Instant from, Instant to) {
      if (from != null && to != null && to.isBefore(from)) {
        throw new IllegalArgumentException("to (" + to + ") is before from (" + from + ")");
      }
      this.from = from;
      this.to = to;
      return this;
    }

    /**
     * The most dead letters on a page (100 unless set).
     *
     * @param limit 1 to {@value #MAX_LIMIT}
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder limit(int limit) {
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new IllegalArgumentException("limit must be from 1 to " + MAX_LIMIT + ", got "
            + limit);
      }
      this.limit = limit;
      return this;
    }

    /**
     * Continues after a previous page.
     *
     * @param token the previous page's {@link DeadLetterPage#next()}
     * @return this builder
     */
    public Builder after(String token) {
      this.after = Objects.requireNonNull(token, "token");
      return this;
    }

    /**
     * Builds the query.
     *
     * @return the query
     */
    public DeadLetterQuery build() {
      return new DeadLetterQuery(this);
    }
  }
}
