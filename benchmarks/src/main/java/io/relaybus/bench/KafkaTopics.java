package io.relaybus.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates a benchmark topic and waits until the broker serves every partition as leader.
 *
 * <p>Why: {@code createTopics} completes when the controller has recorded the topic, before the
 * broker has applied it. An idempotent producer that writes at once can have its first produce
 * request of a partition refused ({@code NOT_LEADER_OR_FOLLOWER}) while a later one is appended;
 * every retry of the first then fails with {@code OUT_OF_ORDER_SEQUENCE_NUMBER} until
 * {@code delivery.timeout.ms} (2 minutes) expires it (KAFKA-15591, fixed after Kafka 4.3.1). A
 * {@code ListOffsets} request is answered only by a partition's leader, so once it succeeds for
 * every partition the first produce cannot hit that window.
 */
final class KafkaTopics {
  private KafkaTopics() {}

  /**
   * Creates {@code topic} (an existing one is fine) and waits for its partitions' leaders.
   *
   * @throws BenchmarkException when that does not happen within {@code timeout}
   */
  static void createAndAwaitLeaders(String bootstrap, String topic, int partitions,
      Duration timeout) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(props)) {
      try {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        request.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      while (true) {
        try {
          admin.listOffsets(request).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          return;
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(20);
        }
      }
    } catch (ExecutionException e) {
      throw new BenchmarkException("Cannot create topic " + topic + " (" + partitions
          + " partitions) on " + bootstrap + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new BenchmarkException("Topic " + topic + " not ready on " + bootstrap + " within "
          + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BenchmarkException("Interrupted while creating topic " + topic, e);
    }
  }
}
