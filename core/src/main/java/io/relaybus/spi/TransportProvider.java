package io.relaybus.spi;

import java.util.Optional;
import java.util.Set;

/**
 * Creates a transport. Found by {@link java.util.ServiceLoader} through
 * {@code META-INF/services/io.relaybus.spi.TransportProvider}, or passed to
 * {@link io.relaybus.EventBus.Builder#provider(TransportProvider)}.
 */
public interface TransportProvider {

  /**
   * The name selected by {@code relaybus.transport}, such as {@code postgres}; also the
   * namespace of its keys ({@code relaybus.postgres.*}).
   *
   * @return a lower-case name
   */
  String name();

  /**
   * The configuration keys this transport reads, in dotted form. Any other key in its
   * namespace is reported as unknown.
   *
   * @return the keys
   */
  Set<String> configKeys();

  /**
   * Tells whether a key in this transport's namespace is valid. Override for key families such
   * as {@code relaybus.webhook.endpoints.<name>.url}.
   *
   * @param key a key in dotted form
   * @return {@code true} when the transport reads it
   */
  default boolean acceptsKey(String key) {
    String normalised = Settings.normalise(key);
    for (String known : configKeys()) {
      if (Settings.normalise(known).equals(normalised)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The key an unknown key in this transport's namespace was most likely meant to be, for the
   * "did you mean" of the error. The default looks among {@link #configKeys()}; override it
   * with {@link #acceptsKey(String)} for key families.
   *
   * @param key a key in this transport's namespace that {@link #acceptsKey(String)} refused
   * @return the key it was most likely meant to be, if one is close
   */
  default Optional<String> suggestKey(String key) {
    return Settings.closest(key, configKeys());
  }

  /**
   * Checks this transport's settings without creating it: reads every key {@link #create} would
   * read, with the same code, and reports every problem at once. The bus calls it before
   * {@link #create} and refuses to start, with this transport's problems and its own in one
   * {@link io.relaybus.ConfigurationException}, so that a bad key is answered at once and
   * before anything is touched. It must therefore do no I/O: no connection, no host name
   * lookup, no file, no thread.
   *
   * <p>The default accepts everything, for providers that validate only in {@link #create};
   * their problems are then reported after the bus's own, by {@code create}.
   *
   * @param settings the bus configuration, all keys
   * @throws io.relaybus.ConfigurationException naming every bad key
   */
  default void validate(Settings settings) {}

  /**
   * Creates the transport. It validates its configuration too (a provider may be called
   * without {@link #validate(Settings)}), before it opens anything.
   *
   * @param context the settings and thread factories
   * @return a started transport
   * @throws io.relaybus.ConfigurationException naming every bad key
   */
  Transport create(TransportContext context);
}
