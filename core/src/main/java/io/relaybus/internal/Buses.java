package io.relaybus.internal;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.UnknownTransportException;
import io.relaybus.spi.CoreKeys;
import io.relaybus.spi.HealthGrace;
import io.relaybus.spi.Instrumentation;
import io.relaybus.spi.Settings;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

/**
 * Creates buses: finds the transport, checks every key and value (the core's, and the
 * transport's through {@link TransportProvider#validate(Settings)}), reports every problem in
 * one {@link ConfigurationException} before the transport opens anything, reads subscription
 * defaults.
 */
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
  static final String HEALTH_GRACE_PERIOD = HealthGrace.GRACE_PERIOD_KEY;

  /** The prefix of the test servers' environment variables, never warned about. */
  private static final String TEST_VARIABLES = "RELAYBUS_TEST_";

  /** Every key the core reads (described, with its default, in {@link CoreKeys}). */
  public static final List<String> CORE_KEYS = CoreKeys.names();

  /** Transports Relaybus ships, and the artifact that provides each. */
  private static final Map<String, String> KNOWN_ARTIFACTS = Map.of(
      "memory", "io.relaybus:relaybus-core",
      "postgres", "io.relaybus:relaybus-transport-postgres",
      "kafka", "io.relaybus:relaybus-transport-kafka",
      "webhook", "io.relaybus:relaybus-transport-webhook");

  private Buses() {}

  /**
   * Creates a bus from settings given by the application (properties, a map, the builder):
   * every key in the {@code relaybus} namespace must be a setting of the core or of a
   * transport.
   *
   * @param settings the configuration
   * @param explicitProvider a provider given in code, or {@code null} to look up by name
   * @return the bus
   * @throws ConfigurationException listing every problem, before the transport is created
   */
  public static EventBus create(Settings settings, TransportProvider explicitProvider) {
    return create(settings, explicitProvider, List.of());
  }

  /**
   * Creates a bus observed by instrumentations; otherwise as {@link #create(Settings,
   * TransportProvider)}.
   *
   * @param settings the configuration
   * @param explicitProvider a provider given in code, or {@code null} to look up by name
   * @param instrumentations observers of publishing, attempts and dead letters, in order
   * @return the bus
   * @throws ConfigurationException listing every problem, before the transport is created
   */
  public static EventBus create(Settings settings, TransportProvider explicitProvider,
      List<Instrumentation> instrumentations) {
    return create(settings, explicitProvider, false, instrumentations);
  }

  /**
   * Creates a bus from environment variables. The environment is shared with other tools, so
   * a {@code RELAYBUS_*} variable that is not a setting of the core or the chosen transport is
   * left out and named in one warning instead of failing creation; everything else is checked
   * as in {@link #create(Settings, TransportProvider)}.
   *
   * @param environment the environment, usually {@code System.getenv()}
   * @return the bus
   * @throws ConfigurationException listing every problem, before the transport is created
   */
  public static EventBus fromEnvironment(Map<String, String> environment) {
    return create(Settings.fromEnvironment(environment), null, true, List.of());
  }

  /** Creates a bus; from the environment, unknown keys are warned about and left out. */
  static EventBus create(Settings given, TransportProvider explicitProvider,
      boolean fromEnvironment, List<Instrumentation> instrumentations) {
    Map<String, TransportProvider> available = discover();
    String name;
    TransportProvider provider;
    if (explicitProvider != null) {
      name = explicitProvider.name();
      provider = explicitProvider;
      available.put(name, provider);
    } else {
      name = given.get(TRANSPORT).orElse("memory").trim().toLowerCase(Locale.ROOT);
      provider = available.get(name);
      if (provider == null) {
        throw unknownTransport(name, available.keySet());
      }
    }

    List<String> problems = new ArrayList<>(nearMisses(given));
    if (explicitProvider == null && given.get(TRANSPORT).isEmpty()) {
      problems.addAll(transportNotSet(given, available.keySet()));
    }
    Settings settings = given;
    Map<String, String> unknown = unknownKeys(given, provider, available.values());
    if (fromEnvironment) {
      // RELAYBUS_TEST_* configure relaybus-test and this repository's tests, which the README
      // tells developers to export: they are known, just not settings of a bus.
      unknown.keySet().removeIf(k -> Settings.normalise(k).startsWith(TEST_VARIABLES));
      if (!unknown.isEmpty()) {
        warnIgnored(unknown.keySet(), name, provider, available.values());
      }
      settings = readBy(given, provider);
    } else {
      problems.addAll(unknown.values());
    }
    Settings.Reader reader = settings.reader();
    SubscribeOptions defaults = readDefaults(reader);
    problems.addAll(reader.problems());
    try {
      provider.validate(settings);
    } catch (ConfigurationException e) {
      problems.addAll(e.problems());
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    // One chain for the bus and its transport, so that a transport's own publish path is
    // observed by the same instrumentations (and the same failure-log budget) as bus.publish.
    InstrumentationChain instrumentation = InstrumentationChain.of(List.copyOf(instrumentations));
    Transport transport = provider.create(new Context(settings, name, instrumentation));
    LOG.info("Relaybus started on the {} transport ({})", name, transport.capabilities());
    return new DefaultEventBus(name, transport, defaults, instrumentation);
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
    Set<String> candidates = new TreeSet<>(available);
    candidates.addAll(KNOWN_ARTIFACTS.keySet());
    String meant = Settings.closest(name, candidates).orElse(null);
    StringBuilder sb = new StringBuilder(TRANSPORT + "='" + name + "' is not available");
    if (meant != null) {
      sb.append(" (did you mean ").append(meant).append("?)");
    }
    sb.append(". Transports on the classpath: ")
        .append(available.isEmpty() ? "none" : String.join(", ", available)).append('.');
    String wanted = meant != null ? meant : name;
    String artifact = available.contains(wanted) ? null : KNOWN_ARTIFACTS.get(wanted);
    if (artifact != null) {
      sb.append(" Add the dependency ").append(artifact).append(" to use '").append(wanted)
          .append("'.");
    } else if (meant == null) {
      sb.append(" Relaybus ships: ").append(String.join(", ", new TreeSet<>(
          KNOWN_ARTIFACTS.keySet()))).append('.');
    }
    return new UnknownTransportException(sb.toString());
  }

  /** Keys whose namespace is misspelt: they would otherwise be dropped without a word. */
  private static List<String> nearMisses(Settings settings) {
    List<String> problems = new ArrayList<>();
    for (String key : settings.nearMissKeys()) {
      int end = Settings.normalise(key).indexOf('_');
      String prefix = key.substring(0, end);
      String namespace = prefix.equals(prefix.toUpperCase(Locale.ROOT)) ? "RELAYBUS" : "relaybus";
      problems.add(key + " is not a Relaybus setting: '" + prefix + "' is not '" + namespace
          + "' (did you mean " + namespace + key.substring(end) + "?)");
    }
    return problems;
  }

  /**
   * With no transport named, keys of another transport mean the application expects that
   * transport; starting the in-memory one instead would lose every event on exit.
   */
  private static List<String> transportNotSet(Settings settings, Set<String> available) {
    Set<String> transports = new TreeSet<>(available);
    transports.addAll(KNOWN_ARTIFACTS.keySet());
    transports.remove("memory");
    Map<String, String> firstKey = new TreeMap<>();
    for (String key : settings.keys()) {
      String n = Settings.normalise(key);
      for (String t : transports) {
        if (n.startsWith(Settings.normalise("relaybus." + t + "."))) {
          firstKey.putIfAbsent(t, key);
        }
      }
    }
    List<String> problems = new ArrayList<>();
    firstKey.forEach((transport, key) -> {
      String artifact = available.contains(transport) ? null : KNOWN_ARTIFACTS.get(transport);
      problems.add(TRANSPORT + " is not set but " + key + " is: set " + TRANSPORT + "="
          + transport + " to use the " + transport + " transport"
          + (artifact == null ? "" : " (from " + artifact + ")")
          + ", or " + TRANSPORT + "=memory to keep events in memory only");
    });
    return problems;
  }

  /** Keys in the relaybus namespace that no one reads, each with its problem. */
  private static Map<String, String> unknownKeys(Settings settings, TransportProvider provider,
      Iterable<TransportProvider> available) {
    Set<String> core = new TreeSet<>();
    CORE_KEYS.forEach(k -> core.add(Settings.normalise(k)));
    String own = Settings.normalise("relaybus." + provider.name() + ".");
    Set<String> otherNamespaces = new TreeSet<>();
    for (TransportProvider t : available) {
      otherNamespaces.add(Settings.normalise("relaybus." + t.name() + "."));
    }
    for (String t : KNOWN_ARTIFACTS.keySet()) {
      otherNamespaces.add(Settings.normalise("relaybus." + t + "."));
    }
    otherNamespaces.remove(own);

    Map<String, String> unknown = new TreeMap<>();
    for (String key : settings.keys()) {
      String n = Settings.normalise(key);
      if (core.contains(n)) {
        continue;
      }
      if (n.startsWith(own)) {
        if (!provider.acceptsKey(key)) {
          unknown.put(key, key + " is not a setting of the " + provider.name()
              + " transport" + provider.suggestKey(key).map(k -> " (did you mean " + k + "?)")
              .orElse("") + "; its settings are: "
              + String.join(", ", new TreeSet<>(provider.configKeys())));
        }
        continue;
      }
      boolean otherTransport = false;
      for (String ns : otherNamespaces) {
        otherTransport |= n.startsWith(ns);
      }
      if (!otherTransport) {
        unknown.put(key, key + " is not a Relaybus setting"
            + suggestion(key, knownKeys(available)) + "; see the configuration reference in "
            + "the README");
      }
    }
    return unknown;
  }

  private static List<String> knownKeys(Iterable<TransportProvider> available) {
    List<String> keys = new ArrayList<>(CORE_KEYS);
    available.forEach(p -> keys.addAll(p.configKeys()));
    return keys;
  }

  private static void warnIgnored(Set<String> keys, String transport, TransportProvider provider,
      Iterable<TransportProvider> available) {
    List<String> names = new ArrayList<>();
    List<String> candidates = knownKeys(available);
    for (String key : keys) {
      String meant = Settings.normalise(key).startsWith(
          Settings.normalise("relaybus." + provider.name() + ".")) ? provider.suggestKey(key)
          .orElse(null) : closest(key, candidates);
      names.add(Settings.normalise(key)
          + (meant == null ? "" : " (did you mean " + Settings.normalise(meant) + "?)"));
    }
    LOG.warn("Ignoring {} RELAYBUS_* environment variable(s) that are not settings of the core "
        + "or of the {} transport: {}", names.size(), transport, String.join(", ", names));
  }

  /** Only the keys the core or the transport reads. */
  private static Settings readBy(Settings settings, TransportProvider provider) {
    String own = Settings.normalise("relaybus." + provider.name() + ".");
    Map<String, String> kept = new LinkedHashMap<>();
    for (String key : settings.keys()) {
      String n = Settings.normalise(key);
      if (CORE_KEYS.stream().anyMatch(k -> Settings.normalise(k).equals(n))
          || n.startsWith(own) && provider.acceptsKey(key)) {
        kept.put(key, settings.get(key).orElseThrow());
      }
    }
    return Settings.of(kept);
  }

  private static String suggestion(String key, Iterable<String> candidates) {
    String meant = closest(key, candidates);
    return meant == null ? "" : " (did you mean " + meant + "?)";
  }

  private static String closest(String key, Iterable<String> candidates) {
    List<String> list = new ArrayList<>();
    candidates.forEach(list::add);
    return Settings.closest(key, list).orElse(null);
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
    private final InstrumentationChain instrumentation;

    Context(Settings settings, String transport, InstrumentationChain instrumentation) {
      this.settings = settings;
      this.transport = transport;
      this.instrumentation = instrumentation;
    }

    @Override
    public Instrumentation instrumentation() {
      return instrumentation;
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
