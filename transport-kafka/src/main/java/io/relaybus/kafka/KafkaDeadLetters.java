package io.relaybus.kafka;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.RelaybusException;
import io.relaybus.spi.Errors;
import io.relaybus.spi.Names;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Dead letters kept in a Kafka topic per origin topic and group (name from
 * {@link KafkaSettings#DEAD_LETTER_TOPIC}, one partition, created on first use). The data is
 * stored unframed (as the handler saw it; for undecodable records, the original value). A dead letter
 * is the event's record with {@code relaybus_dl_*} headers (reason, attempts, last error,
 * origin topic, partition, offset, group, time); its id is {@code <partition>-<offset>} in the
 * dead-letter topic. Kafka topics are append-only, so replay and purge append a resolution
 * marker ({@code relaybus_dl_resolves}); list and count scan the topic and leave out resolved
 * entries. Replay republishes the event to the origin topic with a
 * {@code relaybus_replay_group} header: members of other groups skip it.
 */
final class KafkaDeadLetters implements DeadLetters {

  static final String TOPIC = "relaybus_dl_topic";
  static final String GROUP = "relaybus_dl_group";
  static final String REASON = "relaybus_dl_reason";
  static final String ATTEMPTS = "relaybus_dl_attempts";
  static final String LAST_ERROR = "relaybus_dl_last_error";
  static final String PARTITION = "relaybus_dl_partition";
  static final String OFFSET = "relaybus_dl_offset";
  static final String TIME = "relaybus_dl_time";
  static final String RESOLVES = "relaybus_dl_resolves";

  private static final int KAFKA_TOPIC_MAX = 249;

  private final KafkaTransport transport;
  private final KafkaSettings settings;

  KafkaDeadLetters(KafkaTransport transport) {
    this.transport = transport;
    this.settings = transport.settings();
  }

  /**
   * The group's dead-letter topic.
   *
   * @throws io.relaybus.InvalidNameException when the name is longer than Kafka allows
   */
  String topicName(String topic, String group) {
    String name = settings.deadLetterTopicTemplate().replace("{topic}", topic)
        .replace("{group}", group);
    return Names.requireDerived("Dead-letter topic", name, topic, group, KAFKA_TOPIC_MAX, "Kafka",
        "shorten the topic or group name (or the " + KafkaSettings.DEAD_LETTER_TOPIC
        + " template)");
  }

  /** An event standing for a record that could not be read as one. */
  Event placeholder(ConsumerRecord<byte[], byte[]> record) {
    return Event.builder().id(record.topic() + "-" + record.partition() + "-" + record.offset())
        .source("urn:relaybus:kafka:" + record.topic()).type("io.relaybus.kafka.unreadable")
        .data(record.value() == null ? new byte[0] : record.value()).build();
  }

  /** Stores a dead letter; returns once the broker acknowledged it. */
  void write(String topic, String group, ConsumerRecord<byte[], byte[]> origin, Event event,
      DeadLetterReason reason, int attempts, Throwable lastError) {
    String dlq = topicName(topic, group);
    transport.topics().ensureNow(dlq, 1);
    RecordHeaders h = new RecordHeaders();
    EventRecords.put(h, TOPIC, topic);
    EventRecords.put(h, GROUP, group);
    EventRecords.put(h, REASON, reason.name());
    EventRecords.put(h, ATTEMPTS, Integer.toString(attempts));
    EventRecords.put(h, LAST_ERROR, Errors.describe(lastError));
    EventRecords.put(h, PARTITION, Integer.toString(origin.partition()));
    EventRecords.put(h, OFFSET, Long.toString(origin.offset()));
    EventRecords.put(h, TIME, Instant.now().toString());
    send(EventRecords.toRecord(dlq, event, h, SchemaFraming.NONE), "dead-lettering event " + event.id()
        + " of topic '" + topic + "' group '" + group + "'");
  }

  private RecordMetadata send(ProducerRecord<byte[], byte[]> record, String what) {
    Future<RecordMetadata> f = transport.producer().send(record);
    try {
      return f.get(settings.adminTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new RelaybusException("Kafka topic '" + record.topic() + "': " + what + " failed: "
          + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new RelaybusException("Kafka topic '" + record.topic() + "': " + what
          + " was not acknowledged within " + settings.adminTimeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RelaybusException("Interrupted while " + what, e);
    }
  }

  /** A stored dead letter and where it sits: its dead-letter topic and offset there. */
  record Entry(DeadLetter deadLetter, String dlqTopic, long offset) {}

  /** Reads the group's unresolved dead letters, oldest first. */
  private List<Entry> scan(String topic, String group) {
    Names.requireTopic(topic);
    Names.requireGroup(group);
    return scan(topicName(topic, group), topic, group);
  }

  /**
   * Reads the unresolved dead letters of one origin topic in one dead-letter topic, in offset
   * order: the whole topic is read, since a resolution marker comes after what it resolves.
   *
   * @param dlq the dead-letter topic
   * @param topic the origin topic
   * @param group only this group's, or {@code null} for every group's
   */
  List<Entry> scan(String dlq, String topic, String group) {
    if (transport.topics().partitionCount(dlq).isEmpty()) {
      return List.of();
    }
    Map<String, Object> props = new HashMap<>(settings.consumerProperties());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "relaybus-dead-letters-"
        + (group == null ? topic : group));
    props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props,
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Duration timeout = settings.adminTimeout();
      List<TopicPartition> tps = new ArrayList<>();
      for (PartitionInfo p : c.partitionsFor(dlq, timeout)) {
        tps.add(new TopicPartition(dlq, p.partition()));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!reached(c, end)) {
        if (System.nanoTime() > deadline) {
          throw new RelaybusException("Reading dead-letter topic '" + dlq + "' did not finish "
              + "within " + timeout + " (" + KafkaSettings.ADMIN_TIMEOUT + ")");
        }
        c.poll(Duration.ofMillis(100)).forEach(all::add);
      }
    }
    Set<String> resolved = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : all) {
      String id = EventRecords.header(r, RESOLVES);
      if (id != null) {
        resolved.add(id);
      }
    }
    List<Entry> entries = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : all) {
      String id = r.partition() + "-" + r.offset();
      String dlGroup = EventRecords.header(r, GROUP);
      if (resolved.contains(id) || EventRecords.header(r, RESOLVES) != null
          || !topic.equals(EventRecords.header(r, TOPIC)) || dlGroup == null
          || (group != null && !group.equals(dlGroup))) {
        continue;
      }
      String when = EventRecords.header(r, TIME);
      String attempts = EventRecords.header(r, ATTEMPTS);
      String reason = EventRecords.header(r, REASON);
      String lastError = EventRecords.header(r, LAST_ERROR);
      entries.add(new Entry(new DeadLetter(id, topic, dlGroup,
          EventRecords.toEvent(r, SchemaFraming.NONE),
          reason == null ? DeadLetterReason.RETRIES_EXHAUSTED : DeadLetterReason.valueOf(reason),
          attempts == null ? 0 : Integer.parseInt(attempts),
          lastError == null ? "unknown" : lastError,
          when == null ? Instant.ofEpochMilli(r.timestamp()) : Instant.parse(when)), dlq,
          r.offset()));
    }
    return entries;
  }

  private static boolean reached(KafkaConsumer<?, ?> c, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (c.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static ProducerRecord<byte[], byte[]> marker(Entry e) {
    RecordHeaders h = new RecordHeaders();
    EventRecords.put(h, TOPIC, e.deadLetter().topic());
    EventRecords.put(h, GROUP, e.deadLetter().group());
    EventRecords.put(h, RESOLVES, e.deadLetter().id());
    return new ProducerRecord<>(e.dlqTopic(), null, (byte[]) null, (byte[]) null, h);
  }

  private ProducerRecord<byte[], byte[]> replayRecord(Entry e) {
    DeadLetter dl = e.deadLetter();
    RecordHeaders h = new RecordHeaders();
    EventRecords.put(h, EventRecords.REPLAY_GROUP, dl.group());
    return EventRecords.toRecord(dl.topic(), dl.event(), h, transport.framing());
  }

  private void resolve(Entry e, String why) {
    send(marker(e), why + " dead letter " + e.deadLetter().id());
  }

  private void replay(Entry e) {
    DeadLetter dl = e.deadLetter();
    send(replayRecord(e), "replaying dead letter " + dl.id() + " to group '" + dl.group() + "'");
    resolve(e, "marking replayed");
  }

  /**
   * Replays dead letters: every event is republished first (all sent, then all awaited), and
   * only then are they marked resolved, so a failure leaves a dead letter in place rather than
   * losing it.
   *
   * @return how many were replayed
   */
  synchronized long replay(List<Entry> entries) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      records.add(replayRecord(e));
    }
    sendAll(records, "replaying dead letters");
    return purge(entries, "marking replayed");
  }

  /**
   * Marks dead letters resolved (purged): the markers are sent together, then awaited.
   *
   * @return how many were marked
   */
  synchronized long purge(List<Entry> entries, String why) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      records.add(marker(e));
    }
    sendAll(records, why + " dead letters");
    return entries.size();
  }

  private void sendAll(List<ProducerRecord<byte[], byte[]>> records, String what) {
    List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
    for (ProducerRecord<byte[], byte[]> r : records) {
      sent.add(transport.producer().send(r));
    }
    long deadline = System.nanoTime() + settings.adminTimeout().toNanos();
    for (int i = 0; i < sent.size(); i++) {
      ProducerRecord<byte[], byte[]> r = records.get(i);
      try {
        sent.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        throw new RelaybusException("Kafka topic '" + r.topic() + "': " + what + " failed after "
            + i + " of " + sent.size() + ": " + e.getCause().getMessage(), e.getCause());
      } catch (TimeoutException e) {
        throw new RelaybusException("Kafka topic '" + r.topic() + "': " + what + " was not "
            + "acknowledged within " + settings.adminTimeout() + " (" + i + " of "
            + sent.size() + " were)", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RelaybusException("Interrupted while " + what, e);
      }
    }
  }

  @Override
  public List<DeadLetter> list(String topic, String group, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    List<DeadLetter> result = new ArrayList<>();
    for (Entry e : scan(topic, group)) {
      if (result.size() == limit) {
        break;
      }
      result.add(e.deadLetter());
    }
    return result;
  }

  @Override
  public long count(String topic, String group) {
    return scan(topic, group).size();
  }

  @Override
  public synchronized boolean replay(String topic, String group, String deadLetterId) {
    for (Entry e : scan(topic, group)) {
      if (e.deadLetter().id().equals(deadLetterId)) {
        replay(e);
        return true;
      }
    }
    return false;
  }

  @Override
  public synchronized int replayAll(String topic, String group) {
    List<Entry> entries = scan(topic, group);
    for (Entry e : entries) {
      replay(e);
    }
    return entries.size();
  }

  @Override
  public synchronized int purge(String topic, String group) {
    List<Entry> entries = scan(topic, group);
    for (Entry e : entries) {
      resolve(e, "purging");
    }
    return entries.size();
  }
}
