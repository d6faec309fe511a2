package io.relaybus.kafka;

import io.relaybus.kafka.schema.CompatibilityLevel;
import io.relaybus.spi.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The Kafka transport's configuration, read from {@code relaybus.kafka.*} and validated at
 * startup: every bad key is reported at once, naming the key and what is allowed. Immutable;
 * {@link #toString()} masks secrets (Kafka {@code PASSWORD}-typed properties, JAAS configs,
 * registry credentials).
 *
 * <p>Kafka client properties pass through under four prefixes, validated against the client's
 * own {@code ConfigDef} (an unknown name or a bad value is an error naming the key):
 * <ul>
 *   <li>{@code relaybus.kafka.client.<property>} — for every client (producer, consumer, admin)
 *       that knows the property, e.g. {@code relaybus.kafka.client.security.protocol};
 *   <li>{@code relaybus.kafka.producer.<property>}, {@code relaybus.kafka.consumer.<property>},
 *       {@code relaybus.kafka.admin.<property>} — for that client only, winning over
 *       {@code client.*}.
 * </ul>
 * Properties that carry the transport's guarantees cannot be overridden: the producer's
 * {@code enable.idempotence}, {@code acks}, serializers and {@code transactional.id}; the
 * consumer's {@code group.id}, {@code enable.auto.commit}, {@code auto.offset.reset},
 * deserializers and {@code group.protocol}.
 * Topic-level configuration of topics the transport creates passes through
 * {@code relaybus.kafka.topic-config.<name>} (e.g. {@code topic-config.retention.ms}).
 */
public final class KafkaSettings {

  /** Prefix of every key. */
  public static final String PREFIX = "relaybus.kafka.";
  /** Comma-separated {@code host:port} list; required. */
  public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap-servers";
  /** Partitions of topics the transport creates (default 6). */
  public static final String PARTITIONS = PREFIX + "partitions";
  /** Replication factor of created topics (default: the broker's default.replication.factor). */
  public static final String REPLICATION_FACTOR = PREFIX + "replication-factor";
  /** Whether topics are created on first use (default true). */
  public static final String CREATE_TOPICS = PREFIX + "create-topics";
  /** Name template of dead-letter topics (default {@code {topic}.{group}.dlq}). */
  public static final String DEAD_LETTER_TOPIC = PREFIX + "dead-letter-topic";
  /** How long closing the transport waits for the producer to flush (default 30s). */
  public static final String CLOSE_TIMEOUT = PREFIX + "close-timeout";
  /** How long a revoke waits for in-flight events of revoked partitions (default 30s). */
  public static final String REBALANCE_TIMEOUT = PREFIX + "rebalance-timeout";
  /** Timeout of admin operations and of dead-letter reads (default 30s). */
  public static final String ADMIN_TIMEOUT = PREFIX + "admin-timeout";
  /**
   * How long start-up waits for the bootstrap servers to answer before it fails with the cause
   * (default 10s); {@code 0} starts without asking them, the clients then connect on first use.
   */
  public static final String CONNECT_TIMEOUT = PREFIX + "connect-timeout";
  /** How long subscribe waits for the member's first partition assignment (default 60s). */
  public static final String JOIN_TIMEOUT = PREFIX + "join-timeout";
  /** How long one poll waits for records (default 100ms). */
  public static final String POLL_TIMEOUT = PREFIX + "poll-timeout";
  /**
   * How often a member commits the offsets of handled events while it runs (default 100ms;
   * {@code 0} commits after every poll loop). Revokes and closes always commit at once.
   */
  public static final String COMMIT_INTERVAL = PREFIX + "commit-interval";
  /**
   * The most characters of commit metadata a member writes per partition (default 4096, the
   * brokers' default {@code offset.metadata.max.bytes}; at most that broker setting). The
   * metadata records the events finished beyond the committed offset, so that the next owner
   * skips them; those that do not fit are delivered again after a crash (ADR 0017).
   */
  public static final String COMMIT_METADATA_MAX_BYTES = PREFIX + "commit-metadata-max-bytes";
  /** The default of {@link #COMMIT_METADATA_MAX_BYTES}. */
  public static final int COMMIT_METADATA_MAX_BYTES_DEFAULT = 4096;
  /**
   * How often a background check asks the brokers (and the schema registry, when one is
   * configured) whether they answer, for {@link io.relaybus.ops.Operations#health()} (default
   * 5s).
   */
  public static final String HEALTH_CHECK_INTERVAL = PREFIX + "health-check-interval";
  /** Schema registry base URL (e.g. {@code http://registry:8081/apis/ccompat/v7}). */
  public static final String REGISTRY_URL = PREFIX + "schema-registry.url";
  /** Schema registry basic-auth user. */
  public static final String REGISTRY_USERNAME = PREFIX + "schema-registry.username";
  /** Schema registry basic-auth password (secret). */
  public static final String REGISTRY_PASSWORD = PREFIX + "schema-registry.password";
  /** Schema registry bearer token (secret); exclusive with username/password. */
  public static final String REGISTRY_BEARER_TOKEN = PREFIX + "schema-registry.bearer-token";
  /** Subject naming strategy: {@code topic} (default), {@code record}, {@code topic-record}. */
  public static final String SUBJECT_STRATEGY = PREFIX + "schema.subject-strategy";
  /** Compatibility level set on subjects this bus publishes to (default: the registry's). */
  public static final String COMPATIBILITY = PREFIX + "schema.compatibility";
  /** Validate JSON payloads against the subject's schema before sending (default false). */
  public static final String VALIDATE_ON_PRODUCE = PREFIX + "schema.validate-on-produce";
  /** Validate JSON payloads after receiving; invalid ones are dead-lettered (default false). */
  public static final String VALIDATE_ON_CONSUME = PREFIX + "schema.validate-on-consume";

  /** Prefix of properties for every Kafka client. */
  public static final String CLIENT_PREFIX = PREFIX + "client.";
  /** Prefix of producer properties. */
  public static final String PRODUCER_PREFIX = PREFIX + "producer.";
  /** Prefix of consumer properties. */
  public static final String CONSUMER_PREFIX = PREFIX + "consumer.";
  /** Prefix of admin client properties. */
  public static final String ADMIN_PREFIX = PREFIX + "admin.";
  /** Prefix of topic configuration for created topics. */
  public static final String TOPIC_CONFIG_PREFIX = PREFIX + "topic-config.";
  /**
   * The largest {@link io.relaybus.Event#size()} a publish accepts (default: the producer's
   * {@code max.request.size} less {@link #RECORD_ALLOWANCE}, 960 KiB with Kafka's defaults).
   */
  public static final String MAX_EVENT_SIZE = PREFIX + "max-event-size";
  /**
   * What a record may need beyond its event's size, 64 KiB: the record and batch framing, the
   * CloudEvents header names and the time, a schema frame, a dead-letter record's metadata
   * (its last error is at most 2000 characters), and a few bytes per extension header, so a
   * few thousand of them. The producer's {@code max.request.size} must be at least
   * {@code max-event-size} plus this.
   */
  public static final int RECORD_ALLOWANCE = 64 * 1024;
  /** The largest {@link #MAX_EVENT_SIZE} allowed: 1 GiB. */
  static final long MAX_EVENT_SIZE_CEILING = 1L << 30;

  /** Every fixed key. */
  static final Set<String> KEYS = Set.of(BOOTSTRAP_SERVERS, PARTITIONS, REPLICATION_FACTOR,
      CREATE_TOPICS, DEAD_LETTER_TOPIC, CLOSE_TIMEOUT, REBALANCE_TIMEOUT, ADMIN_TIMEOUT,
      JOIN_TIMEOUT, POLL_TIMEOUT, COMMIT_INTERVAL, COMMIT_METADATA_MAX_BYTES,
      HEALTH_CHECK_INTERVAL, REGISTRY_URL, REGISTRY_USERNAME, REGISTRY_PASSWORD,
      REGISTRY_BEARER_TOKEN, SUBJECT_STRATEGY, COMPATIBILITY, VALIDATE_ON_PRODUCE,
      VALIDATE_ON_CONSUME, MAX_EVENT_SIZE, CONNECT_TIMEOUT);
  static final List<String> FAMILIES = List.of(CLIENT_PREFIX, PRODUCER_PREFIX, CONSUMER_PREFIX,
      ADMIN_PREFIX, TOPIC_CONFIG_PREFIX);

  /** How created topics' subjects are named in the schema registry. */
  public enum SubjectStrategy {
    /** {@code <topic>-value}. */
    TOPIC,
    /** {@code <record name>} (the event type). */
    RECORD,
    /** {@code <topic>-<record name>}. */
    TOPIC_RECORD
  }

  private final String bootstrapServers;
  private final int partitions;
  private final Short replicationFactor;
  private final boolean createTopics;
  private final String deadLetterTopic;
  private final Duration closeTimeout;
  private final Duration rebalanceTimeout;
  private final Duration adminTimeout;
  private final Duration connectTimeout;
  private final Duration joinTimeout;
  private final Duration pollTimeout;
  private final Duration commitInterval;
  private final Duration healthCheckInterval;
  private final int commitMetadataMaxBytes;
  private final String registryUrl;
  private final String registryUsername;
  private final String registryPassword;
  private final String registryBearerToken;
  private final SubjectStrategy subjectStrategy;
  private final CompatibilityLevel compatibility;
  private final boolean validateOnProduce;
  private final boolean validateOnConsume;
  private final Map<String, Object> producer;
  private final Map<String, Object> consumer;
  private final Map<String, Object> admin;
  private final Map<String, String> topicConfig;
  private final long maxEventSize;
  /** Every relaybus.kafka.* key with its value, secrets masked, for toString. */
  private final String shown;

  /**
   * Reads and validates the settings.
   *
   * @param settings the bus settings
   * @throws io.relaybus.ConfigurationException naming every bad key and what is allowed
   */
  public KafkaSettings(Settings settings) {
    this(settings, false);
  }

  /**
   * Reads and validates the settings.
   *
   * @param settings the bus settings
   * @param registryProvided whether the application passed its own schema registry
   */
  KafkaSettings(Settings settings, boolean registryProvided) {
    Settings.Reader r = settings.reader();
    bootstrapServers = r.requiredString(BOOTSTRAP_SERVERS,
        "comma-separated host:port list of Kafka brokers, such as localhost:9092");
    partitions = r.integer(PARTITIONS, 6, 1, 100_000);
    int rf = r.integer(REPLICATION_FACTOR, -1, -1, Short.MAX_VALUE);
    replicationFactor = rf <= 0 ? null : (short) rf;
    if (rf == 0) {
      r.problem(REPLICATION_FACTOR + "='0' is invalid: expected -1 (broker default) or 1 to "
          + Short.MAX_VALUE);
    }
    createTopics = r.bool(CREATE_TOPICS, true);
    deadLetterTopic = r.string(DEAD_LETTER_TOPIC, "{topic}.{group}.dlq");
    if (!deadLetterTopic.contains("{topic}") || !deadLetterTopic.contains("{group}")
        || !deadLetterTopic.replace("{topic}", "t").replace("{group}", "g")
            .matches("[A-Za-z0-9._-]+")) {
      r.problem(DEAD_LETTER_TOPIC + "='" + deadLetterTopic + "' is invalid: expected a template "
          + "with {topic} and {group} and otherwise only [A-Za-z0-9._-], such as "
          + "{topic}.{group}.dlq");
    }
    Duration max = Duration.ofHours(1);
    closeTimeout = r.duration(CLOSE_TIMEOUT, Duration.ofSeconds(30), Duration.ZERO, max);
    rebalanceTimeout = r.duration(REBALANCE_TIMEOUT, Duration.ofSeconds(30), Duration.ZERO, max);
    adminTimeout = r.duration(ADMIN_TIMEOUT, Duration.ofSeconds(30), Duration.ofMillis(100), max);
    connectTimeout = r.duration(CONNECT_TIMEOUT, Duration.ofSeconds(10), Duration.ZERO,
        Duration.ofMinutes(10));
    joinTimeout = r.duration(JOIN_TIMEOUT, Duration.ofSeconds(60), Duration.ZERO, max);
    pollTimeout = r.duration(POLL_TIMEOUT, Duration.ofMillis(100), Duration.ofMillis(1),
        Duration.ofSeconds(10));
    commitInterval = r.duration(COMMIT_INTERVAL, Duration.ofMillis(100), Duration.ZERO,
        Duration.ofMinutes(1));
    commitMetadataMaxBytes = r.integer(COMMIT_METADATA_MAX_BYTES,
        COMMIT_METADATA_MAX_BYTES_DEFAULT, 64, 1 << 20);
    healthCheckInterval = r.duration(HEALTH_CHECK_INTERVAL, Duration.ofSeconds(5),
        Duration.ofMillis(100), Duration.ofMinutes(10));

    registryUrl = r.string(REGISTRY_URL, null);
    if (registryUrl != null && !registryUrl.matches("https?://\\S+")) {
      r.problem(REGISTRY_URL + "='" + registryUrl + "' is invalid: expected an http:// or "
          + "https:// URL such as http://localhost:8081");
    }
    registryUsername = r.string(REGISTRY_USERNAME, null);
    registryPassword = r.string(REGISTRY_PASSWORD, null);
    registryBearerToken = r.string(REGISTRY_BEARER_TOKEN, null);
    if ((registryUsername == null) != (registryPassword == null)) {
      r.problem(REGISTRY_USERNAME + " and " + REGISTRY_PASSWORD + " must be set together");
    }
    if (registryBearerToken != null && registryUsername != null) {
      r.problem(REGISTRY_BEARER_TOKEN + " and " + REGISTRY_USERNAME
          + " are exclusive: choose basic or bearer authentication");
    }
    subjectStrategy = r.enumValue(SUBJECT_STRATEGY, SubjectStrategy.class, SubjectStrategy.TOPIC);
    compatibility = r.enumValue(COMPATIBILITY, CompatibilityLevel.class, null);
    validateOnProduce = r.bool(VALIDATE_ON_PRODUCE, false);
    validateOnConsume = r.bool(VALIDATE_ON_CONSUME, false);
    if ((validateOnProduce || validateOnConsume) && registryUrl == null && !registryProvided) {
      r.problem((validateOnProduce ? VALIDATE_ON_PRODUCE : VALIDATE_ON_CONSUME)
          + "=true needs " + REGISTRY_URL + " (or a registry passed with "
          + "KafkaTransportProvider.withSchemaRegistry)");
    }

    KafkaClientProperties clients = KafkaClientProperties.read(settings, r);
    topicConfig = clients.topicConfig;
    producer = clients.producer;
    consumer = clients.consumer;
    admin = clients.admin;
    maxEventSize = maxEventSize(r, producer);
    Map<String, String> shownMap = new TreeMap<>();
    for (String key : settings.keys()) {
      if (Settings.normalise(key).startsWith(Settings.normalise(PREFIX))) {
        shownMap.put(key, isSecret(key) ? "****" : settings.get(key).orElse(""));
      }
    }
    shown = shownMap.toString();
    r.validate();
  }

  /**
   * Reads {@link #MAX_EVENT_SIZE} and checks that an event of that size fits in what the
   * producer sends ({@code max.request.size}) and buffers ({@code buffer.memory}).
   */
  private static long maxEventSize(Settings.Reader r, Map<String, Object> producer) {
    long maxRequest = producerLong(producer, ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    long bufferMemory = producerLong(producer, ProducerConfig.BUFFER_MEMORY_CONFIG);
    long fits = Math.min(maxRequest, bufferMemory) - RECORD_ALLOWANCE;
    long fallback = Math.max(1024, Math.min(fits, MAX_EVENT_SIZE_CEILING));
    long size = r.size(MAX_EVENT_SIZE, fallback, 1024, MAX_EVENT_SIZE_CEILING);
    for (String property : List.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        ProducerConfig.BUFFER_MEMORY_CONFIG)) {
      long value = producerLong(producer, property);
      if (size + RECORD_ALLOWANCE > value) {
        r.problem(MAX_EVENT_SIZE + " is " + size + " bytes, but a record of an event that size "
            + "needs up to " + (size + RECORD_ALLOWANCE) + " bytes (" + RECORD_ALLOWANCE
            + " for the record's headers and framing) and the producer's " + property + " is "
            + value + ": set " + PRODUCER_PREFIX + property + " to at least "
            + (size + RECORD_ALLOWANCE) + " (the broker's message.max.bytes, or the topic's "
            + "max.message.bytes, must allow it too) or lower " + MAX_EVENT_SIZE);
      }
    }
    return size;
  }

  /** A numeric producer property as given, or kafka-clients' default. */
  private static long producerLong(Map<String, Object> producer, String property) {
    Object given = producer.get(property);
    Object value = given != null ? given
        : ProducerConfig.configDef().defaultValues().get(property);
    return value instanceof Number ? ((Number) value).longValue()
        : Long.parseLong(value.toString().trim());
  }

  /**
   * Tells whether a key's value is a secret: the bus's rule (passwords, tokens, JAAS, auth)
   * plus every Kafka client property of type {@code PASSWORD} (such as
   * {@code ssl.keystore.key}).
   *
   * @param key a configuration key
   * @return {@code true} when its value must not be shown
   */
  public static boolean isSecret(String key) {
    if (key == null) {
      return false;
    }
    if (Settings.isSecret(key)) {
      return true;
    }
    return KafkaClientProperties.isPassword(key);
  }

  /**
   * The bootstrap servers.
   *
   * @return a {@code host:port} list
   */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * Partitions of created topics.
   *
   * @return at least 1
   */
  public int partitions() {
    return partitions;
  }

  /**
   * Replication factor of created topics.
   *
   * @return the factor, or {@code null} for the broker's default
   */
  public Short replicationFactor() {
    return replicationFactor;
  }

  /**
   * Whether topics are created on first use.
   *
   * @return the flag
   */
  public boolean createTopics() {
    return createTopics;
  }

  /**
   * The dead-letter topic template.
   *
   * @return a template with {@code {topic}} and {@code {group}}
   */
  public String deadLetterTopicTemplate() {
    return deadLetterTopic;
  }

  /**
   * The producer close timeout.
   *
   * @return the timeout
   */
  public Duration closeTimeout() {
    return closeTimeout;
  }

  /**
   * How long a revoke waits for in-flight events of revoked partitions.
   *
   * @return the timeout
   */
  public Duration rebalanceTimeout() {
    return rebalanceTimeout;
  }

  /**
   * The admin and dead-letter read timeout.
   *
   * @return the timeout
   */
  public Duration adminTimeout() {
    return adminTimeout;
  }

  /**
   * How long start-up waits for the bootstrap servers; {@link Duration#ZERO}: it does not ask.
   *
   * @return the timeout
   */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /**
   * How long subscribe waits for the first assignment.
   *
   * @return the timeout
   */
  public Duration joinTimeout() {
    return joinTimeout;
  }

  /**
   * How long one poll waits.
   *
   * @return the timeout
   */
  public Duration pollTimeout() {
    return pollTimeout;
  }

  /**
   * How often offsets of handled events are committed while the member runs.
   *
   * @return the interval ({@link Duration#ZERO}: after every poll loop)
   */
  public Duration commitInterval() {
    return commitInterval;
  }

  /**
   * The most characters of commit metadata per partition.
   *
   * @return the limit ({@value #COMMIT_METADATA_MAX_BYTES_DEFAULT} unless configured)
   */
  public int commitMetadataMaxBytes() {
    return commitMetadataMaxBytes;
  }

  /**
   * How often the brokers and the schema registry are checked for health.
   *
   * @return the interval
   */
  public Duration healthCheckInterval() {
    return healthCheckInterval;
  }

  /**
   * The schema registry URL.
   *
   * @return the URL, or {@code null} when none is configured
   */
  public String registryUrl() {
    return registryUrl;
  }

  String registryUsername() {
    return registryUsername;
  }

  String registryPassword() {
    return registryPassword;
  }

  String registryBearerToken() {
    return registryBearerToken;
  }

  /**
   * Whether payloads are validated and framed with a schema id on publish.
   *
   * @return the flag
   */
  public boolean validateOnProduce() {
    return validateOnProduce;
  }

  /**
   * Whether payloads are unframed and validated on consume.
   *
   * @return the flag
   */
  public boolean validateOnConsume() {
    return validateOnConsume;
  }

  /**
   * The subject naming strategy.
   *
   * @return the strategy
   */
  public SubjectStrategy subjectStrategy() {
    return subjectStrategy;
  }

  /**
   * The compatibility level set on subjects this bus publishes to.
   *
   * @return the level, or {@code null} to leave the registry's setting
   */
  public CompatibilityLevel compatibility() {
    return compatibility;
  }

  /**
   * The largest event size a publish accepts ({@link #MAX_EVENT_SIZE}).
   *
   * @return bytes
   */
  long maxEventSize() {
    return maxEventSize;
  }

  /**
   * Extra producer properties (pass-through, validated).
   *
   * @return property name to value
   */
  public Map<String, Object> producerProperties() {
    return producer;
  }

  /**
   * Extra consumer properties (pass-through, validated).
   *
   * @return property name to value
   */
  public Map<String, Object> consumerProperties() {
    return consumer;
  }

  /**
   * Extra admin client properties (pass-through, validated).
   *
   * @return property name to value
   */
  public Map<String, Object> adminProperties() {
    return admin;
  }

  /**
   * Topic-level configuration of created topics.
   *
   * @return name to value
   */
  public Map<String, String> topicConfig() {
    return topicConfig;
  }

  /** Lists every {@code relaybus.kafka.*} key with its value; secrets are shown as {@code ****}. */
  @Override
  public String toString() {
    return "KafkaSettings" + shown;
  }
}
