package io.relaybus.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Random;
import java.util.UUID;

/**
 * The event data both sides carry: one JSON document of a fixed size, encoded once, or
 * ({@link #varied}) a set of different documents of that size.
 */
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

  /**
   * Different orders, each encoded as JSON of exactly {@code size} bytes (when {@code size}
   * leaves room for the fields): other ids, customers, SKUs, amounts and times, and a note of
   * random words. Events of a batch then differ as real ones do, instead of repeating one
   * document (which a store that compresses several events together shrinks unrealistically).
   * Seeded, so every run uses the same documents.
   *
   * @param size the wanted number of bytes of each document
   * @param count how many documents
   * @return the UTF-8 JSON documents
   */
  static byte[][] varied(int size, int count) {
    ObjectMapper mapper = new ObjectMapper();
    Random random = new Random(42);
    byte[][] out = new byte[count][];
    try {
      for (int i = 0; i < count; i++) {
        OrderPlaced unpadded = order(random, "");
        int room = Math.max(0, size - mapper.writeValueAsBytes(unpadded).length);
        StringBuilder note = new StringBuilder(room);
        while (note.length() < room) {
          if (note.length() > 0) {
            note.append(' ');
          }
          int letters = 2 + random.nextInt(8);
          for (int k = 0; k < letters; k++) {
            note.append((char) ('a' + random.nextInt(26)));
          }
        }
        note.setLength(room);
        out[i] = mapper.writeValueAsBytes(withNote(unpadded, note.toString()));
      }
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot encode the benchmark payloads", e);
    }
    return out;
  }

  private static OrderPlaced order(Random random, String note) {
    return new OrderPlaced(new UUID(random.nextLong(), random.nextLong()).toString(),
        "customer-" + (10_000 + random.nextInt(90_000)), "SKU-" + (1_000 + random.nextInt(9_000)),
        1 + random.nextInt(9), (1 + random.nextInt(999)) + "." + (10 + random.nextInt(90)),
        random.nextBoolean() ? "EUR" : "USD",
        Instant.ofEpochSecond(1_735_689_600L + random.nextInt(31_536_000),
            random.nextInt(1_000_000) * 1000L).toString(), note);
  }

  /** The same order with another note (so that padding does not change its fields). */
  private static OrderPlaced withNote(OrderPlaced o, String note) {
    return new OrderPlaced(o.orderId(), o.customerId(), o.sku(), o.quantity(), o.amount(),
        o.currency(), o.placedAt(), note);
  }

  private static OrderPlaced order(String note) {
    return new OrderPlaced("0193a7c2-5d1e-7c4b-9f3a-2b8e6d4c1a90", "customer-48213",
        "SKU-7731", 3, "149.97", "EUR", "2025-01-15T10:23:45.123456Z", note);
  }
}
