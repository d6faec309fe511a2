package io.relaybus.kafka;

import static io.relaybus.kafka.KafkaSettings.ADMIN_PREFIX;
import static io.relaybus.kafka.KafkaSettings.BOOTSTRAP_SERVERS;
import static io.relaybus.kafka.KafkaSettings.CLIENT_PREFIX;
import static io.relaybus.kafka.KafkaSettings.CONSUMER_PREFIX;
import static io.relaybus.kafka.KafkaSettings.FAMILIES;
import static io.relaybus.kafka.KafkaSettings.PRODUCER_PREFIX;
import static io.relaybus.kafka.KafkaSettings.TOPIC_CONFIG_PREFIX;
import static io.relaybus.kafka.KafkaSettings.isSecret;

import io.relaybus.spi.Settings;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The Kafka client and topic properties passed through {@code relaybus.kafka.client.*},
 * {@code producer.*}, {@code consumer.*}, {@code admin.*} and {@code topic-config.*}, resolved
 * and checked against kafka-clients' own definitions ({@code ConfigDef}, {@code TopicConfig}):
 * names are matched in any spelling (environment variables lose dots), unknown names, bad
 * values and properties the transport sets itself are problems naming the key.
 */
final class KafkaClientProperties {
  private static final Set<String> PRODUCER_OWNED = Set.of(
      ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, ProducerConfig.ACKS_CONFIG,
      ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
      ProducerConfig.TRANSACTIONAL_ID_CONFIG, ProducerConfig.BOOTSTRAP_SERVERS_CONFIG);
  private static final Set<String> CONSUMER_OWNED = Set.of(ConsumerConfig.GROUP_ID_CONFIG,
      ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
      ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
      ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.GROUP_PROTOCOL_CONFIG,
      ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG);
  private static final Set<String> ADMIN_OWNED = Set.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);

  final Map<String, Object> producer;
  final Map<String, Object> consumer;
  final Map<String, Object> admin;
  final Map<String, String> topicConfig;

  private KafkaClientProperties(Map<String, Object> producer, Map<String, Object> consumer,
      Map<String, Object> admin, Map<String, String> topicConfig) {
    this.producer = Collections.unmodifiableMap(producer);
    this.consumer = Collections.unmodifiableMap(consumer);
    this.admin = Collections.unmodifiableMap(admin);
    this.topicConfig = Collections.unmodifiableMap(topicConfig);
  }

  /** Reads the pass-through properties of the settings, reporting problems to {@code r}. */
  static KafkaClientProperties read(Settings settings, Settings.Reader r) {
    Map<String, String> client = new TreeMap<>();
    Map<String, String> producerOnly = new TreeMap<>();
    Map<String, String> consumerOnly = new TreeMap<>();
    Map<String, String> adminOnly = new TreeMap<>();
    Map<String, String> topics = new TreeMap<>();
    for (String key : settings.keys()) {
      String family = family(key);
      if (family != null) {
        String value = settings.get(key).orElse("");
        String name = key.substring(family.length()).toLowerCase(Locale.ROOT);
        Map<String, String> target = family.equals(CLIENT_PREFIX) ? client
            : family.equals(PRODUCER_PREFIX) ? producerOnly
            : family.equals(CONSUMER_PREFIX) ? consumerOnly
            : family.equals(ADMIN_PREFIX) ? adminOnly : topics;
        target.put(family + name, value);
      }
    }
    Map<String, String> topicConfig = topicConfig(topics, r);
    Map<String, Object> producer = clientConfig("producer", ProducerConfig.configDef(),
        PRODUCER_OWNED, client, producerOnly, PRODUCER_PREFIX, r);
    Map<String, Object> consumer = clientConfig("consumer", ConsumerConfig.configDef(),
        CONSUMER_OWNED, client, consumerOnly, CONSUMER_PREFIX, r);
    Map<String, Object> admin = clientConfig("admin", AdminClientConfig.configDef(),
        ADMIN_OWNED, client, adminOnly, ADMIN_PREFIX, r);
    for (String key : client.keySet()) {
      String name = key.substring(CLIENT_PREFIX.length());
      String resolved = resolveName(name, ProducerConfig.configDef());
      if (resolved == null) {
        resolved = resolveName(name, ConsumerConfig.configDef());
      }
      if (resolved == null) {
        resolved = resolveName(name, AdminClientConfig.configDef());
      }
      if (resolved == null) {
        Set<String> known = new TreeSet<>(ProducerConfig.configDef().names());
        known.addAll(ConsumerConfig.configDef().names());
        known.addAll(AdminClientConfig.configDef().names());
        r.problem(key + " is not a Kafka client property: '" + name + "' is unknown to the "
            + "producer, consumer and admin client" + didYouMean(CLIENT_PREFIX, name, known)
            + " (see the kafka-clients configuration docs)");
      }
    }
    return new KafkaClientProperties(producer, consumer, admin, topicConfig);
  }

  /**
   * Whether a pass-through key names a client property of type {@code PASSWORD} (such as
   * {@code ssl.keystore.key}).
   */
  static boolean isPassword(String key) {
    String family = family(key);
    if (family == null || family.equals(TOPIC_CONFIG_PREFIX)) {
      return false;
    }
    String name = key.substring(family.length());
    for (ConfigDef def : List.of(ProducerConfig.configDef(), ConsumerConfig.configDef(),
        AdminClientConfig.configDef())) {
      String resolved = resolveName(name, def);
      if (resolved != null && def.configKeys().get(resolved).type == ConfigDef.Type.PASSWORD) {
        return true;
      }
    }
    return false;
  }

  /** The pass-through prefix of a key ({@code client.}, {@code producer.}, ...), or null. */
  static String family(String key) {
    String norm = Settings.normalise(key);
    for (String f : FAMILIES) {
      String nf = Settings.normalise(f);
      if (norm.startsWith(nf) && norm.length() > nf.length()) {
        return f;
      }
    }
    return null;
  }

  /**
   * Matches a property name written in any form (environment variables lose dots) against the
   * client's ConfigDef names.
   */
  private static String resolveName(String name, ConfigDef def) {
    if (def.names().contains(name)) {
      return name;
    }
    String norm = Settings.normalise(name);
    for (String known : def.names()) {
      if (Settings.normalise(known).equals(norm)) {
        return known;
      }
    }
    return null;
  }

  private static Map<String, Object> clientConfig(String clientName, ConfigDef def,
      Set<String> owned, Map<String, String> common, Map<String, String> specific,
      String specificPrefix, Settings.Reader r) {
    Map<String, String> raw = new LinkedHashMap<>();
    Map<String, String> sourceKey = new HashMap<>();
    for (Map.Entry<String, String> e : common.entrySet()) {
      String name = resolveName(e.getKey().substring(CLIENT_PREFIX.length()), def);
      if (name != null) {
        if (owned.contains(name)) {
          r.problem(e.getKey() + " cannot be set: the Kafka transport sets '" + name
              + "' of the " + clientName + " itself (" + ownedWhy(name) + ")");
          continue;
        }
        raw.put(name, e.getValue());
        sourceKey.put(name, e.getKey());
      }
    }
    for (Map.Entry<String, String> e : specific.entrySet()) {
      String given = e.getKey().substring(specificPrefix.length());
      String name = resolveName(given, def);
      if (name == null) {
        r.problem(e.getKey() + " is not a Kafka " + clientName + " property: '" + given
            + "' is unknown to the " + clientName + " configuration of kafka-clients"
            + didYouMean(specificPrefix, given, def.names()));
        continue;
      }
      if (owned.contains(name)) {
        r.problem(e.getKey() + " cannot be set: the Kafka transport sets '" + name + "' of the "
            + clientName + " itself (" + ownedWhy(name) + ")");
        continue;
      }
      raw.put(name, e.getValue());
      sourceKey.put(name, e.getKey());
    }
    Map<String, Object> result = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : raw.entrySet()) {
      ConfigDef.ConfigKey key = def.configKeys().get(e.getKey());
      try {
        Object parsed = ConfigDef.parseType(e.getKey(), e.getValue(), key.type);
        if (key.validator != null) {
          key.validator.ensureValid(e.getKey(), parsed);
        }
        result.put(e.getKey(), e.getValue());
      } catch (ConfigException ex) {
        String shownValue = key.type == ConfigDef.Type.PASSWORD || isSecret(sourceKey.get(
            e.getKey())) ? "****" : e.getValue();
        r.problem(sourceKey.get(e.getKey()) + "='" + shownValue + "' is invalid for the Kafka "
            + clientName + " property '" + e.getKey() + "': "
            + (key.type == ConfigDef.Type.PASSWORD ? "bad value" : ex.getMessage()));
      }
    }
    return result;
  }

  /** The key the user most likely meant, for an unknown property name under a prefix. */
  private static String didYouMean(String prefix, String given, Set<String> names) {
    return Settings.closest(given, names).map(n -> " (did you mean " + prefix + n + "?)")
        .orElse("");
  }

  private static String ownedWhy(String name) {
    switch (name) {
      case ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG:
      case ProducerConfig.ACKS_CONFIG:
        return "idempotent producer with acks=all is what makes a completed publish durable";
      case ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG:
        return "offsets are committed only after handling";
      case ConsumerConfig.GROUP_ID_CONFIG:
        return "it is the subscription's consumer group";
      case ConsumerConfig.AUTO_OFFSET_RESET_CONFIG:
        return "it follows the subscription's start position";
      case ProducerConfig.BOOTSTRAP_SERVERS_CONFIG:
        return "use " + BOOTSTRAP_SERVERS;
      default:
        return "it is part of the transport's record format or guarantees";
    }
  }

  private static Map<String, String> topicConfig(Map<String, String> given, Settings.Reader r) {
    Set<String> known = topicConfigNames();
    Map<String, String> result = new TreeMap<>();
    for (Map.Entry<String, String> e : given.entrySet()) {
      String name = e.getKey().substring(TOPIC_CONFIG_PREFIX.length());
      String resolved = null;
      for (String k : known) {
        if (Settings.normalise(k).equals(Settings.normalise(name))) {
          resolved = k;
        }
      }
      if (resolved == null) {
        r.problem(e.getKey() + " is not a Kafka topic configuration: '" + name
            + "' is unknown" + didYouMean(TOPIC_CONFIG_PREFIX, name, known)
            + " (see org.apache.kafka.common.config.TopicConfig)");
      } else {
        result.put(resolved, e.getValue());
      }
    }
    return result;
  }

  private static Set<String> topicConfigNames() {
    Set<String> names = new java.util.HashSet<>();
    for (Field f : TopicConfig.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class
          && f.getName().endsWith("_CONFIG")) {
        try {
          names.add((String) f.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return names;
  }
}
