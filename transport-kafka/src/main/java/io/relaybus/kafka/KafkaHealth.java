package io.relaybus.kafka;

import io.relaybus.kafka.schema.SchemaRegistry;
import io.relaybus.ops.Health;
import io.relaybus.spi.Errors;
import io.relaybus.spi.HealthGrace;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;

/**
 * The Kafka transport's health components: {@code kafka.brokers} (a {@code describeCluster}
 * answered), {@code kafka.schema-registry} when a registry is configured (its global
 * compatibility level read), and one {@code kafka.consumer.<topic>.<group>} per running member
 * ({@link KafkaSubscription#health()}). Brokers and registry are checked by a background thread
 * every {@link KafkaSettings#HEALTH_CHECK_INTERVAL}, each check bounded by that interval (at
 * least 1s, at most {@code admin-timeout}), so {@link #health()} only reads the last results
 * and costs no request however often it is called. Each component goes through a
 * {@link HealthGrace}.
 */
final class KafkaHealth implements AutoCloseable {
  static final String BROKERS = "kafka.brokers";
  static final String REGISTRY = "kafka.schema-registry";

  private final KafkaTransport transport;
  private final Admin admin;
  private final SchemaRegistry registry;
  private final HealthGrace brokers;
  private final HealthGrace registryHealth;
  private final Duration checkTimeout;
  private final ScheduledThreadPoolExecutor checks;

  KafkaHealth(KafkaTransport transport, Duration grace, ThreadFactory threads, Clock clock) {
    this.transport = transport;
    this.admin = transport.topics().admin();
    this.registry = transport.schemaRegistry().orElse(null);
    this.brokers = new HealthGrace(BROKERS, grace, clock);
    this.registryHealth = registry == null ? null : new HealthGrace(REGISTRY, grace, clock);
    KafkaSettings settings = transport.settings();
    Duration interval = settings.healthCheckInterval();
    Duration timeout = interval.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
        : interval;
    this.checkTimeout = timeout.compareTo(settings.adminTimeout()) > 0 ? settings.adminTimeout()
        : timeout;
    // One thread per check: a registry that hangs must not hold up the broker check.
    this.checks = new ScheduledThreadPoolExecutor(registry == null ? 1 : 2, threads);
    checks.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    long every = interval.toMillis();
    checks.scheduleWithFixedDelay(this::checkBrokers, 0, every, TimeUnit.MILLISECONDS);
    if (registry != null) {
      checks.scheduleWithFixedDelay(this::checkRegistry, 0, every, TimeUnit.MILLISECONDS);
    }
  }

  Health health() {
    List<Health.Component> components = new ArrayList<>();
    components.add(brokers.component());
    if (registryHealth != null) {
      components.add(registryHealth.component());
    }
    List<Health.Component> consumers = new ArrayList<>();
    for (KafkaSubscription s : transport.subscriptions()) {
      consumers.add(s.health());
    }
    consumers.sort(Comparator.comparing(Health.Component::name));
    components.addAll(consumers);
    return Health.of(components);
  }

  private void checkBrokers() {
    long ms = checkTimeout.toMillis();
    try {
      Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions()
          .timeoutMs((int) ms)).nodes().get(ms + 1_000, TimeUnit.MILLISECONDS);
      if (nodes.isEmpty()) {
        brokers.failed("the cluster at " + transport.settings().bootstrapServers()
            + " reports no broker");
      } else {
        brokers.passed();
      }
    } catch (ExecutionException e) {
      brokers.failed("describeCluster at " + transport.settings().bootstrapServers()
          + " failed: " + Errors.describe(e.getCause()));
    } catch (TimeoutException e) {
      brokers.failed("no broker at " + transport.settings().bootstrapServers()
          + " answered within " + checkTimeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
    } catch (RuntimeException e) {
      brokers.failed("describeCluster at " + transport.settings().bootstrapServers()
          + " failed: " + Errors.describe(e));
    }
  }

  private void checkRegistry() {
    try {
      registry.compatibility();
      registryHealth.passed();
    } catch (RuntimeException e) {
      registryHealth.failed("the schema registry "
          + (transport.settings().registryUrl() == null ? "" : "at "
              + transport.settings().registryUrl() + " ")
          + "does not answer: " + Errors.describe(e));
    }
  }

  @Override
  public void close() {
    checks.shutdownNow();
  }
}
