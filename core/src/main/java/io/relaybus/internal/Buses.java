package io.relaybus.internal;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.UnknownTransportException;
import io.relaybus.spi.Settings;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates buses: finds the transport, validates every key, reads subscription defaults. */
public final class Buses {
  private static final Logger LOG = LoggerFactory.getLogger(Buses.class);

  /** The transport key. */
  public static final String TRANSPORT = "relaybus.transport";
  static final String GROUP = "relaybus.subscriber.group";
  static final String START_POSITION = "relaybus.subscriber.start-position";
  static final String CONCURRENCY = "relaybus.subscriber.concurrency";
  static final String MAX_IN_FLIGHT = "relaybus.subscriber.max-in-flight";
  static final String DEAD_LETTERS = "relaybus.subscriber.dead-letters";
  static final String CLOSE_TIMEOUT = "relaybus.subscriber.close-timeout";
  static final String MAX_ATTEMPTS = "relaybus.retry.max-attempts";
  static final String INITIAL_DELAY = "relaybus.retry.initial-delay";
  static final String MAX_DELAY = "relaybus.retry.max-delay";
  static final String MULTIPLIER = "relaybus.retry.multiplier";
  static final String JITTER = "relaybus.retry.jitter";

  /** Every key the core reads. */
  public static final List<String> CORE_KEYS = List.of(TRANSPORT, GROUP, START_POSITION,
      CONCURRENCY, MAX_IN_FLIGHT, DEAD_LETTERS, CLOSE_TIMEOUT, MAX_ATTEMPTS, INITIAL_DELAY,
      MAX_DELAY, MULTIPLIER, JITTER);

  /** Transports Relaybus ships, and the artifact that provides each. */
  private static final Map<String, String> KNOWN_ARTIFACTS = Map.of(
      "memory", "io.relaybus:relaybus-core",
      "postgres", "io.relaybus:relaybus-transport-postgres",
      "kafka", "io.relaybus:relaybus-transport-kafka",
      "webhook", "io.relaybus:relaybus-transport-webhook");

  private Buses() {}

  /**
   * Creates a bus.
   *
   * @param settings the configuration
   * @param explicitProvider a provider given in code, or {@code null} to look up by name
   * @return the bus
   */
  public static EventBus create(Settings settings, TransportProvider explicitProvider) {
    Map<String, TransportProvider> available = discover();
    String name;
    TransportProvider provider;
    if (explicitProvider != null) {
      name = explicitProvider.name();
      provider = explicitProvider;
      available.put(name, provider);
    } else {
      name = settings.get(TRANSPORT).orElse("memory").trim().toLowerCase(Locale.ROOT);
      provider = available.get(name);
      if (provider == null) {
        throw unknownTransport(name, available.keySet());
      }
    }

    Settings.Reader reader = settings.reader();
    checkKeys(settings, provider, available.keySet(), reader);
    SubscribeOptions defaults = readDefaults(reader);

    Transport transport = null;
    List<String> problems = new ArrayList<>(reader.problems());
    try {
      transport = provider.create(new Context(settings, name));
    } catch (ConfigurationException e) {
      problems.addAll(e.problems());
    }
    if (!problems.isEmpty()) {
      if (transport != null) {
        transport.close();
      }
      throw new ConfigurationException(problems);
    }
    LOG.info("Relaybus started on the {} transport ({})", name, transport.capabilities());
    return new DefaultEventBus(name, transport, defaults);
  }

  private static Map<String, TransportProvider> discover() {
    Map<String, TransportProvider> providers = new TreeMap<>();
    for (TransportProvider p : ServiceLoader.load(TransportProvider.class,
        Buses.class.getClassLoader())) {
      providers.putIfAbsent(p.name(), p);
    }
    ClassLoader tccl = Thread.currentThread().getContextClassLoader();
    if (tccl != null && tccl != Buses.class.getClassLoader()) {
      for (TransportProvider p : ServiceLoader.load(TransportProvider.class, tccl)) {
        providers.putIfAbsent(p.name(), p);
      }
    }
    return providers;
  }

  private static UnknownTransportException unknownTransport(String name, Set<String> available) {
    StringBuilder sb = new StringBuilder(TRANSPORT + "='" + name + "' is not available. ");
    sb.append("Transports on the classpath: ")
        .append(available.isEmpty() ? "none" : String.join(", ", available)).append('.');
    String artifact = KNOWN_ARTIFACTS.get(name);
    if (artifact != null) {
      sb.append(" Add the dependency ").append(artifact).append(" to use '").append(name)
          .append("'.");
    } else {
      sb.append(" Relaybus ships: ").append(String.join(", ", new TreeSet<>(
          KNOWN_ARTIFACTS.keySet()))).append('.');
    }
    return new UnknownTransportException(sb.toString());
  }

  private static void checkKeys(Settings settings, TransportProvider provider,
      Set<String> available, Settings.Reader reader) {
    Set<String> core = new TreeSet<>();
    CORE_KEYS.forEach(k -> core.add(Settings.normalise(k)));
    String own = Settings.normalise("relaybus." + provider.name() + ".");
    Set<String> otherNamespaces = new TreeSet<>();
    for (String t : available) {
      otherNamespaces.add(Settings.normalise("relaybus." + t + "."));
    }
    for (String t : KNOWN_ARTIFACTS.keySet()) {
      otherNamespaces.add(Settings.normalise("relaybus." + t + "."));
    }
    otherNamespaces.remove(own);

    for (String key : settings.keys()) {
      String n = Settings.normalise(key);
      if (core.contains(n)) {
        continue;
      }
      if (n.startsWith(own)) {
        if (!provider.acceptsKey(key)) {
          reader.problem(key + " is not a setting of the " + provider.name()
              + " transport" + suggestion(key, provider.configKeys()) + "; its settings are: "
              + String.join(", ", new TreeSet<>(provider.configKeys())));
        }
        continue;
      }
      boolean otherTransport = false;
      for (String ns : otherNamespaces) {
        otherTransport |= n.startsWith(ns);
      }
      if (!otherTransport) {
        reader.problem(key + " is not a Relaybus setting" + suggestion(key, CORE_KEYS)
            + "; see the configuration reference in the README");
      }
    }
  }

  private static String suggestion(String key, Iterable<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    String n = Settings.normalise(key);
    for (String c : candidates) {
      int d = distance(n, Settings.normalise(c));
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    return best != null && bestDistance <= 3 ? " (did you mean " + best + "?)" : "";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static SubscribeOptions readDefaults(Settings.Reader r) {
    SubscribeOptions lib = SubscribeOptions.libraryDefaults();
    RetryPolicy libRetry = lib.retryPolicy();
    SubscribeOptions.Builder b = SubscribeOptions.builder();

    String group = r.string(GROUP, lib.group());
    try {
      b.group(group);
    } catch (RuntimeException e) {
      r.problem(GROUP + "='" + group + "' is invalid: " + e.getMessage());
      b.group(lib.group());
    }
    b.startPosition(r.enumValue(START_POSITION, StartPosition.class, lib.startPosition()));
    int concurrency = r.integer(CONCURRENCY, lib.concurrency(), 1, 1024);
    int maxInFlight = r.integer(MAX_IN_FLIGHT, Math.max(lib.maxInFlight(), concurrency), 1,
        1_000_000);
    if (maxInFlight < concurrency) {
      r.problem(MAX_IN_FLIGHT + "=" + maxInFlight + " is invalid: it must be at least "
          + CONCURRENCY + " (" + concurrency + ")");
      maxInFlight = concurrency;
    }
    b.concurrency(concurrency).maxInFlight(maxInFlight);
    b.deadLetters(r.bool(DEAD_LETTERS, lib.deadLetters()));
    b.closeTimeout(r.duration(CLOSE_TIMEOUT, lib.closeTimeout(), Duration.ZERO,
        Duration.ofHours(1)));

    int attempts = r.integer(MAX_ATTEMPTS, libRetry.maxAttempts(), 1, 1000);
    Duration initial = r.duration(INITIAL_DELAY, libRetry.initialDelay(), Duration.ZERO,
        Duration.ofDays(1));
    Duration max = r.duration(MAX_DELAY, libRetry.maxDelay(), Duration.ZERO, Duration.ofDays(1));
    if (max.compareTo(initial) < 0) {
      r.problem(MAX_DELAY + "=" + max + " is invalid: it must be at least " + INITIAL_DELAY
          + " (" + initial + ")");
      max = initial;
    }
    double multiplier = r.decimal(MULTIPLIER, libRetry.multiplier(), 1.0, 100.0);
    double jitter = r.decimal(JITTER, libRetry.jitter(), 0.0, 1.0);
    b.retryPolicy(RetryPolicy.builder().maxAttempts(attempts).backoff(initial, max, multiplier)
        .jitter(jitter).build());
    return b.build();
  }

  private static final class Context implements TransportContext {
    private final Settings settings;
    private final String transport;

    Context(Settings settings, String transport) {
      this.settings = settings;
      this.transport = transport;
    }

    @Override
    public Settings settings() {
      return settings;
    }

    @Override
    public ThreadFactory threadFactory(String purpose) {
      return new NamedThreadFactory("relaybus-" + transport + "-" + purpose);
    }
  }
}
