package io.relaybus.kafka;

import io.relaybus.BusClosedException;
import io.relaybus.Capabilities;
import io.relaybus.Capability;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import io.relaybus.RelaybusException;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.Errors;
import io.relaybus.kafka.schema.ConfluentSchemaRegistryClient;
import io.relaybus.kafka.schema.JsonSchemaValidator;
import io.relaybus.kafka.schema.ReaderSchema;
import io.relaybus.kafka.schema.Schema;
import io.relaybus.kafka.schema.SchemaRegistry;
import io.relaybus.kafka.schema.internal.JsonSchemaFrames;
import io.relaybus.spi.Names;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportSubscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka transport: an idempotent {@code acks=all} producer shared by all publishers, one
 * {@link KafkaConsumer} with its own poll thread per subscription, topics created on first use,
 * dead letters in a topic per origin topic and group.
 *
 * <p>Reach it from a bus with {@code bus.unwrap(KafkaTransport.class)} for the Kafka-specific
 * operations: {@link #partitionCount(String)} and {@link #increasePartitions(String, int)}.
 * Thread-safe.
 */
public final class KafkaTransport implements Transport {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaTransport.class);
  private final Capabilities capabilities;
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final KafkaSettings settings;
  private final TransportContext context;
  private final String clientIdPrefix;
  private final KafkaProducer<byte[], byte[]> producer;
  private final TopicAdmin topics;
  private final KafkaDeadLetters deadLetters;
  private final SchemaFraming framing;
  private final Set<KafkaSubscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final AtomicInteger members = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();

  private KafkaTransport(KafkaSettings settings, TransportContext context,
      SchemaRegistry providedRegistry) {
    this.settings = settings;
    this.capabilities = Capabilities.of(Capability.PERSISTENT, Capability.CONSUMER_GROUPS,
        Capability.ORDERED_BY_KEY, Capability.REPLAY, Capability.BACKLOG,
        Capability.DEAD_LETTERS).withMaxEventSize(settings.maxEventSize());
    this.context = context;
    this.clientIdPrefix = "relaybus-" + INSTANCES.incrementAndGet();
    this.framing = framing(settings, providedRegistry); // before any client: nothing to leak
    Map<String, Object> p = new HashMap<>(settings.producerProperties());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientIdPrefix + "-producer");
    Map<String, Object> a = new HashMap<>(settings.adminProperties());
    a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    a.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, clientIdPrefix + "-admin");
    BootstrapCheck.requireResolvable(settings);
    Admin admin = Admin.create(a);
    KafkaProducer<byte[], byte[]> createdProducer;
    try {
      // The producer only after the cluster answered: an idempotent producer asks the
      // bootstrap servers for its id at once, and closing it while that request hangs on a
      // silent server waits for request.timeout.ms.
      BootstrapCheck.awaitCluster(admin, settings);
      createdProducer = new KafkaProducer<>(p, new ByteArraySerializer(),
          new ByteArraySerializer());
    } catch (RuntimeException e) {
      admin.close(Duration.ZERO);
      throw e;
    }
    this.topics = new TopicAdmin(admin, settings);
    this.producer = createdProducer;
    this.deadLetters = new KafkaDeadLetters(this);
  }

  private static SchemaFraming framing(KafkaSettings settings, SchemaRegistry provided) {
    SchemaRegistry registry = provided;
    JsonSchemaValidator validator = new JsonSchemaValidator();
    if (registry == null && settings.registryUrl() != null) {
      ConfluentSchemaRegistryClient.Builder b =
          ConfluentSchemaRegistryClient.builder(settings.registryUrl()).validator(validator);
      if (settings.registryUsername() != null) {
        b.basicAuth(settings.registryUsername(), settings.registryPassword());
      }
      if (settings.registryBearerToken() != null) {
        b.bearerToken(settings.registryBearerToken());
      }
      registry = b.build();
    }
    if (registry == null) {
      return SchemaFraming.NONE;
    }
    return new SchemaFraming(registry, new JsonSchemaFrames(registry, validator),
        settings.validateOnProduce(), settings.validateOnConsume(), settings.subjectStrategy(),
        settings.compatibility());
  }

  /**
   * Creates a transport, after the bootstrap servers answered within {@code connect-timeout}
   * (unless it is 0).
   *
   * @param settings validated settings
   * @param context the bus context
   * @param registry the application's schema registry, or {@code null}
   * @return the transport
   */
  static KafkaTransport start(KafkaSettings settings, TransportContext context,
      SchemaRegistry registry) {
    KafkaTransport t = new KafkaTransport(settings, context, registry);
    LOG.info("Kafka transport started: {}", settings);
    return t;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public CompletableFuture<List<PublishReceipt>> publish(String topic, List<Event> events) {
    return send(topic, events, null);
  }

  CompletableFuture<List<PublishReceipt>> send(String topic, List<Event> events,
      Headers extra) {
    if (closed.get()) {
      return CompletableFuture.failedFuture(new BusClosedException("The Kafka transport is "
          + "closed; cannot publish to topic '" + topic + "'"));
    }
    CompletableFuture<Void> ready = topics.ensure(topic, settings.partitions());
    if (ready.isDone() && !ready.isCompletedExceptionally()) {
      return sendAll(topic, events, extra);
    }
    return ready.thenCompose(ok -> sendAll(topic, events, extra));
  }

  private CompletableFuture<List<PublishReceipt>> sendAll(String topic, List<Event> events,
      Headers extra) {
    int n = events.size();
    // Every record is built (and with schemas: validated and framed) before the first is sent,
    // so an invalid payload or an unreachable registry fails the publish with nothing sent.
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(n);
    try {
      for (Event e : events) {
        records.add(EventRecords.toRecord(topic, e, extra, framing));
      }
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<List<PublishReceipt>> result = new CompletableFuture<>();
    PublishReceipt[] receipts = new PublishReceipt[n];
    AtomicInteger remaining = new AtomicInteger(n);
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    for (int i = 0; i < n; i++) {
      Event e = events.get(i);
      int index = i;
      try {
        producer.send(records.get(i), (md, error) -> {
          if (error != null) {
            failed.incrementAndGet();
            firstFailure.compareAndSet(null, error);
          } else {
            receipts[index] = new PublishReceipt(topic, e.id(),
                md.partition() + "@" + md.offset());
          }
          if (remaining.decrementAndGet() == 0) {
            finish(result, topic, n, failed.get(), firstFailure.get(), receipts);
          }
        });
      } catch (RuntimeException error) {
        // send() refused the record before queueing it (closed producer, too large, ...).
        failed.incrementAndGet();
        firstFailure.compareAndSet(null, error);
        if (remaining.decrementAndGet() == 0) {
          finish(result, topic, n, failed.get(), firstFailure.get(), receipts);
        }
      }
    }
    return result;
  }

  private static void finish(CompletableFuture<List<PublishReceipt>> result, String topic,
      int total, int failed, Throwable failure, PublishReceipt[] receipts) {
    if (failed == 0) {
      result.complete(Arrays.asList(receipts));
    } else {
      result.completeExceptionally(new RelaybusException("Publishing to Kafka topic '" + topic
          + "' failed: " + failed + " of " + total + " event(s) not acknowledged by the broker"
          + (failed < total ? " (the others were stored)" : "") + ": "
          + Errors.describe(failure), failure));
    }
  }

  @Override
  public TransportSubscription subscribe(String topic, SubscribeOptions options,
      MessageSink sink) {
    if (closed.get()) {
      throw new BusClosedException("The Kafka transport is closed; cannot subscribe to topic '"
          + topic + "'");
    }
    // The first dead letter of a group whose dead-letter topic Kafka refuses could never be
    // stored, and the group's commits would stop behind it: refuse the group before any I/O.
    deadLetters.topicName(topic, options.group());
    topics.ensureNow(topic, settings.partitions());
    Map<String, Object> c = new HashMap<>(settings.consumerProperties());
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, options.group());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
        options.startPosition() == StartPosition.LATEST ? "latest" : "earliest");
    c.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientIdPrefix + "-" + topic + "-"
        + options.group() + "-" + members.incrementAndGet());
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    KafkaSubscription s = new KafkaSubscription(this, topic, options, sink, consumer);
    subscriptions.add(s);
    s.start();
    try {
      if (!s.awaitJoined(settings.joinTimeout())) {
        LOG.warn("Member of group '{}' on Kafka topic '{}' got no partition assignment within "
            + "{} ({}); it keeps trying in the background", options.group(), topic,
            settings.joinTimeout(), KafkaSettings.JOIN_TIMEOUT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return s;
  }

  @Override
  public DeadLetters deadLetters() {
    return deadLetters;
  }

  /**
   * The number of partitions of a topic.
   *
   * @param topic a topic name
   * @return the partition count
   * @throws IllegalArgumentException when the topic does not exist or the name is invalid
   * @throws RelaybusException when the brokers cannot be asked
   * @throws BusClosedException when the bus is closed
   */
  public int partitionCount(String topic) {
    Names.requireTopic(topic);
    ensureOpen("count the partitions of topic '" + topic + "'");
    return topics.partitionCount(topic).orElseThrow(() -> new IllegalArgumentException(
        "Kafka topic '" + topic + "' does not exist"));
  }

  /**
   * Raises a topic's partition count. This is an explicit operation because it remaps keys:
   * {@code hash(key) % partitions} changes, so events of one key published before and after
   * the change land in different partitions and may be handled out of order or by different
   * members while the old partition still holds unconsumed events. The change is logged at
   * WARN with the topic and the old and new counts.
   *
   * @param topic an existing topic
   * @param partitions the new count, not below the current one (equal is a no-op)
   * @return the previous partition count
   * @throws IllegalArgumentException when the topic does not exist or {@code partitions} is
   *     below its current count (Kafka cannot reduce partitions)
   * @throws RelaybusException when the brokers refuse or cannot be reached
   * @throws BusClosedException when the bus is closed
   */
  public int increasePartitions(String topic, int partitions) {
    Names.requireTopic(topic);
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1, got " + partitions
          + " for Kafka topic '" + topic + "'");
    }
    ensureOpen("increase the partitions of topic '" + topic + "'");
    return topics.increasePartitions(topic, partitions);
  }

  /**
   * Declares the JSON schema of a topic's events. With
   * {@code relaybus.kafka.schema.validate-on-produce=true}, every event published to the topic
   * is validated against it (an invalid payload fails the publish with
   * {@link io.relaybus.kafka.schema.InvalidPayloadException}, nothing sent), the schema is
   * registered under the topic's subject (checked against the subject's compatibility level)
   * and the value is framed with its id. Without a declared schema, the subject's latest
   * registered schema is used.
   *
   * @param topic the topic
   * @param schema its writer schema
   * @throws IllegalStateException when no schema registry is configured
   * @throws BusClosedException when the bus is closed
   */
  public void useSchema(String topic, Schema schema) {
    Names.requireTopic(topic);
    Objects.requireNonNull(schema, "schema");
    ensureOpen("declare the schema of topic '" + topic + "'");
    requireRegistry();
    framing.declare(topic, schema);
  }

  /**
   * Declares the narrower schema this application reads a topic with: with
   * {@code relaybus.kafka.schema.validate-on-consume=true}, payloads are validated against it
   * instead of the writer's schema; a payload it cannot read is dead-lettered.
   *
   * @param topic the topic
   * @param reader the reader schema
   * @throws IllegalStateException when no schema registry is configured
   * @throws BusClosedException when the bus is closed
   */
  public void readWith(String topic, ReaderSchema reader) {
    Names.requireTopic(topic);
    Objects.requireNonNull(reader, "reader");
    ensureOpen("declare the reader schema of topic '" + topic + "'");
    requireRegistry();
    framing.readWith(topic, reader);
  }

  /**
   * The schema registry the transport uses.
   *
   * @return the registry, empty when none is configured
   */
  public Optional<SchemaRegistry> schemaRegistry() {
    return Optional.ofNullable(framing.registry());
  }

  private void ensureOpen(String operation) {
    if (closed.get()) {
      throw new BusClosedException("Cannot " + operation + ": the kafka event bus is closed");
    }
  }

  private void requireRegistry() {
    if (framing.registry() == null) {
      throw new IllegalStateException("No schema registry is configured: set "
          + KafkaSettings.REGISTRY_URL + " or use KafkaTransportProvider.withSchemaRegistry");
    }
  }

  SchemaFraming framing() {
    return framing;
  }

  /**
   * The name of the dead-letter topic of a topic and group.
   *
   * @param topic the origin topic
   * @param group the consumer group
   * @return the Kafka topic holding that group's dead letters
   * @throws io.relaybus.InvalidNameException when a name breaks the naming rule or the derived
   *     name is longer than Kafka's 249 characters
   */
  public String deadLetterTopic(String topic, String group) {
    return deadLetters.topicName(Names.requireTopic(topic), Names.requireGroup(group));
  }

  /**
   * The settings this transport runs with.
   *
   * @return the settings
   */
  public KafkaSettings settings() {
    return settings;
  }

  KafkaProducer<byte[], byte[]> producer() {
    return producer;
  }

  TopicAdmin topics() {
    return topics;
  }

  KafkaDeadLetters deadLetterStore() {
    return deadLetters;
  }

  ThreadFactory threadFactory(String purpose) {
    return context.threadFactory(purpose);
  }

  void forget(KafkaSubscription s) {
    subscriptions.remove(s);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (KafkaSubscription s : List.copyOf(subscriptions)) {
      s.close();
    }
    try {
      producer.close(settings.closeTimeout());
    } catch (RuntimeException e) {
      LOG.warn("Closing the Kafka producer failed: {}", Errors.describe(e));
    }
    try {
      topics.close();
    } catch (RuntimeException e) {
      LOG.warn("Closing the Kafka admin client failed: {}", Errors.describe(e));
    }
  }

  @Override
  public String toString() {
    return "KafkaTransport{" + settings + "}";
  }
}
