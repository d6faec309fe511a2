package io.relaybus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Kafka consume throughput from a pre-filled topic, Relaybus and raw {@link KafkaConsumer}s
 * reading <b>the same records</b>, so consumption is measured without the producer running
 * beside it on the 2 cores.
 *
 * <p>The topic ({@code --partitions}, default 6) is filled once with {@code --events} events
 * published through a Relaybus bus with the schema id on (the records the transport writes:
 * framed JSON value, {@code ce_*} headers). Then, {@code --iterations} times, alternating which
 * side goes first, a fresh consumer group of {@code --members} reads the whole topic from the
 * beginning: Relaybus through {@code bus.subscribe} (each member its own subscription, the
 * handler counts), raw through {@code KafkaConsumer}s on their own threads with
 * {@code enable.auto.commit=false} and {@code commitAsync()} after each poll's records are
 * handled. The rate is events/s from the first event handled to the last, so the group join
 * (the same for both) is not part of it.
 *
 * <pre>
 * java -cp benchmarks/target/relaybus-benchmarks.jar io.relaybus.bench.KafkaConsumeBenchmark \
 *     --events 200000 --iterations 5 --members 1
 * </pre>
 *
 * <p>With {@code --raw-envelope true} a third side runs in the same rotation: raw consumers
 * that, per record, do what a hand-written CloudEvents consumer does before its handler — read
 * the {@code ce_id}, {@code ce_source}, {@code ce_type}, {@code ce_time} (parsed) and
 * {@code content-type} headers and the key into strings, strip the 5-byte schema frame off the
 * value into the data bytes, and pass the resulting object to the handler — so that the cost
 * of the envelope is told apart from the library's own.
 *
 * <p>Options: {@code --events N}, {@code --iterations N}, {@code --members N},
 * {@code --concurrency N}, {@code --max-in-flight N}, {@code --partitions N},
 * {@code --timeout SECONDS}, {@code --json PATH}, {@code --thread-cpu true},
 * {@code --raw-envelope true}, {@code --set relaybus.KEY=VALUE} (bus settings, as in the
 * harness).
 */
public final class KafkaConsumeBenchmark {
  private static final List<String> OPTIONS = List.of("--events", "--iterations", "--members",
      "--concurrency", "--max-in-flight", "--partitions", "--timeout", "--json", "--thread-cpu",
      "--raw-envelope");

  private static final String RELAYBUS = "relaybus";
  private static final String RAW = "raw";
  private static final String RAW_ENVELOPE = "raw-envelope";

  private KafkaConsumeBenchmark() {}

  /**
   * Runs the measurement and prints a Markdown table.
   *
   * @param args the options listed in the class comment
   * @throws IOException when the JSON report cannot be written
   */
  public static void main(String[] args) throws IOException {
    Map<String, String> opts = new LinkedHashMap<>();
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(name + " needs a value");
      }
      String value = args[++i];
      if (name.equals("--set")) {
        int eq = value.indexOf('=');
        if (eq < 1) {
          throw new IllegalArgumentException("--set needs KEY=VALUE, got '" + value + "'");
        }
        settings.put(value.substring(0, eq), value.substring(eq + 1));
      } else if (OPTIONS.contains(name)) {
        opts.put(name, value);
      } else {
        throw new IllegalArgumentException("Unknown option " + name + "; options: "
            + String.join(", ", OPTIONS) + ", --set");
      }
    }
    int events = Integer.parseInt(opts.getOrDefault("--events", "200000"));
    int iterations = Integer.parseInt(opts.getOrDefault("--iterations", "5"));
    int members = Integer.parseInt(opts.getOrDefault("--members", "1"));
    int concurrency = Integer.parseInt(opts.getOrDefault("--concurrency", "1"));
    int maxInFlight = Integer.parseInt(opts.getOrDefault("--max-in-flight",
        Integer.toString(Math.max(64, concurrency))));
    int partitions = Integer.parseInt(opts.getOrDefault("--partitions", "6"));
    Duration timeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("--timeout", "300")));
    boolean rawEnvelope = Boolean.parseBoolean(opts.getOrDefault("--raw-envelope", "false"));
    List<String> sides = rawEnvelope ? List.of(RELAYBUS, RAW, RAW_ENVELOPE)
        : List.of(RELAYBUS, RAW);
    double loadAtStart = loadAverage();

    KafkaTarget target = new KafkaTarget();
    String topic = "bench-consume-" + System.currentTimeMillis();
    settings.putIfAbsent("relaybus.kafka.partitions", Integer.toString(partitions));
    SessionSpec spec = new SessionSpec(topic, Payloads.json(Payloads.SIZE), 100, timeout,
        settings);
    String bootstrap = target.bootstrapServers();
    KafkaTopics.createAndAwaitLeaders(bootstrap, topic, partitions, timeout);
    long fillStart = System.nanoTime();
    try (EventBus bus = target.createBus(settings)) {
      List<CompletableFuture<?>> sends = new ArrayList<>();
      for (int sent = 0; sent < events; sent += 100) {
        List<Event> batch = new ArrayList<>();
        for (int i = 0; i < Math.min(100, events - sent); i++) {
          batch.add(RelaybusSession.event(spec.payload(), System.nanoTime()));
        }
        sends.add(bus.publishAll(topic, batch));
        if (sends.size() == 100) {
          CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0]))
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          sends.clear();
        }
      }
      CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0]))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new BenchmarkException("Cannot fill " + topic + ": " + e, e);
    }
    log("filled %s with %,d events (%d partitions) in %.1f s", topic, events, partitions,
        (System.nanoTime() - fillStart) / 1e9);

    Map<String, List<Double>> rates = new LinkedHashMap<>();
    Map<String, List<Double>> cpuHere = new LinkedHashMap<>();
    Map<String, List<Double>> cpuBroker = new LinkedHashMap<>();
    for (String side : sides) {
      rates.put(side, new ArrayList<>());
      cpuHere.put(side, new ArrayList<>());
      cpuBroker.put(side, new ArrayList<>());
    }
    for (int i = 0; i <= iterations; i++) { // run 0 is the warm-up
      for (int k = 0; k < sides.size(); k++) {
        String side = sides.get((i + k) % sides.size()); // the first side rotates
        String group = side + "-" + i;
        CpuMeter cpu = CpuMeter.start();
        double rate = side.equals(RELAYBUS)
            ? consumeRelaybus(target, settings, topic, group, events, members, concurrency,
                maxInFlight, timeout, cpu)
            : consumeRaw(bootstrap, topic, group, events, members, timeout, cpu,
                side.equals(RAW_ENVELOPE));
        double ownMicros = cpu.ownNanos() / 1e3 / events;
        double brokerMicros = cpu.childrenNanos() / 1e3 / events;
        log("%s%s consume (%d/%d): %,.0f events/s; CPU per event: %.2f µs here, %.2f µs broker",
            i == 0 ? "warm-up " : "", side, i, iterations, rate, ownMicros, brokerMicros);
        if (opts.containsKey("--thread-cpu")) {
          StringBuilder top = new StringBuilder();
          Map<String, Long> allocated = cpu.allocatedAtEnd();
          cpu.threadsAtEnd().entrySet().stream().limit(8).forEach(e -> top.append(String.format(
              "%n    %.2f µs/event %,6d bytes/event %s", e.getValue() / 1e3 / events,
              allocated.getOrDefault(e.getKey(), 0L) / events, e.getKey())));
          log("  threads:%s", top);
        }
        if (i > 0) {
          rates.get(side).add(rate);
          cpuHere.get(side).add(ownMicros);
          cpuBroker.get(side).add(brokerMicros);
        }
      }
    }
    List<Double> relaybus = rates.get(RELAYBUS);
    List<Double> raw = rates.get(RAW);
    List<Double> relaybusCpu = cpuHere.get(RELAYBUS);
    List<Double> rawCpu = cpuHere.get(RAW);
    List<Double> relaybusBrokerCpu = cpuBroker.get(RELAYBUS);
    List<Double> rawBrokerCpu = cpuBroker.get(RAW);
    double r = median(relaybus);
    double b = median(raw);
    System.out.printf("| consume from a pre-filled topic, %d member(s) x %d (events/s) | %,.0f "
        + "| %,.0f | %.2f |%n", members, concurrency, r, b, r / b);
    System.out.printf("| CPU per event, benchmark JVM / broker (µs) | %.2f / %.2f | %.2f / %.2f "
        + "| %.2f |%n", median(relaybusCpu), median(relaybusBrokerCpu), median(rawCpu),
        median(rawBrokerCpu), median(rawCpu) / median(relaybusCpu));
    if (rawEnvelope) {
      double e = median(rates.get(RAW_ENVELOPE));
      System.out.printf("| the same, raw consumer decoding the CloudEvents envelope (events/s) "
          + "| %,.0f | %,.0f | %.2f |%n", r, e, r / e);
      System.out.printf("| CPU per event, benchmark JVM / broker, raw decoding the envelope (µs) "
          + "| %.2f / %.2f | %.2f / %.2f | %.2f |%n", median(relaybusCpu),
          median(relaybusBrokerCpu), median(cpuHere.get(RAW_ENVELOPE)),
          median(cpuBroker.get(RAW_ENVELOPE)),
          median(cpuHere.get(RAW_ENVELOPE)) / median(relaybusCpu));
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("benchmark", "kafka consume from a pre-filled topic");
    json.put("timestamp", Instant.now().toString());
    json.put("loadAverageAtStart", loadAtStart);
    json.put("loadAverageAtEnd", loadAverage());
    json.put("events", events);
    json.put("partitions", partitions);
    json.put("members", members);
    json.put("concurrency", concurrency);
    json.put("maxInFlight", maxInFlight);
    json.put("settings", settings);
    json.put("relaybusSamples", relaybus);
    json.put("rawSamples", raw);
    json.put("relaybusMedian", r);
    json.put("rawMedian", b);
    json.put("ratio", r / b);
    json.put("relaybusCpuMicrosPerEvent", relaybusCpu);
    json.put("rawCpuMicrosPerEvent", rawCpu);
    json.put("relaybusBrokerCpuMicrosPerEvent", relaybusBrokerCpu);
    json.put("rawBrokerCpuMicrosPerEvent", rawBrokerCpu);
    if (rawEnvelope) {
      json.put("rawEnvelopeSamples", rates.get(RAW_ENVELOPE));
      json.put("rawEnvelopeMedian", median(rates.get(RAW_ENVELOPE)));
      json.put("ratioToRawEnvelope", r / median(rates.get(RAW_ENVELOPE)));
      json.put("rawEnvelopeCpuMicrosPerEvent", cpuHere.get(RAW_ENVELOPE));
      json.put("rawEnvelopeBrokerCpuMicrosPerEvent", cpuBroker.get(RAW_ENVELOPE));
    }
    if (opts.containsKey("--json")) {
      Path path = Path.of(opts.get("--json"));
      Files.createDirectories(path.toAbsolutePath().getParent());
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(path.toFile(), json);
    }
    System.exit(0); // the embedded broker's shutdown hook stops it
  }

  private static double consumeRelaybus(KafkaTarget target, Map<String, String> settings,
      String topic, String group, int events, int members, int concurrency, int maxInFlight,
      Duration timeout, CpuMeter cpu) {
    Rate rate = new Rate(events);
    SubscribeOptions options = SubscribeOptions.builder().group(group).concurrency(concurrency)
        .maxInFlight(maxInFlight).build();
    List<Subscription> subscriptions = new ArrayList<>();
    try (EventBus bus = target.createBus(settings)) {
      for (int m = 0; m < members; m++) {
        subscriptions.add(bus.subscribe(topic, options, delivery -> rate.handled()));
      }
      double result = rate.await(timeout, "relaybus consume");
      cpu.markThreadsAtEnd(); // before the member's threads end
      for (Subscription s : subscriptions) {
        s.close();
      }
      return result;
    }
  }

  private static double consumeRaw(String bootstrap, String topic, String group, int events,
      int members, Duration timeout, CpuMeter cpu, boolean decodeEnvelope) {
    Rate rate = new Rate(events);
    List<KafkaConsumer<byte[], byte[]>> consumers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int m = 0; m < members; m++) {
      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c,
          new ByteArrayDeserializer(), new ByteArrayDeserializer());
      consumers.add(consumer);
      Thread t = new Thread(() -> {
        try (consumer) {
          consumer.subscribe(List.of(topic));
          while (true) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
            if (records.isEmpty()) {
              continue;
            }
            for (var record : records) {
              if (decodeEnvelope) {
                Received event = Received.of(record);
                if (event.data.length == 0) {
                  throw new IllegalStateException("no data in " + record);
                }
              }
              rate.handled();
            }
            consumer.commitAsync();
          }
        } catch (WakeupException e) {
          // closed
        }
      }, "raw-kafka-consume-" + m);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    try {
      double result = rate.await(timeout, "raw consume");
      cpu.markThreadsAtEnd();
      return result;
    } finally {
      consumers.forEach(KafkaConsumer::wakeup);
      for (Thread t : threads) {
        try {
          t.join(timeout.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /**
   * What a hand-written CloudEvents (Kafka binary mode) consumer builds from a record for its
   * handler: the envelope's attributes as strings, the time parsed, the key, and the data
   * without the schema registry's 5-byte frame.
   */
  static final class Received {
    final String id;
    final String source;
    final String type;
    final Instant time;
    final String contentType;
    final String key;
    final byte[] data;

    private Received(String id, String source, String type, Instant time, String contentType,
        String key, byte[] data) {
      this.id = id;
      this.source = source;
      this.type = type;
      this.time = time;
      this.contentType = contentType;
      this.key = key;
      this.data = data;
    }

    static Received of(ConsumerRecord<byte[], byte[]> record) {
      Headers h = record.headers();
      byte[] value = record.value();
      return new Received(text(h, "ce_id"), text(h, "ce_source"), text(h, "ce_type"),
          Instant.parse(text(h, "ce_time")), text(h, "content-type"),
          record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
          value.length > 5 && value[0] == 0 ? Arrays.copyOfRange(value, 5, value.length)
              : value);
    }

    private static String text(Headers headers, String name) {
      Header h = headers.lastHeader(name);
      return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
  }

  /** Events/s from the first handled event to the last. */
  private static final class Rate {
    private final Completion completion;
    private final AtomicLong first = new AtomicLong();
    private final int events;

    Rate(int events) {
      this.events = events;
      this.completion = new Completion(events);
    }

    void handled() {
      if (first.get() == 0) {
        first.compareAndSet(0, System.nanoTime());
      }
      completion.handled();
    }

    double await(Duration timeout, String what) {
      long end = completion.await(timeout, what);
      return (events - 1) * 1e9 / Math.max(1, end - first.get());
    }
  }

  private static double median(List<Double> xs) {
    List<Double> sorted = new ArrayList<>(xs);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static double loadAverage() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        .getSystemLoadAverage();
  }

  private static void log(String format, Object... args) {
    System.err.println("[kafka-consume] " + String.format(format, args));
  }
}
