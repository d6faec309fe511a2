package io.relaybus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Raw {@code kafka-clients} on the same broker as the Relaybus side: what an application would
 * write without the library.
 *
 * <ul>
 *   <li><b>Publish:</b> one {@link KafkaProducer} with the settings the transport uses
 *       ({@code acks=all}, idempotence on), value = the Confluent wire-format prefix (magic byte
 *       0 and a 4-byte schema id) followed by the JSON payload, the stamp in one header. No
 *       validation, no envelope headers. A batch is {@code count} {@code send} calls. With
 *       {@code raw.envelope=cloudevents} every record also carries the CloudEvents binary-mode
 *       headers a Relaybus record carries ({@code ce_specversion}, a fresh {@code ce_id},
 *       {@code ce_source}, {@code ce_type}, {@code ce_time}, {@code content-type}), built per
 *       record as a hand-written CloudEvents producer would: the same bytes on the wire, so the
 *       ratio shows the library's own cost apart from the envelope's. With
 *       {@code raw.validate=json-schema} every payload is also parsed (Jackson) and validated
 *       against the benchmark's JSON Schema (networknt, compiled once) before it is sent, as the
 *       transport does with {@code validate-on-produce}: with both settings the raw producer does
 *       the work the issue asks of every Relaybus publish, by hand.</li>
 *   <li><b>Consume:</b> {@code members} {@link KafkaConsumer}s in one group, each on its own
 *       thread, {@code enable.auto.commit=false}, the listener called for every record of a
 *       poll, then {@code commitAsync()} for the poll (manual commit after handling).</li>
 * </ul>
 *
 * <p>Each session creates its own topic with {@code raw.partitions} partitions (default 6, the
 * transport's default) and waits for its leaders ({@link KafkaTopics}).
 */
public final class KafkaRawBaseline implements RawBaseline {
  /** Partitions of the session's topic. */
  public static final String PARTITIONS = "raw.partitions";
  /** {@code none} (default) or {@code cloudevents}: the envelope headers of each record. */
  public static final String ENVELOPE = "raw.envelope";
  /** The raw producer's {@code batch.size} in bytes; default: the client's own (16 KiB). */
  public static final String BATCH_SIZE = "raw.batch-size";
  /** {@code none} (default) or {@code json-schema}: validate each payload before sending. */
  public static final String VALIDATE = "raw.validate";
  private static final Set<String> KEYS = Set.of(PARTITIONS, ENVELOPE, BATCH_SIZE, VALIDATE);

  private final String bootstrap;
  private final int schemaId;

  /**
   * Creates the baseline.
   *
   * @param bootstrap the broker's bootstrap servers
   * @param schemaId the schema id written in every value's prefix (the Relaybus side's)
   */
  public KafkaRawBaseline(String bootstrap, int schemaId) {
    this.bootstrap = bootstrap;
    this.schemaId = schemaId;
  }

  @Override
  public String description() {
    return "raw kafka-clients: KafkaProducer (acks=all, idempotent, 5-byte schema-id prefix), "
        + "KafkaConsumers in one group with commitAsync after each poll";
  }

  @Override
  public MessagingSession open(SessionSpec spec) {
    for (String key : spec.settings().keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(key + " is not a setting of the kafka raw "
            + "baseline; its settings are: " + String.join(", ", new TreeSet<>(KEYS)));
      }
    }
    String value = spec.settings().getOrDefault(PARTITIONS, "6");
    int partitions;
    try {
      partitions = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      partitions = 0;
    }
    if (partitions < 1) {
      throw new IllegalArgumentException(PARTITIONS + " must be a positive integer, got '"
          + value + "'");
    }
    String envelope = spec.settings().getOrDefault(ENVELOPE, "none");
    if (!envelope.equals("none") && !envelope.equals("cloudevents")) {
      throw new IllegalArgumentException(ENVELOPE + " must be none or cloudevents, got '"
          + envelope + "'");
    }
    String batchSize = spec.settings().get(BATCH_SIZE);
    if (batchSize != null && !batchSize.trim().matches("[1-9][0-9]{0,8}")) {
      throw new IllegalArgumentException(BATCH_SIZE + " must be a positive number of bytes, got '"
          + batchSize + "'");
    }
    String validate = spec.settings().getOrDefault(VALIDATE, "none");
    if (!validate.equals("none") && !validate.equals("json-schema")) {
      throw new IllegalArgumentException(VALIDATE + " must be none or json-schema, got '"
          + validate + "'");
    }
    return new RawSession(bootstrap, spec, partitions, schemaId, envelope.equals("cloudevents"),
        batchSize == null ? null : batchSize.trim(), validate.equals("json-schema"));
  }

  /** One topic, one producer and, once started, one consumer group. */
  static final class RawSession implements MessagingSession {
    private final String bootstrap;
    private final String topic;
    private final byte[] value;
    private final Duration timeout;
    private final KafkaProducer<byte[], byte[]> producer;
    private final PendingPublishes pending;
    private final List<Member> members = new ArrayList<>();
    private final boolean cloudEvents;
    private final byte[] payload;
    /** The payload's schema when each payload is validated before sending, else null. */
    private final Schema schema;
    private final ObjectMapper json = new ObjectMapper();

    RawSession(String bootstrap, SessionSpec spec, int partitions, int schemaId,
        boolean cloudEvents, String batchSize, boolean validate) {
      this.cloudEvents = cloudEvents;
      this.payload = spec.payload();
      this.schema = validate ? SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7)
          .getSchema(KafkaTarget.PAYLOAD_SCHEMA) : null;
      this.bootstrap = bootstrap;
      this.topic = spec.topic();
      this.timeout = spec.timeout();
      this.value = ByteBuffer.allocate(5 + spec.payload().length).put((byte) 0)
          .putInt(schemaId).put(spec.payload()).array();
      KafkaTopics.createAndAwaitLeaders(bootstrap, topic, partitions, timeout);
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      if (batchSize != null) {
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, batchSize);
      }
      this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
      this.pending = new PendingPublishes(spec.publishWindow(), timeout);
    }

    @Override
    public void startConsumers(ConsumerSpec spec, StampListener listener) {
      for (int i = 0; i < spec.members(); i++) {
        Member m = new Member(listener, i);
        members.add(m);
        m.thread.start();
      }
    }

    @Override
    public void publish(long stampNanos) {
      pending.add(send(stampNanos));
    }

    @Override
    public void publishBatch(long stampNanos, int count) {
      CompletableFuture<?>[] sends = new CompletableFuture<?>[count];
      for (int i = 0; i < count; i++) {
        sends[i] = send(stampNanos);
      }
      pending.add(CompletableFuture.allOf(sends));
    }

    private CompletableFuture<Void> send(long stampNanos) {
      if (schema != null) {
        validate();
      }
      CompletableFuture<Void> f = new CompletableFuture<>();
      ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, null, value);
      if (cloudEvents) {
        Headers h = record.headers();
        h.add("ce_specversion", utf8("1.0"));
        h.add("ce_id", utf8(UUID.randomUUID().toString()));
        h.add("ce_source", utf8(RelaybusSession.SOURCE));
        h.add("ce_type", utf8(RelaybusSession.TYPE));
        h.add("ce_time", utf8(Instant.now().truncatedTo(ChronoUnit.MICROS).toString()));
        h.add("content-type", utf8(RelaybusSession.CONTENT_TYPE));
        h.add("ce_" + RelaybusSession.STAMP_HEADER, utf8(Long.toString(stampNanos)));
      } else {
        record.headers().add(RelaybusSession.STAMP_HEADER,
            Long.toString(stampNanos).getBytes(StandardCharsets.US_ASCII));
      }
      producer.send(record, (metadata, error) -> {
        if (error == null) {
          f.complete(null);
        } else {
          f.completeExceptionally(error);
        }
      });
      return f;
    }

    private void validate() {
      try {
        if (!schema.validate(json.readTree(payload)).isEmpty()) {
          throw new IllegalStateException("The benchmark payload breaks its schema");
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private static byte[] utf8(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void awaitPublished(Duration limit) {
      producer.flush();
      pending.joinAll(limit);
    }

    @Override
    public void close() {
      for (Member m : members) {
        m.consumer.wakeup();
      }
      for (Member m : members) {
        try {
          m.thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      producer.close(Duration.ofSeconds(10));
    }

    /** One group member: a consumer on its own thread. */
    private final class Member {
      final KafkaConsumer<byte[], byte[]> consumer;
      final Thread thread;

      Member(StampListener listener, int index) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "raw-" + topic);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
        thread = new Thread(() -> run(listener), "raw-kafka-consumer-" + index);
        thread.setDaemon(true);
      }

      private void run(StampListener listener) {
        try (consumer) {
          consumer.subscribe(List.of(topic));
          while (true) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
            if (records.isEmpty()) {
              continue;
            }
            for (ConsumerRecord<byte[], byte[]> r : records) {
              Header h = r.headers().lastHeader(cloudEvents
                  ? "ce_" + RelaybusSession.STAMP_HEADER : RelaybusSession.STAMP_HEADER);
              listener.received(Long.parseLong(new String(h.value(), StandardCharsets.US_ASCII)));
            }
            consumer.commitAsync();
          }
        } catch (WakeupException e) {
          // closed
        }
      }
    }
  }
}
