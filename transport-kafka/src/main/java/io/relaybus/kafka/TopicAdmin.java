package io.relaybus.kafka;

import io.relaybus.RelaybusException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates topics on first use and changes their partition count, through the Admin client. */
final class TopicAdmin implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);
  /** Pause between two checks of a new topic's partition leaders. */
  private static final long LEADER_RETRY_MILLIS = 100;

  private final Admin admin;
  private final KafkaSettings settings;
  /**
   * Topics known to exist with every partition leader answering (or being checked); a failure
   * is removed to be retried.
   */
  private final Map<String, CompletableFuture<Void>> ensured = new ConcurrentHashMap<>();
  private volatile boolean closed;

  TopicAdmin(Admin admin, KafkaSettings settings) {
    this.admin = admin;
    this.settings = settings;
  }

  Admin admin() {
    return admin;
  }

  /**
   * Completes when the topic exists and every partition's leader answers, creating the topic
   * with the configured partitions if needed. The result is cached per topic (a failure is
   * removed, so the next call tries again): the check costs one round of admin requests per
   * topic and transport.
   *
   * <p>Creation alone is not enough: {@code createTopics} completes when the controller has
   * recorded the topic, before the brokers serve it. The idempotent producer's first request
   * to a partition can then be refused ({@code NOT_LEADER_OR_FOLLOWER}) while a later one is
   * appended, after which the first fails with {@code OUT_OF_ORDER_SEQUENCE_NUMBER} until
   * {@code delivery.timeout.ms} (KAFKA-15591): a publish to a new topic stalls and then fails
   * partially. So this waits until {@code ListOffsets}, which only a partition's serving leader
   * answers, succeeds for every partition, within {@code admin-timeout}. The same wait applies
   * when the topic already existed: another process may have created it a moment ago.
   */
  CompletableFuture<Void> ensure(String topic, int partitions) {
    CompletableFuture<Void> known = ensured.get(topic);
    if (known != null && !known.isCompletedExceptionally()) {
      return known;
    }
    if (!settings.createTopics()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> created = new CompletableFuture<>();
    CompletableFuture<Void> raced = ensured.putIfAbsent(topic, created);
    if (raced != null) {
      if (!raced.isCompletedExceptionally()) {
        return raced;
      }
      ensured.replace(topic, raced, created);
    }
    long deadline = System.nanoTime() + settings.adminTimeout().toNanos();
    NewTopic newTopic = new NewTopic(topic, Optional.of(partitions),
        Optional.ofNullable(settings.replicationFactor())).configs(settings.topicConfig());
    admin.createTopics(List.of(newTopic)).all().whenComplete((ok, error) -> {
      Throwable cause = unwrap(error);
      if (cause == null || cause instanceof TopicExistsException) {
        boolean createdHere = cause == null;
        awaitLeaders(topic, deadline).whenComplete((ready, notReady) -> {
          if (notReady == null) {
            if (createdHere) {
              LOG.info("Created Kafka topic '{}' with {} partition(s)", topic, partitions);
            }
            created.complete(null);
          } else {
            ensured.remove(topic, created);
            created.completeExceptionally(notReady);
          }
        });
      } else {
        ensured.remove(topic, created);
        created.completeExceptionally(new RelaybusException("Cannot create Kafka topic '" + topic
            + "' (" + partitions + " partitions): " + cause.getMessage(), cause));
      }
    });
    return created;
  }

  /** Completes once every partition of the topic has a leader answering, or fails at deadline. */
  private CompletableFuture<Void> awaitLeaders(String topic, long deadline) {
    CompletableFuture<Void> ready = new CompletableFuture<>();
    probeLeaders(topic, deadline, ready);
    return ready;
  }

  private void probeLeaders(String topic, long deadline, CompletableFuture<Void> ready) {
    if (closed) {
      ready.completeExceptionally(new RelaybusException("The Kafka transport is closed; stopped "
          + "waiting for the partition leaders of topic '" + topic + "'"));
      return;
    }
    admin.describeTopics(List.of(topic),
            new DescribeTopicsOptions().timeoutMs(remainingMillis(deadline)))
        .allTopicNames().toCompletionStage()
        .thenCompose(described -> {
          Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
          for (TopicPartitionInfo p : described.get(topic).partitions()) {
            latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
          }
          return admin.listOffsets(latest,
              new ListOffsetsOptions().timeoutMs(remainingMillis(deadline))).all()
              .toCompletionStage();
        })
        .whenComplete((offsets, error) -> {
          if (error == null) {
            ready.complete(null);
            return;
          }
          Throwable cause = unwrap(error);
          if (cause instanceof RetriableException && System.nanoTime() < deadline) {
            // e.g. UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER
            CompletableFuture.delayedExecutor(LEADER_RETRY_MILLIS, TimeUnit.MILLISECONDS)
                .execute(() -> probeLeaders(topic, deadline, ready));
            return;
          }
          ready.completeExceptionally(new RelaybusException("Kafka topic '" + topic
              + "' exists but not every partition has a leader serving it within "
              + settings.adminTimeout() + " (" + KafkaSettings.ADMIN_TIMEOUT + "): "
              + cause.getMessage(), cause));
        });
  }

  private static int remainingMillis(long deadline) {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, left));
  }

  private static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof ExecutionException || cause instanceof CompletionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  void ensureNow(String topic, int partitions) {
    try {
      ensure(topic, partitions).get(settings.adminTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
          : new RelaybusException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new RelaybusException("Creating Kafka topic '" + topic + "' (or waiting for its "
          + "partition leaders) did not finish within "
          + settings.adminTimeout() + " (" + KafkaSettings.ADMIN_TIMEOUT + "); is "
          + settings.bootstrapServers() + " reachable?", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RelaybusException("Interrupted while creating Kafka topic '" + topic + "'", e);
    }
  }

  /**
   * The names of the cluster's topics, without the ones Kafka marks internal.
   *
   * @throws RelaybusException when the brokers do not answer within {@code admin-timeout}
   */
  Set<String> names() {
    return await(admin.listTopics(new ListTopicsOptions()
        .timeoutMs((int) settings.adminTimeout().toMillis())).names(), "list the Kafka topics");
  }

  /**
   * Waits for an admin result within {@code admin-timeout}.
   *
   * @param what what is being done, for the error message ("list the Kafka topics")
   * @throws RelaybusException naming {@code what} when it fails or times out
   */
  <T> T await(KafkaFuture<T> future, String what) {
    try {
      return future.get(settings.adminTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new RelaybusException("Cannot " + what + ": " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new RelaybusException("Cannot " + what + ": no answer within "
          + settings.adminTimeout() + " (" + KafkaSettings.ADMIN_TIMEOUT + ")", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RelaybusException("Interrupted while trying to " + what, e);
    }
  }

  /** The partition count, or empty when the topic does not exist. */
  Optional<Integer> partitionCount(String topic) {
    try {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
          .get(settings.adminTimeout().toMillis(), TimeUnit.MILLISECONDS).get(topic);
      return Optional.of(d.partitions().size());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return Optional.empty();
      }
      throw new RelaybusException("Cannot describe Kafka topic '" + topic + "': "
          + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new RelaybusException("Describing Kafka topic '" + topic + "' did not finish within "
          + settings.adminTimeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RelaybusException("Interrupted while describing Kafka topic '" + topic + "'", e);
    }
  }

  /** Raises the partition count; returns the previous count. */
  int increasePartitions(String topic, int newCount) {
    int current = partitionCount(topic).orElseThrow(() -> new IllegalArgumentException(
        "Kafka topic '" + topic + "' does not exist; its partitions cannot be increased"));
    if (newCount < current) {
      throw new IllegalArgumentException("Kafka topic '" + topic + "' has " + current
          + " partitions; " + newCount + " is fewer, and Kafka can only increase a topic's "
          + "partition count (create a new topic to reduce it)");
    }
    if (newCount == current) {
      LOG.info("Kafka topic '{}' already has {} partitions; nothing to do", topic, current);
      return current;
    }
    try {
      admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(newCount))).all()
          .get(settings.adminTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new RelaybusException("Cannot increase the partitions of Kafka topic '" + topic
          + "' from " + current + " to " + newCount + ": " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new RelaybusException("Increasing the partitions of Kafka topic '" + topic
          + "' did not finish within " + settings.adminTimeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RelaybusException("Interrupted while increasing partitions of '" + topic + "'",
          e);
    }
    LOG.warn("Kafka topic '{}' partitions increased from {} to {}: keys now map to different "
        + "partitions (hash(key) % {} instead of % {}), so events of one key published before "
        + "and after this change may be handled out of order and by different members, and "
        + "consumers that rely on key-to-partition placement (joins, ksqlDB, compaction by key "
        + "across partitions) see the remapping", topic, current, newCount, newCount, current);
    return current;
  }

  @Override
  public void close() {
    closed = true;
    admin.close(settings.closeTimeout());
  }
}
