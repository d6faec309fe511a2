package io.relaybus;

import io.relaybus.internal.Buses;
import io.relaybus.spi.Settings;
import io.relaybus.ops.Operations;
import io.relaybus.spi.Instrumentation;
import io.relaybus.spi.TransportProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The entry point: a {@link Publisher} and {@link Subscriber} over one transport, chosen by
 * configuration. Application code does not change when the transport does.
 *
 * <pre>{@code
 * try (EventBus bus = EventBus.create(Map.of("relaybus.transport", "memory"))) {
 *   bus.subscribe("orders", "billing", d -> bill(d.data(Order.class)));
 *   bus.publish("orders", Event.builder().source("/shop").type("order.created")
 *       .json(order).build()).join();
 * }
 * }</pre>
 *
 * <p>Configuration: {@code relaybus.transport} ({@code memory} by default, or {@code postgres},
 * {@code kafka}, {@code webhook} when their artifact is on the classpath), then
 * {@code relaybus.<transport>.*}, and the subscription defaults {@code relaybus.subscriber.*}
 * and {@code relaybus.retry.*}. Every bad key fails creation with a
 * {@link ConfigurationException} naming it and what is allowed, all problems in one exception
 * and before the transport opens a connection: an unknown key (with "did you mean" when one is
 * close), a misspelt prefix ({@code relaybs.transport}), keys of a transport while
 * {@code relaybus.transport} is not set, a bad value. See the README's configuration
 * reference.
 *
 * <p>Thread-safe. Close it to close every subscription and release the transport.
 */
public interface EventBus extends Publisher, Subscriber, AutoCloseable {

  /**
   * Creates a bus from properties.
   *
   * @param properties the configuration; keys outside {@code relaybus.} are ignored, except
   *     near misses of the prefix ({@code relaybs.transport}), which are refused
   * @return a started bus
   * @throws ConfigurationException naming every bad key
   * @throws UnknownTransportException when the transport is not on the classpath
   */
  static EventBus create(Properties properties) {
    return Buses.create(Settings.of(properties), null);
  }

  /**
   * Creates a bus from a map of keys to values.
   *
   * @param config the configuration; keys outside {@code relaybus.} are ignored, except near
   *     misses of the prefix ({@code relaybs.transport}), which are refused
   * @return a started bus
   * @throws ConfigurationException naming every bad key
   * @throws UnknownTransportException when the transport is not on the classpath
   */
  static EventBus create(Map<String, ?> config) {
    return Buses.create(Settings.of(config), null);
  }

  /**
   * Creates a bus from environment variables starting with {@code RELAYBUS_}
   * ({@code RELAYBUS_TRANSPORT}, {@code RELAYBUS_POSTGRES_URL}, ...).
   *
   * <p>The environment is shared with other tools, so it is read more leniently than
   * properties: only variables that are settings of the core or of the chosen transport are
   * read, and the other {@code RELAYBUS_*} variables (such as {@code RELAYBUS_TEST_POSTGRES_URL})
   * are named, without their values, in one warning. Bad values, near misses of the prefix
   * ({@code RELAYBS_TRANSPORT}) and transport variables without {@code RELAYBUS_TRANSPORT}
   * still fail creation.
   *
   * @return a started bus
   * @throws ConfigurationException naming every bad variable, in its dotted key form
   * @throws UnknownTransportException when the transport is not on the classpath
   */
  static EventBus fromEnvironment() {
    return Buses.fromEnvironment(System.getenv());
  }

  /**
   * Starts a code-first configuration.
   *
   * @return a builder; not thread-safe
   */
  static Builder builder() {
    return new Builder();
  }

  /**
   * The name of the transport in use, such as {@code memory}.
   *
   * @return the transport name
   */
  String transportName();

  /**
   * What the transport guarantees.
   *
   * @return the capabilities
   */
  Capabilities capabilities();

  /**
   * The dead letters of every topic and group.
   *
   * @return the dead-letter API
   * @throws UnsupportedOperationException when the transport does not declare
   *     {@link Capability#DEAD_LETTERS}
   * @throws BusClosedException when the bus is closed
   */
  DeadLetters deadLetters();

  /**
   * Questions an operator asks — topics and groups, lag, dead letters by filter, where an event
   * is, webhook endpoints, health — the same on every transport.
   *
   * @return the operations API of this bus
   * @throws BusClosedException when the bus is closed
   */
  Operations operations();

  /**
   * Returns the transport as one of its own types, for operations only that transport offers
   * (for example {@code PostgresTransport.publish(Connection, ...)}).
   *
   * @param type the transport class or an interface it implements
   * @param <T> the type
   * @return the transport
   * @throws IllegalArgumentException when the transport is not of that type, naming both
   */
  <T> T unwrap(Class<T> type);

  /**
   * Tells whether {@link #close()} has been called.
   *
   * @return {@code true} once closing started
   */
  boolean isClosed();

  /**
   * Closes every subscription gracefully (see {@link Subscription#close()}), then the
   * transport. Idempotent and safe from any thread. Afterwards every operation of the bus
   * ({@code publish}, {@code publishAll}, {@code subscribe}, {@code deadLetters()} and the
   * {@link DeadLetters} methods, also on an instance obtained before, and the transport's own
   * operations reached through {@link #unwrap}) throws {@link BusClosedException}.
   */
  @Override
  void close();

  /** Code-first configuration of an {@link EventBus}. Not thread-safe. */
  final class Builder {
    private final Map<String, Object> config = new LinkedHashMap<>();
    private TransportProvider provider;
    private final List<Instrumentation> instrumentations = new ArrayList<>();

    private Builder() {}

    /**
     * Selects the transport by name ({@code relaybus.transport}).
     *
     * @param name the transport name
     * @return this builder
     */
    public Builder transport(String name) {
      return property("relaybus.transport", Objects.requireNonNull(name, "name"));
    }

    /**
     * Sets one configuration key.
     *
     * @param key a key starting with {@code relaybus.}
     * @param value its value; {@code toString()} is used
     * @return this builder
     */
    public Builder property(String key, Object value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      config.put(key, value);
      return this;
    }

    /**
     * Sets several configuration keys.
     *
     * @param properties keys and values
     * @return this builder
     */
    public Builder properties(Map<String, ?> properties) {
      Objects.requireNonNull(properties, "properties");
      properties.forEach(this::property);
      return this;
    }

    /**
     * Uses a transport provider directly instead of looking it up by name, for example one
     * configured in code with a {@code DataSource}. Its name becomes
     * {@code relaybus.transport}.
     *
     * @param provider the provider
     * @return this builder
     */
    public Builder provider(TransportProvider provider) {
      this.provider = Objects.requireNonNull(provider, "provider");
      return this;
    }

    /**
     * Adds an observer of publishing, delivery attempts and dead letters, such as the metrics
     * of {@code relaybus-micrometer} or the traces of {@code relaybus-opentelemetry}. Several
     * are called in the order added.
     *
     * @param instrumentation the observer
     * @return this builder
     */
    public Builder instrumentation(Instrumentation instrumentation) {
      instrumentations.add(Objects.requireNonNull(instrumentation, "instrumentation"));
      return this;
    }

    /**
     * Creates the bus.
     *
     * @return a started bus
     * @throws ConfigurationException naming every bad key
     * @throws UnknownTransportException when the transport is not on the classpath
     */
    public EventBus build() {
      return Buses.create(Settings.of(config), provider, instrumentations);
    }
  }
}
