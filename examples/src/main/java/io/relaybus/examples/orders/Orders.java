package io.relaybus.examples.orders;

import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.examples.Console;
import io.relaybus.examples.KafkaServer;
import io.relaybus.kafka.KafkaTransport;
import io.relaybus.kafka.KafkaTransportProvider;
import io.relaybus.kafka.schema.InMemorySchemaRegistry;
import io.relaybus.kafka.schema.IncompatibleSchemaException;
import io.relaybus.kafka.schema.InvalidPayloadException;
import io.relaybus.kafka.schema.RegisteredSchema;
import io.relaybus.kafka.schema.Schema;
import io.relaybus.kafka.schema.SchemaRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The seed write-up's second scenario on Kafka: {@code order-created} JSON events with a
 * registered JSON Schema and schema ids in the Confluent wire format; two groups ({@code billing}
 * and {@code shipping}); a compatible schema change (v2 adds an optional property) goes through,
 * an incompatible one (v3 makes a required property optional) is refused with a message naming
 * the subject, an invalid payload is refused before anything is sent; partitions by customer
 * key, with each customer's orders handled in order.
 *
 * <pre>
 * java -cp examples/target/relaybus-examples.jar io.relaybus.examples.orders.Orders
 * </pre>
 *
 * <p>Uses {@code RELAYBUS_KAFKA_BOOTSTRAP_SERVERS} when set, else an embedded broker; the
 * schema registry is {@code RELAYBUS_KAFKA_SCHEMA_REGISTRY_URL} (any Confluent-compatible
 * registry, e.g. Apicurio's {@code /apis/ccompat/v7}) when set, else an in-memory registry with
 * the same rules. Exits 0 when the outcome is the expected one.
 */
public final class Orders {
  /** The topic. */
  public static final String TOPIC = "order-created";
  /** The environment variable naming a schema registry. */
  public static final String REGISTRY_ENV = "RELAYBUS_KAFKA_SCHEMA_REGISTRY_URL";
  private static final int CUSTOMERS = 6;
  private static final int V1_ORDERS = 48;
  private static final int V2_ORDERS = 12;
  private static final Duration PATIENCE = Duration.ofSeconds(90);

  /** v1: every order names its customer and amount; closed, so v2 may add a property. */
  static final String V1 = """
      {"$schema": "http://json-schema.org/draft-07/schema#",
       "title": "OrderCreated", "type": "object",
       "properties": {
         "orderId": {"type": "string"},
         "customerId": {"type": "string"},
         "sequence": {"type": "integer"},
         "amountCents": {"type": "integer", "minimum": 0}},
       "required": ["orderId", "customerId", "sequence", "amountCents"],
       "additionalProperties": false}""";
  /** v2: adds an optional currency — BACKWARD compatible. */
  static final String V2 = """
      {"$schema": "http://json-schema.org/draft-07/schema#",
       "title": "OrderCreated", "type": "object",
       "properties": {
         "orderId": {"type": "string"},
         "customerId": {"type": "string"},
         "sequence": {"type": "integer"},
         "amountCents": {"type": "integer", "minimum": 0},
         "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}},
       "required": ["orderId", "customerId", "sequence", "amountCents"],
       "additionalProperties": false}""";
  /** v3: customerId no longer required — refused, required stays required. */
  static final String V3 = """
      {"$schema": "http://json-schema.org/draft-07/schema#",
       "title": "OrderCreated", "type": "object",
       "properties": {
         "orderId": {"type": "string"},
         "customerId": {"type": "string"},
         "sequence": {"type": "integer"},
         "amountCents": {"type": "integer", "minimum": 0},
         "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}},
       "required": ["orderId", "sequence", "amountCents"],
       "additionalProperties": false}""";

  private Orders() {}

  /**
   * An order as published. {@code currency} is null in v1 orders (and then left out).
   *
   * @param orderId the order
   * @param customerId the customer, also the event key
   * @param sequence the order's number for its customer, from 1
   * @param amountCents the amount
   * @param currency ISO currency code, from schema v2 on
   */
  @com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record OrderCreated(String orderId, String customerId, int sequence, long amountCents,
      String currency) {}

  /**
   * What happened.
   *
   * @param perGroup events handled per group
   * @param outOfOrder per group, orders handled after a later order of the same customer
   * @param partitionsByCustomer the partitions each customer's orders were read from
   * @param versions the registered versions of the subject, with their ids
   * @param incompatibleRefusal the message of the refused v3 publish, or null when it was not
   *     refused
   * @param invalidRefusal the message of the refused invalid payload, or null
   */
  public record Outcome(Map<String, Integer> perGroup, Map<String, Integer> outOfOrder,
      Map<String, List<Integer>> partitionsByCustomer, List<RegisteredSchema> versions,
      String incompatibleRefusal, String invalidRefusal) {

    /**
     * Whether the run shows what it should.
     *
     * @return true when both groups got every order once, in order per customer, each customer
     *     stayed on one partition, v1 and v2 are registered and both refusals happened
     */
    public boolean asExpected() {
      int total = V1_ORDERS + V2_ORDERS;
      return perGroup.getOrDefault("billing", 0) == total
          && perGroup.getOrDefault("shipping", 0) == total
          && outOfOrder.values().stream().allMatch(n -> n == 0)
          && partitionsByCustomer.size() == CUSTOMERS
          && partitionsByCustomer.values().stream().allMatch(p -> p.size() == 1)
          && versions.size() == 2
          && incompatibleRefusal != null && incompatibleRefusal.contains("-value")
          && invalidRefusal != null;
    }
  }

  /**
   * Runs the example on the configured or an embedded broker.
   *
   * @param args ignored
   * @throws Exception when the example cannot run
   */
  public static void main(String[] args) throws Exception {
    Console console = new Console(System.out, "orders");
    boolean ok;
    try (KafkaServer kafka = KafkaServer.startOrConnect(console)) {
      ok = run(kafka, console).asExpected();
    }
    System.exit(ok ? 0 : 1);
  }

  /**
   * Runs the scenario and prints its progress and report.
   *
   * @param kafka the broker
   * @param console where progress goes
   * @return what happened
   * @throws InterruptedException when interrupted while waiting
   */
  public static Outcome run(KafkaServer kafka, Console console) throws InterruptedException {
    // A fresh embedded broker has no earlier runs' orders; on a shared broker, a topic per run.
    String topic = kafka.isEmbedded() ? TOPIC : TOPIC + ".run-" + System.currentTimeMillis();
    Map<String, String> config = new TreeMap<>(kafka.busConfig());
    config.put("relaybus.kafka.partitions", "6");
    config.put("relaybus.kafka.schema.validate-on-produce", "true");
    config.put("relaybus.kafka.schema.validate-on-consume", "true");
    config.put("relaybus.kafka.schema.compatibility", "backward");
    EventBus.Builder builder = EventBus.builder().properties(config);
    String registryUrl = System.getenv(REGISTRY_ENV);
    if (registryUrl != null && !registryUrl.isBlank()) {
      builder.property("relaybus.kafka.schema-registry.url", registryUrl.trim());
      console.step("schema registry of %s: %s", REGISTRY_ENV, registryUrl.trim());
    } else {
      builder.provider(KafkaTransportProvider.withSchemaRegistry(new InMemorySchemaRegistry()));
      console.step("no %s set: using the in-memory schema registry (same rules as a "
          + "Confluent-compatible one)", REGISTRY_ENV);
    }
    Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
    Map<String, Map<String, Integer>> lastSequence = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> outOfOrder = new ConcurrentHashMap<>();
    Map<String, List<Integer>> partitions = new ConcurrentHashMap<>();
    try (EventBus bus = builder.build()) {
      KafkaTransport transport = bus.unwrap(KafkaTransport.class);
      SchemaRegistry registry = transport.schemaRegistry().orElseThrow();
      String subject = topic + "-value";
      List<Subscription> subscriptions = new ArrayList<>();
      for (String group : List.of("billing", "shipping")) {
        handled.put(group, new AtomicInteger());
        outOfOrder.put(group, new AtomicInteger());
        lastSequence.put(group, new ConcurrentHashMap<>());
        subscriptions.add(bus.subscribe(topic, SubscribeOptions.group(group),
            d -> handle(group, d, handled, lastSequence, outOfOrder, partitions)));
      }
      console.step("topic %s (%s partitions), groups billing and shipping subscribed",
          topic, transport.partitionCount(topic));

      transport.useSchema(topic, Schema.json(V1));
      publish(bus, topic, 0, V1_ORDERS, null);
      RegisteredSchema v1 = registry.latest(subject);
      console.step("published %d orders with schema v1: subject %s version %d, schema id %d in "
          + "every record's first 5 bytes", V1_ORDERS, subject, v1.version(), v1.id());

      transport.useSchema(topic, Schema.json(V2));
      publish(bus, topic, V1_ORDERS, V2_ORDERS, "EUR");
      RegisteredSchema v2 = registry.latest(subject);
      console.step("schema v2 adds an optional currency: BACKWARD compatible, registered as "
          + "version %d, id %d; published %d more orders", v2.version(), v2.id(), V2_ORDERS);

      transport.useSchema(topic, Schema.json(V3));
      String incompatible = refusal(() -> publish(bus, topic, 999, 1, "EUR"),
          IncompatibleSchemaException.class);
      console.step("schema v3 makes customerId optional: %s", incompatible == null
          ? "NOT refused (wrong)" : "refused — " + incompatible.replace('\n', ' '));
      transport.useSchema(topic, Schema.json(V2));

      String invalid = refusal(() -> bus.publish(topic, Event.builder().source("/shop")
          .type("order.created").key("customer-1")
          .data("{\"orderId\":\"bad\",\"customerId\":\"customer-1\",\"sequence\":1}"
              .getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .dataContentType("application/json").build()).join(),
          InvalidPayloadException.class);
      console.step("an order without amountCents: %s", invalid == null ? "NOT refused (wrong)"
          : "refused before sending — " + invalid.replace('\n', ' '));

      awaitHandled(handled, V1_ORDERS + V2_ORDERS);
      subscriptions.forEach(Subscription::close);
      List<RegisteredSchema> versions = new ArrayList<>();
      for (int v : registry.versions(subject)) {
        versions.add(registry.version(subject, v));
      }
      Map<String, Integer> perGroup = new TreeMap<>();
      handled.forEach((g, n) -> perGroup.put(g, n.get()));
      Map<String, Integer> disorder = new TreeMap<>();
      outOfOrder.forEach((g, n) -> disorder.put(g, n.get()));
      Outcome outcome = new Outcome(perGroup, disorder, new TreeMap<>(partitions), versions,
          incompatible, invalid);
      report(console, outcome);
      return outcome;
    }
  }

  private static void handle(String group, Delivery d, Map<String, AtomicInteger> handled,
      Map<String, Map<String, Integer>> lastSequence, Map<String, AtomicInteger> outOfOrder,
      Map<String, List<Integer>> partitions) {
    OrderCreated order = d.data(OrderCreated.class);
    Integer previous = lastSequence.get(group).put(order.customerId(), order.sequence());
    if (previous != null && previous >= order.sequence()) {
      outOfOrder.get(group).incrementAndGet();
    }
    int partition = Integer.parseInt(d.metadata().getOrDefault("kafka.partition", "-1"));
    partitions.compute(order.customerId(), (c, list) -> {
      List<Integer> l = list == null ? new ArrayList<>() : list;
      if (!l.contains(partition)) {
        l.add(partition);
      }
      return l;
    });
    handled.get(group).incrementAndGet();
  }

  private static void publish(EventBus bus, String topic, int first, int count,
      String currency) {
    List<Event> batch = new ArrayList<>();
    for (int i = first; i < first + count; i++) {
      String customer = "customer-" + (i % CUSTOMERS + 1);
      batch.add(Event.builder().source("/shop").type("order.created").key(customer)
          .json(new OrderCreated("order-" + (i + 1), customer, i / CUSTOMERS + 1,
              1000L + 25L * i, currency))
          .build());
    }
    bus.publishAll(topic, batch).join();
  }

  /** Runs {@code action}; returns the message of the expected refusal, null if none came. */
  private static String refusal(Runnable action, Class<? extends Exception> expected) {
    try {
      action.run();
      return null;
    } catch (RuntimeException e) {
      Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      while (t != null && !expected.isInstance(t)) {
        t = t.getCause();
      }
      if (t == null) {
        throw e;
      }
      return t.getMessage();
    }
  }

  private static void awaitHandled(Map<String, AtomicInteger> handled, int total)
      throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (handled.values().stream().anyMatch(n -> n.get() < total)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Not every order was handled within " + PATIENCE
            + ": " + handled);
      }
      Thread.sleep(50);
    }
    Thread.sleep(500); // anything beyond the total would be a duplicate: give it a moment
  }

  private static void report(Console console, Outcome o) {
    console.step("handled per group %s, out of order %s", o.perGroup(), o.outOfOrder());
    console.step("partition per customer (key): %s", o.partitionsByCustomer());
    for (RegisteredSchema s : o.versions()) {
      console.step("registered: %s version %d id %d", s.subject(), s.version(), s.id());
    }
    console.step(o.asExpected() ? "OK: every order once per group, in order per customer; v2 "
        + "accepted, v3 and the invalid order refused" : "UNEXPECTED outcome (see above)");
  }
}
