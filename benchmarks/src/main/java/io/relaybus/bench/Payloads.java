package io.relaybus.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The event data both sides carry: one JSON document of a fixed size, encoded once. */
final class Payloads {
  /** Bytes of JSON per event. */
  static final int SIZE = 200;

  private Payloads() {}

  /** A realistic small business event. */
  record OrderPlaced(String orderId, String customerId, String sku, int quantity, String amount,
      String currency, String placedAt, String note) {}

  /**
   * Encodes an order as JSON, padding its note so that the document is {@code size} bytes (or
   * as small as it gets when {@code size} is below the unpadded length).
   *
   * @param size the wanted number of bytes
   * @return the UTF-8 JSON
   */
  static byte[] json(int size) {
    ObjectMapper mapper = new ObjectMapper();
    try {
      int unpadded = mapper.writeValueAsBytes(order("")).length;
      return mapper.writeValueAsBytes(order("x".repeat(Math.max(0, size - unpadded))));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot encode the benchmark payload", e);
    }
  }

  private static OrderPlaced order(String note) {
    return new OrderPlaced("0193a7c2-5d1e-7c4b-9f3a-2b8e6d4c1a90", "customer-48213",
        "SKU-7731", 3, "149.97", "EUR", "2025-01-15T10:23:45.123456Z", note);
  }
}
