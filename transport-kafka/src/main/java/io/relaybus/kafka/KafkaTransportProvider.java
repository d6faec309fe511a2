package io.relaybus.kafka;

import io.relaybus.kafka.schema.SchemaRegistry;
import io.relaybus.spi.Settings;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import java.util.Objects;
import java.util.Set;

/**
 * Provides the Kafka transport, {@code relaybus.transport=kafka}. The keys are listed in
 * {@link KafkaSettings}: {@code relaybus.kafka.bootstrap-servers} (required), topic creation
 * ({@code partitions}, {@code replication-factor}, {@code topic-config.*}), Kafka client
 * pass-through ({@code client.*}, {@code producer.*}, {@code consumer.*}, {@code admin.*}),
 * dead-letter topic naming, timeouts, the schema registry keys and
 * {@code max-event-size} (by default what the producer's {@code max.request.size} carries less
 * {@value KafkaSettings#RECORD_ALLOWANCE} bytes).
 */
public final class KafkaTransportProvider implements TransportProvider {

  /** The transport name. */
  public static final String NAME = "kafka";

  private final SchemaRegistry registry;

  /** Creates the provider; used by {@link java.util.ServiceLoader}. */
  public KafkaTransportProvider() {
    this(null);
  }

  private KafkaTransportProvider(SchemaRegistry registry) {
    this.registry = registry;
  }

  /**
   * A provider whose transport uses the application's schema registry (for example an
   * {@link io.relaybus.kafka.schema.InMemorySchemaRegistry} in tests and embedded use) instead
   * of a REST client built from {@code relaybus.kafka.schema-registry.*}; for
   * {@link io.relaybus.EventBus.Builder#provider(TransportProvider)}.
   *
   * @param registry the registry
   * @return the provider
   */
  public static KafkaTransportProvider withSchemaRegistry(SchemaRegistry registry) {
    return new KafkaTransportProvider(Objects.requireNonNull(registry, "registry"));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> configKeys() {
    return KafkaSettings.KEYS;
  }

  @Override
  public boolean acceptsKey(String key) {
    if (TransportProvider.super.acceptsKey(key)) {
      return true;
    }
    String normalised = Settings.normalise(key);
    for (String family : KafkaSettings.FAMILIES) {
      String f = Settings.normalise(family);
      if (normalised.startsWith(f) && normalised.length() > f.length()) {
        return true; // the property name itself is checked against the client's ConfigDef
      }
    }
    return false;
  }

  /**
   * Reads every {@code relaybus.kafka.*} key and checks the client and topic properties against
   * kafka-clients' own definitions; contacts no broker and no registry.
   */
  @Override
  public void validate(Settings settings) {
    new KafkaSettings(settings, registry != null);
  }

  @Override
  public Transport create(TransportContext context) {
    return KafkaTransport.start(new KafkaSettings(context.settings(), registry != null),
        context, registry);
  }
}
