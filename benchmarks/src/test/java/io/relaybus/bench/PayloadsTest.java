package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PayloadsTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void variedDocumentsAreDistinctOrdersOfTheFixedSize() throws Exception {
    byte[][] docs = Payloads.varied(Payloads.SIZE, 500);

    Set<ByteBuffer> distinct = new HashSet<>();
    Set<String> orderIds = new HashSet<>();
    for (byte[] doc : docs) {
      assertThat(doc).hasSize(Payloads.SIZE);
      JsonNode order = json.readTree(doc);
      assertThat(order.fieldNames()).toIterable().containsExactly("orderId", "customerId", "sku",
          "quantity", "amount", "currency", "placedAt", "note");
      orderIds.add(order.get("orderId").asText());
      distinct.add(ByteBuffer.wrap(doc));
    }
    assertThat(distinct).hasSize(500);
    assertThat(orderIds).hasSize(500);
    // seeded: the same documents in every run
    assertThat(Payloads.varied(Payloads.SIZE, 500)).isDeepEqualTo(docs);
  }

  @Test
  void benchSettingChoosesFixedOrVariedAndNamesABadValue() {
    byte[] fixed = Payloads.json(Payloads.SIZE);
    assertThat(PostgresTarget.payloads(Map.of(), fixed)).isDeepEqualTo(new byte[][] {fixed});
    assertThat(PostgresTarget.payloads(Map.of(PostgresTarget.PAYLOAD_KEY, "varied"), fixed).length)
        .isEqualTo(PostgresTarget.VARIED_PAYLOADS);
    assertThatThrownBy(() -> PostgresTarget.payloads(
        Map.of(PostgresTarget.PAYLOAD_KEY, "random"), fixed))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(PostgresTarget.PAYLOAD_KEY).hasMessageContaining("'random'");
  }
}
