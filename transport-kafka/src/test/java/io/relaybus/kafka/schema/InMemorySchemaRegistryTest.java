package io.relaybus.kafka.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemorySchemaRegistryTest extends SchemaRegistryContract {

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();

  @Override
  protected SchemaRegistry registry() {
    return registry;
  }

  @Test
  void idsAreGlobalAndStartAtOne() {
    assertThat(registry.register("a-value", TestSchemas.ORDER_V1)).isEqualTo(1);
    assertThat(registry.register("b-value", TestSchemas.UNRELATED)).isEqualTo(2);
    assertThat(registry.register("c-value", TestSchemas.ORDER_V1)).isEqualTo(1);
  }

  @Test
  void defaultGlobalLevelIsBackwardLikeConfluent() {
    assertThat(registry.compatibility()).isEqualTo(CompatibilityLevel.BACKWARD);
    assertThat(registry.compatibility("any-value")).isEqualTo(CompatibilityLevel.BACKWARD);
  }

  @Test
  void avroAndProtobufTextIsCarriedThroughUntouched() {
    Schema avro = new Schema(SchemaType.AVRO, "{\"type\":\"record\",\"name\":\"A\",\"fields\":[]}");
    int id = registry.register("avro-value", avro);
    assertThat(registry.schemaById(id)).isEqualTo(avro);
  }

  @Test
  void concurrentRegistrationsOfOneSchemaGetOneIdAndOneVersion() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          start.await();
          return registry.register("race-value", TestSchemas.ORDER_V1);
        }));
      }
      start.countDown();
      Set<Integer> ids = ConcurrentHashMap.newKeySet();
      for (Future<Integer> result : results) {
        ids.add(result.get(30, TimeUnit.SECONDS));
      }
      assertThat(ids).hasSize(1);
      assertThat(registry.versions("race-value")).containsExactly(1);
    } finally {
      pool.shutdownNow();
    }
  }
}
