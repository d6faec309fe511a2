package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.schema.Schema;
import io.relaybus.kafka.schema.testing.ApicurioRegistry;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.kafka.testing.TcpProxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The consumer cannot reach the schema registry (a real Apicurio Registry behind a proxy that
 * refuses connections): records wait in their partition, nothing is dead-lettered, and
 * delivery resumes by itself when the registry is back.
 */
class KafkaRegistryOutageTest {

  private static EventBus bus(String registryUrl, String validateKey) {
    Map<String, String> config = new HashMap<>(Map.of(
        "relaybus.kafka.schema-registry.url", registryUrl,
        validateKey, "true",
        "relaybus.kafka.partitions", "1"));
    return EventBus.create(KafkaBroker.shared().busConfig(config));
  }

  @Test
  void consumerWaitsWhileTheRegistryIsUnreachableAndResumesWithoutDeadLetters() {
    ApicurioRegistry registry = ApicurioRegistry.shared();
    URI direct = URI.create(registry.ccompatUrl());
    String topic = "regdown-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    String group = topic + "-g";
    List<String> handled = new CopyOnWriteArrayList<>();
    try (TcpProxy proxy = TcpProxy.start(direct.getPort());
        EventBus producer = bus(direct.toString(),
            "relaybus.kafka.schema.validate-on-produce");
        EventBus consumer = bus("http://127.0.0.1:" + proxy.port() + direct.getPath(),
            "relaybus.kafka.schema.validate-on-consume")) {
      producer.unwrap(KafkaTransport.class).useSchema(topic, Schema.json(
          "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
              + "\"required\":[\"n\"]}"));
      proxy.refuse(true);
      consumer.subscribe(topic, SubscribeOptions.group(group),
          d -> handled.add(d.event().dataAsText()));
      producer.publish(topic, Event.builder().source("urn:test").type("t")
          .data("{\"n\":1}".getBytes(StandardCharsets.UTF_8)).build()).join();

      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(handled).as("handled without a schema").isEmpty();
        assertThat(consumer.deadLetters().count(topic, group)).as("dead letters").isZero();
      });

      proxy.refuse(false);
      await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == 1);
      assertThat(handled).containsExactly("{\"n\":1}");
      assertThat(consumer.deadLetters().count(topic, group)).isZero();
    }
  }
}
