package io.relaybus.spring.boot.internal;

import io.relaybus.spi.CoreKeys;
import io.relaybus.spi.TransportProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Reads the {@code relaybus} namespace of a Spring {@link Environment} into the flat keys the
 * core reads, so the core validates them with its own messages.
 *
 * <p>Spring's relaxed forms of a key ({@code relaybus.postgres.pool-size},
 * {@code relaybus.postgres.poolSize}, {@code relaybus.postgres.pool_size},
 * {@code RELAYBUS_POSTGRES_POOLSIZE}) are all one setting of the core, so each is passed under the
 * key the core or a transport declares. A name that is no declared key is passed in Spring's
 * canonical form: per-endpoint webhook keys and Kafka client properties are read by their
 * transport, and anything else is refused by the core with its "did you mean".
 *
 * <p>The environment is shared with other tools, so, as {@code EventBus.fromEnvironment()}
 * does, an operating-system variable {@code RELAYBUS_*} that no transport on the class path
 * accepts is left out and named in one warning rather than failing start-up; and
 * {@code relaybus.test.*}, the settings of {@code relaybus-test}, are never read, from any
 * source; nor are {@code relaybus.console.*}, the operator console's settings (see {@link
 * #readConsole}).
 */
public final class RelaybusEnvironment {
  private static final Logger LOG = LoggerFactory.getLogger(RelaybusEnvironment.class);

  /** The namespace. */
  public static final String PREFIX = "relaybus";

  /** Settings of relaybus-test and of this repository's tests, never settings of a bus. */
  private static final String TEST_VARIABLES = "relaybus.test.";

  /** Settings of the operator console, read by the console, never settings of a bus. */
  public static final String CONSOLE_PREFIX = "relaybus.console.";

  private RelaybusEnvironment() {}

  /**
   * Reads the settings.
   *
   * @param environment the application's environment
   * @return the keys and values, in the core's key forms; placeholders resolved
   */
  public static Map<String, String> read(Environment environment) {
    List<TransportProvider> providers = providers();
    Map<String, String> known = knownKeys(providers);
    Binder binder = Binder.get(environment);
    Map<String, String> result = new LinkedHashMap<>();
    List<String> ignored = new ArrayList<>();
    ConfigurationPropertyName namespace = ConfigurationPropertyName.of(PREFIX);
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (!(source instanceof IterableConfigurationPropertySource iterable)) {
        continue;
      }
      boolean system = isSystemEnvironment(source);
      iterable.filter(namespace::isAncestorOf).stream().forEach(name -> {
        String dotted = name.toString();
        if (dotted.startsWith(TEST_VARIABLES)) {
          return; // relaybus-test's own settings (-Drelaybus.test.servers=...), from any source
        }
        if (dotted.startsWith(CONSOLE_PREFIX)) {
          return; // the console's, read by RelaybusConsoleAutoConfiguration
        }
        String key = known.get(squash(dotted));
        if (key == null) {
          if (system && !acceptedByAny(dotted, providers)) {
            ignored.add(dotted);
            return;
          }
          key = dotted;
        }
        if (!result.containsKey(key)) {
          // The binder walks the sources in the environment's order and resolves placeholders.
          String value = binder.bind(name, Bindable.of(String.class)).orElse(null);
          if (value != null) {
            result.put(key, value);
          }
        }
      });
    }
    if (!ignored.isEmpty()) {
      LOG.warn("Ignored environment variables that are no setting of Relaybus or of a "
          + "transport on the class path: {}", new TreeSet<>(ignored));
    }
    return result;
  }

  /**
   * Reads the operator console's settings, {@code relaybus.console.*}, in the forms the console
   * reads: the fixed keys in their canonical form whatever relaxed spelling the application
   * used, and the names below {@code user.} and {@code token.} as written.
   *
   * @param environment the application's environment
   * @return the keys and values; placeholders resolved
   */
  public static Map<String, String> readConsole(Environment environment) {
    Binder binder = Binder.get(environment);
    Map<String, String> result = new LinkedHashMap<>();
    ConfigurationPropertyName namespace = ConfigurationPropertyName.of("relaybus.console");
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (!(source instanceof IterableConfigurationPropertySource iterable)) {
        continue;
      }
      iterable.filter(namespace::isAncestorOf).stream().forEach(name -> {
        String key = name.toString();
        if (!result.containsKey(key)) {
          String value = binder.bind(name, Bindable.of(String.class)).orElse(null);
          if (value != null) {
            result.put(key, value);
          }
        }
      });
    }
    return result;
  }

  /**
   * Every key the core and the transports on the class path declare, by its squashed form.
   *
   * @param providers the transports
   * @return squashed form to declared key
   */
  static Map<String, String> knownKeys(List<TransportProvider> providers) {
    Map<String, String> known = new HashMap<>();
    CoreKeys.names().forEach(k -> known.put(squash(k), k));
    for (TransportProvider p : providers) {
      p.configKeys().forEach(k -> known.put(squash(k), k));
    }
    return known;
  }

  /**
   * A key without separators or case: the one form every relaxed spelling of a key shares.
   *
   * @param key a key in any form
   * @return its squashed form
   */
  static String squash(String key) {
    StringBuilder sb = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c != '.' && c != '-' && c != '_') {
        sb.append(c);
      }
    }
    return sb.toString().toLowerCase(Locale.ROOT);
  }

  /**
   * The transports on the class path.
   *
   * @return their providers
   */
  public static List<TransportProvider> providers() {
    List<TransportProvider> providers = new ArrayList<>();
    ClassLoader loader = RelaybusEnvironment.class.getClassLoader();
    for (TransportProvider p : ServiceLoader.load(TransportProvider.class, loader)) {
      providers.add(p);
    }
    return providers;
  }

  private static boolean acceptedByAny(String key, List<TransportProvider> providers) {
    for (TransportProvider p : providers) {
      if (p.acceptsKey(key)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isSystemEnvironment(ConfigurationPropertySource source) {
    return source.getUnderlyingSource() instanceof SystemEnvironmentPropertySource;
  }
}
