package io.relaybus.bench;

import io.relaybus.Event;
import io.relaybus.EventBus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Reproduces a stall of the Kafka transport on a topic it has just created (not a benchmark).
 *
 * <p>For each of {@code --topics} (default 10) fresh topics, a bus with the transport's defaults
 * (it creates the topic on first publish) pipelines {@code --batches} (default 20)
 * {@code publishAll}s of 100 events without waiting between them, then joins them. The
 * producer's {@code delivery.timeout.ms} is lowered to 15 s (default 2 minutes) so a stuck batch
 * fails quickly. A topic whose publishes fail with "Expiring N record(s)" hit the race described
 * in {@link KafkaTopics}: the first produce request of a partition was refused
 * ({@code NOT_LEADER_OR_FOLLOWER}, the broker had not applied the new topic yet), a later one was
 * appended, and the retries of the first failed with {@code OUT_OF_ORDER_SEQUENCE_NUMBER} until
 * the delivery timeout. With {@code --await-leaders true} the topic is created first and the
 * benchmark waits for its leaders ({@link KafkaTopics#createAndAwaitLeaders}): no failures.
 *
 * <pre>
 * java -cp benchmarks/target/relaybus-benchmarks.jar io.relaybus.bench.KafkaFreshTopicRepro
 * </pre>
 */
public final class KafkaFreshTopicRepro {
  private KafkaFreshTopicRepro() {}

  /**
   * Runs the reproduction and prints how many topics had failed publishes.
   *
   * @param args {@code --topics N}, {@code --batches N}, {@code --await-leaders true|false}
   */
  public static void main(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    int topics = Integer.parseInt(opts.getOrDefault("--topics", "10"));
    int batches = Integer.parseInt(opts.getOrDefault("--batches", "20"));
    boolean awaitLeaders = Boolean.parseBoolean(opts.getOrDefault("--await-leaders", "false"));
    KafkaTarget target = new KafkaTarget();
    String bootstrap = target.bootstrapServers();
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put(KafkaTarget.SCHEMA_KEY, "off");
    settings.put("relaybus.kafka.producer.delivery.timeout.ms", "15000");
    settings.put("relaybus.kafka.producer.request.timeout.ms", "5000");
    byte[] payload = Payloads.json(Payloads.SIZE);
    int failedTopics = 0;
    long failedEvents = 0;
    try (EventBus bus = target.createBus(settings)) {
      for (int t = 0; t < topics; t++) {
        String topic = "repro-" + System.nanoTime();
        if (awaitLeaders) {
          KafkaTopics.createAndAwaitLeaders(bootstrap, topic, 6, java.time.Duration.ofMinutes(1));
        }
        List<CompletableFuture<?>> sends = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
          List<Event> batch = new ArrayList<>();
          for (int i = 0; i < 100; i++) {
            batch.add(RelaybusSession.event(payload, System.nanoTime()));
          }
          sends.add(bus.publishAll(topic, batch));
        }
        int failed = 0;
        String reason = "";
        for (CompletableFuture<?> f : sends) {
          try {
            f.get(60, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            failed++;
            reason = e.getCause().toString();
          } catch (Exception e) {
            failed++;
            reason = e.toString();
          }
        }
        if (failed > 0) {
          failedTopics++;
          failedEvents += failed * 100L;
        }
        System.out.printf("topic %d: %d of %d publishAll(100) failed %s%n", t + 1, failed,
            batches, reason);
      }
    }
    System.out.printf("%d of %d fresh topics had failed publishes (%d events), await-leaders=%s%n",
        failedTopics, topics, failedEvents, awaitLeaders);
    System.exit(0);
  }
}
