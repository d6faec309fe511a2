package io.relaybus.spi;

import io.relaybus.ConfigurationException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flat configuration keys ({@code relaybus.postgres.url}) and their string values, from
 * {@link Properties}, a {@link Map} or the environment. Environment variables match keys by
 * upper-casing and turning {@code .} and {@code -} into {@code _}: {@code RELAYBUS_POSTGRES_URL}
 * is {@code relaybus.postgres.url}, {@code RELAYBUS_SUBSCRIBER_MAX_IN_FLIGHT} is
 * {@code relaybus.subscriber.max-in-flight}.
 *
 * <p>Only keys in the {@code relaybus} namespace are kept, so an application can pass a
 * properties file it shares with other libraries. A key whose first segment is a near miss of
 * {@code relaybus} ({@code relaybs.transport}, {@code RELAYBUSS_POSTGRES_URL}) is not kept
 * either, but {@link #nearMissKeys()} lists it so that the bus can refuse it instead of
 * silently ignoring a setting the application meant to give.
 *
 * <p>Read typed values through a {@link Reader}, which collects every problem and reports them
 * all at once. {@link #toString()} masks secret values. Immutable.
 */
public final class Settings {

  private static final Pattern SECRET_KEY =
      Pattern.compile(
          ".*(PASSWORD|SECRET|TOKEN|CREDENTIAL|JAAS|API_?KEY|AUTH|KEYSTORE_KEY|PRIVATE_KEY).*");
  private static final Pattern DURATION =
      Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  private static final String NAMESPACE = "RELAYBUS";
  /**
   * How far a key's first segment may be from {@code relaybus} to count as a misspelling of it:
   * two edits catch a dropped, doubled, swapped or wrong letter or two, while names of other
   * tools ({@code RELAY_HOST}, {@code RAILS_ENV}) stay further away.
   */
  private static final int NEAR_MISS_DISTANCE = 2;

  /** Normalised key to entry (original key, value). */
  private final Map<String, Map.Entry<String, String>> entries;
  /** Keys, as given, whose namespace is a near miss of {@code relaybus}. */
  private final List<String> nearMisses;

  private Settings(Map<String, Map.Entry<String, String>> entries, List<String> nearMisses) {
    this.entries = entries;
    this.nearMisses = nearMisses;
  }

  /**
   * Settings from a map; values are converted with {@code String.valueOf}, {@code null} values
   * are skipped. Only keys starting with {@code relaybus.} are kept; near misses of the prefix
   * are listed by {@link #nearMissKeys()}.
   *
   * @param map the keys and values
   * @return the settings
   */
  public static Settings of(Map<String, ?> map) {
    Objects.requireNonNull(map, "map");
    Map<String, Map.Entry<String, String>> entries = new TreeMap<>();
    List<String> nearMisses = new ArrayList<>();
    map.forEach((k, v) -> {
      Objects.requireNonNull(k, "configuration key");
      if (v == null) {
        return;
      }
      String n = normalise(k);
      if (n.startsWith(NAMESPACE + "_")) {
        entries.put(n, Map.entry(k, String.valueOf(v).trim()));
      } else if (isNearMiss(n)) {
        nearMisses.add(k);
      }
    });
    Collections.sort(nearMisses);
    return new Settings(Collections.unmodifiableMap(entries), List.copyOf(nearMisses));
  }

  /** Whether a normalised key has a namespace and a name, and the namespace is nearly ours. */
  private static boolean isNearMiss(String normalised) {
    int end = normalised.indexOf('_');
    return end > 0 && end < normalised.length() - 1
        && distance(normalised.substring(0, end), NAMESPACE) <= NEAR_MISS_DISTANCE;
  }

  /**
   * Settings from properties (only keys starting with {@code relaybus.}).
   *
   * @param properties the properties
   * @return the settings
   */
  public static Settings of(Properties properties) {
    Objects.requireNonNull(properties, "properties");
    Map<String, String> map = new LinkedHashMap<>();
    for (String name : properties.stringPropertyNames()) {
      map.put(name, properties.getProperty(name));
    }
    return of(map);
  }

  /**
   * Settings from environment variables starting with {@code RELAYBUS_}. Their keys are
   * reported in lower-case dotted form ({@code relaybus.postgres.url}). Variables whose first
   * segment is a near miss ({@code RELAYBS_TRANSPORT}) are listed by {@link #nearMissKeys()}
   * under their own name; every other variable is ignored.
   *
   * @param environment the environment, usually {@code System.getenv()}
   * @return the settings
   */
  public static Settings fromEnvironment(Map<String, String> environment) {
    Map<String, String> map = new LinkedHashMap<>();
    environment.forEach((k, v) -> {
      if (k.startsWith(NAMESPACE + "_")) {
        map.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v);
      } else if (isNearMiss(normalise(k))) {
        map.put(k, v);
      }
    });
    return of(map);
  }

  /**
   * Returns settings with {@code other}'s values added, replacing equal keys.
   *
   * @param other the settings that win
   * @return the combined settings
   */
  public Settings overriddenBy(Settings other) {
    Map<String, Map.Entry<String, String>> merged = new TreeMap<>(entries);
    merged.putAll(other.entries);
    List<String> misses = new ArrayList<>(nearMisses);
    misses.addAll(other.nearMisses);
    Collections.sort(misses);
    return new Settings(Collections.unmodifiableMap(merged), List.copyOf(misses));
  }

  /**
   * The key as it matches environment variables: upper case, {@code .} and {@code -} as
   * {@code _}.
   *
   * @param key a key
   * @return the normalised key
   */
  public static String normalise(String key) {
    return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /**
   * Looks a key up.
   *
   * @param key the key, in dotted form
   * @return the value, if present
   */
  public Optional<String> get(String key) {
    Map.Entry<String, String> e = entries.get(normalise(key));
    return e == null ? Optional.empty() : Optional.of(e.getValue());
  }

  /**
   * The keys as given (dotted or environment-derived form), sorted.
   *
   * @return the keys
   */
  public List<String> keys() {
    List<String> keys = new ArrayList<>();
    entries.values().forEach(e -> keys.add(e.getKey()));
    return keys;
  }

  /**
   * Keys that were not kept because their first segment is not {@code relaybus} but a near miss
   * of it ({@code relaybs.transport}, {@code relaybuss.postgres.url},
   * {@code RELAYBS_TRANSPORT}): almost certainly misspelt settings, which the bus refuses.
   * Their values are not kept.
   *
   * @return the keys as given, sorted
   */
  public List<String> nearMissKeys() {
    return nearMisses;
  }

  /**
   * The candidate a misspelt key or name was most likely meant to be, for "did you mean"
   * messages. Keys are compared in their {@linkplain #normalise(String) normalised} form;
   * a swap of two neighbouring characters counts as one edit. A candidate is returned only when
   * it is within a third of its length in edits (at least one, at most three), so short names
   * do not suggest unrelated ones.
   *
   * @param given the key or name as given
   * @param candidates the valid keys or names
   * @return the closest candidate as spelt in {@code candidates}, if one is close enough
   */
  public static Optional<String> closest(String given, Collection<String> candidates) {
    Objects.requireNonNull(given, "given");
    Objects.requireNonNull(candidates, "candidates");
    String n = normalise(given);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : new TreeSet<>(candidates)) {
      String nc = normalise(c);
      int d = distance(n, nc);
      if (d > 0 && d < bestDistance && d <= Math.min(3, Math.max(1, nc.length() / 3))) {
        bestDistance = d;
        best = c;
      }
    }
    return Optional.ofNullable(best);
  }

  /** Edit distance with adjacent transpositions counted as one edit (optimal string alignment). */
  private static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /**
   * Tells whether a key's value must be hidden in logs: keys naming a password, secret, token,
   * credential, JAAS config or auth.
   *
   * @param key the key
   * @return {@code true} for secret keys
   */
  public static boolean isSecret(String key) {
    return SECRET_KEY.matcher(normalise(key)).matches();
  }

  /**
   * Starts reading typed values.
   *
   * @return a reader that collects problems
   */
  public Reader reader() {
    return new Reader();
  }

  /** Lists every key with its value; secret values are shown as {@code ****}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Settings{");
    boolean first = true;
    for (Map.Entry<String, String> e : entries.values()) {
      if (!first) {
        sb.append(", ");
      }
      first = false;
      sb.append(e.getKey()).append('=').append(isSecret(e.getKey()) ? "****" : e.getValue());
    }
    return sb.append('}').toString();
  }

  /**
   * Reads typed values. Each getter returns the default when the key is absent, and when the
   * value is invalid it records a problem naming the key and what is allowed, and returns the
   * default so reading can go on; {@link #validate()} then throws with all problems. Not
   * thread-safe.
   */
  public final class Reader {
    private final List<String> problems = new ArrayList<>();

    private Reader() {}

    /**
     * Reads a string.
     *
     * @param key the key
     * @param defaultValue returned when absent
     * @return the value
     */
    public String string(String key, String defaultValue) {
      return get(key).orElse(defaultValue);
    }

    /**
     * Reads a required, non-blank string.
     *
     * @param key the key
     * @param description what the value is, for the error message
     * @return the value, or {@code null} after recording a problem
     */
    public String requiredString(String key, String description) {
      Optional<String> v = get(key).filter(s -> !s.isBlank());
      if (v.isEmpty()) {
        problems.add(key + " is required: " + description);
        return null;
      }
      return v.get();
    }

    /**
     * Reads an integer in a range.
     *
     * @param key the key
     * @param defaultValue returned when absent or invalid
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return the value
     */
    public int integer(String key, int defaultValue, int min, int max) {
      Optional<String> raw = get(key);
      if (raw.isEmpty()) {
        return defaultValue;
      }
      try {
        int v = Integer.parseInt(raw.get().replace("_", ""));
        if (v >= min && v <= max) {
          return v;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      problems.add(key + "='" + shown(key, raw.get()) + "' is invalid: expected an integer from "
          + min + " to " + max);
      return defaultValue;
    }

    /**
     * Reads a decimal number in a range.
     *
     * @param key the key
     * @param defaultValue returned when absent or invalid
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return the value
     */
    public double decimal(String key, double defaultValue, double min, double max) {
      Optional<String> raw = get(key);
      if (raw.isEmpty()) {
        return defaultValue;
      }
      try {
        double v = Double.parseDouble(raw.get());
        if (v >= min && v <= max) {
          return v;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      problems.add(key + "='" + shown(key, raw.get()) + "' is invalid: expected a number from "
          + min + " to " + max);
      return defaultValue;
    }

    /**
     * Reads a boolean: {@code true} or {@code false}, case-insensitive.
     *
     * @param key the key
     * @param defaultValue returned when absent or invalid
     * @return the value
     */
    public boolean bool(String key, boolean defaultValue) {
      Optional<String> raw = get(key);
      if (raw.isEmpty()) {
        return defaultValue;
      }
      String v = raw.get().toLowerCase(Locale.ROOT);
      if (v.equals("true") || v.equals("false")) {
        return Boolean.parseBoolean(v);
      }
      problems.add(key + "='" + shown(key, raw.get()) + "' is invalid: expected true or false");
      return defaultValue;
    }

    /**
     * Reads a duration: a number with a unit ({@code 250ms}, {@code 5s}, {@code 2m},
     * {@code 1h}, {@code 1d}) or ISO-8601 ({@code PT5S}).
     *
     * @param key the key
     * @param defaultValue returned when absent or invalid
     * @param min the shortest allowed duration
     * @param max the longest allowed duration
     * @return the value
     */
    public Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
      Optional<String> raw = get(key);
      if (raw.isEmpty()) {
        return defaultValue;
      }
      Duration d = parseDuration(raw.get());
      if (d != null && d.compareTo(min) >= 0 && d.compareTo(max) <= 0) {
        return d;
      }
      problems.add(key + "='" + shown(key, raw.get()) + "' is invalid: expected a duration from "
          + min + " to " + max + " such as 250ms, 5s, 2m, 1h or PT5S");
      return defaultValue;
    }

    /**
     * Reads an enum constant, case-insensitive, {@code -} accepted for {@code _}.
     *
     * @param key the key
     * @param type the enum type
     * @param defaultValue returned when absent or invalid
     * @param <E> the enum type
     * @return the value
     */
    public <E extends Enum<E>> E enumValue(String key, Class<E> type, E defaultValue) {
      Optional<String> raw = get(key);
      if (raw.isEmpty()) {
        return defaultValue;
      }
      String v = raw.get().toUpperCase(Locale.ROOT).replace('-', '_');
      for (E e : type.getEnumConstants()) {
        if (e.name().equals(v)) {
          return e;
        }
      }
      List<String> allowed = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        allowed.add(e.name().toLowerCase(Locale.ROOT));
      }
      problems.add(key + "='" + shown(key, raw.get()) + "' is invalid: expected one of "
          + String.join(", ", allowed));
      return defaultValue;
    }

    /**
     * Records a problem found by the caller's own checks.
     *
     * @param problem the problem, naming the key and what is allowed
     */
    public void problem(String problem) {
      problems.add(Objects.requireNonNull(problem, "problem"));
    }

    /**
     * The problems recorded so far.
     *
     * @return an unmodifiable view
     */
    public List<String> problems() {
      return Collections.unmodifiableList(problems);
    }

    /**
     * Throws when any problem was recorded.
     *
     * @throws ConfigurationException listing every problem
     */
    public void validate() {
      if (!problems.isEmpty()) {
        throw new ConfigurationException(problems);
      }
    }

    private String shown(String key, String value) {
      return isSecret(key) ? "****" : value;
    }

    /**
     * Reads a size in bytes: a whole number of bytes ({@code 1048576}, {@code 1_048_576}) or a
     * number with a binary unit, case-insensitive, a space allowed before it: {@code B},
     * {@code KiB} (1024 bytes), {@code MiB} (1024 KiB) or {@code GiB} (1024 MiB), as in
     * {@code 512KiB} or {@code 4 MiB}. Decimal units ({@code KB}, {@code MB}) are refused, as
     * they are ambiguous.
     *
     * @param key the key
     * @param defaultValue returned when absent or invalid
     * @param min the smallest allowed size in bytes
     * @param max the largest allowed size in bytes
     * @return the size in bytes
     */
    public long size(String key, long defaultValue, long min, long max) {
      Optional<String> raw = get(key);
      if (raw.isEmpty()) {
        return defaultValue;
      }
      long v = parseSize(raw.get());
      if (v >= 0 && v >= min && v <= max) {
        return v;
      }
      problems.add(key + "='" + shown(key, raw.get()) + "' is invalid: expected a size from "
          + formatSize(min) + " to " + formatSize(max) + ", in bytes or with KiB, MiB or GiB, "
          + "such as 1048576, 512KiB or 4MiB");
      return defaultValue;
    }

    private static final Pattern SIZE =
        Pattern.compile("(\\d[\\d_]*)\\s*(B|KiB|MiB|GiB)?", Pattern.CASE_INSENSITIVE);

    /** The size in bytes, or -1 when {@code s} is not a size (or overflows a long). */
    private static long parseSize(String s) {
      Matcher m = SIZE.matcher(s.trim());
      if (!m.matches()) {
        return -1;
      }
      try {
        long n = Long.parseLong(m.group(1).replace("_", ""));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = unit.equals("kib") ? 10 : unit.equals("mib") ? 20
            : unit.equals("gib") ? 30 : 0;
        return Math.multiplyExact(n, 1L << shift);
      } catch (ArithmeticException | NumberFormatException e) {
        return -1;
      }
    }

    /** A size in the largest binary unit that divides it: {@code 64 MiB}, {@code 1000 bytes}. */
    private static String formatSize(long bytes) {
      String[] units = {"GiB", "MiB", "KiB"};
      int[] shifts = {30, 20, 10};
      for (int i = 0; i < units.length; i++) {
        long unit = 1L << shifts[i];
        if (bytes >= unit && bytes % unit == 0) {
          return (bytes / unit) + " " + units[i];
        }
      }
      return bytes == 1 ? "1 byte" : bytes + " bytes";
    }
  }

  private static Duration parseDuration(String s) {
    String v = s.trim();
    Matcher m = DURATION.matcher(v);
    try {
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "ms": return Duration.ofMillis(n);
          case "s": return Duration.ofSeconds(n);
          case "m": return Duration.ofMinutes(n);
          case "h": return Duration.ofHours(n);
          default: return Duration.ofDays(n);
        }
      }
      if (v.regionMatches(true, 0, "P", 0, 1)) {
        return Duration.parse(v);
      }
    } catch (ArithmeticException | NumberFormatException | DateTimeParseException e) {
      return null;
    }
    return null;
  }
}
