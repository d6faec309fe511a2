package io.relaybus.spi;

import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The configuration keys the core itself reads — the transport, subscription and retry
 * defaults, the health grace period — each with what it sets and its default, as each transport
 * names its own in {@link TransportProvider#configKeys()}. For tools that describe or complete
 * a bus's configuration (the Spring Boot starter's metadata is checked against it); the bus
 * accepts exactly these keys besides the transport's.
 */
public final class CoreKeys {

  /**
   * One key of the core.
   *
   * @param name the key, such as {@code relaybus.retry.max-attempts}
   * @param description what it sets, with its valid range
   * @param defaultValue its value when absent, as it would be written in configuration
   *     ({@code 30s}, {@code earliest}, {@code 64})
   */
  public record Key(String name, String description, String defaultValue) {
    /**
     * A key.
     *
     * @throws NullPointerException when a part is null
     */
    public Key {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(description, "description");
      Objects.requireNonNull(defaultValue, "defaultValue");
    }
  }

  private static final List<Key> KEYS = keys();

  private CoreKeys() {}

  /**
   * Every key the core reads.
   *
   * @return the keys, unmodifiable
   */
  public static List<Key> all() {
    return KEYS;
  }

  /**
   * The names of {@link #all()}.
   *
   * @return the names, unmodifiable
   */
  public static List<String> names() {
    return KEYS.stream().map(Key::name).toList();
  }

  private static List<Key> keys() {
    SubscribeOptions lib = SubscribeOptions.libraryDefaults();
    RetryPolicy retry = lib.retryPolicy();
    return List.of(
        new Key("relaybus.transport",
            "The transport: memory, or with its artifact postgres, kafka, webhook.", "memory"),
        new Key("relaybus.subscriber.group",
            "Group of a subscription that names none, [A-Za-z0-9._-]{1,200}.", lib.group()),
        new Key("relaybus.subscriber.start-position",
            "Where a new group starts: earliest (history) or latest.",
            lib.startPosition().name().toLowerCase(Locale.ROOT)),
        new Key("relaybus.subscriber.concurrency",
            "Handlers running at once per subscription, 1-1024.",
            String.valueOf(lib.concurrency())),
        new Key("relaybus.subscriber.max-in-flight",
            "Events held per subscription at once (at least the concurrency), 1-1,000,000.",
            String.valueOf(lib.maxInFlight())),
        new Key("relaybus.subscriber.dead-letters",
            "Whether exhausted events go to the group's dead letters (false: log and drop).",
            String.valueOf(lib.deadLetters())),
        new Key("relaybus.subscriber.close-timeout",
            "How long closing a subscription waits for handlers in flight, 0-1h (250ms, 5s, "
                + "2m, PT5S).", duration(lib.closeTimeout())),
        new Key("relaybus.retry.max-attempts",
            "Attempts per event, counting the first, 1-1000.",
            String.valueOf(retry.maxAttempts())),
        new Key("relaybus.retry.initial-delay",
            "Wait before the second attempt, 0-1d.", duration(retry.initialDelay())),
        new Key("relaybus.retry.max-delay",
            "Longest wait between attempts, at least the initial delay, at most 1d.",
            duration(retry.maxDelay())),
        new Key("relaybus.retry.multiplier",
            "Growth of the wait after each attempt, 1.0-100.0.",
            String.valueOf(retry.multiplier())),
        new Key("relaybus.retry.jitter",
            "Random part of each wait, as a fraction of it, 0.0-1.0.",
            String.valueOf(retry.jitter())),
        new Key(HealthGrace.GRACE_PERIOD_KEY,
            "How long a failing health check shows DEGRADED before DOWN.",
            duration(HealthGrace.DEFAULT_GRACE_PERIOD)));
  }

  /** A duration as configuration spells it: the largest whole unit of d, h, m, s, ms. */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
    String[] names = {"d", "h", "m", "s"};
    for (int i = 0; i < units.length; i++) {
      if (ms % units[i] == 0) {
        return ms / units[i] + names[i];
      }
    }
    return ms + "ms";
  }
}
