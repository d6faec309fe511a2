package io.relaybus.postgres;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Maps a key to a partition exactly as the SQL function {@code partition_of} does: the first four
 * bytes of the key's MD5 as a signed big-endian int, floor-modulo the partition count. MD5 is
 * used for stability across PostgreSQL and Java versions, not for security.
 */
final class Partitioner {
  private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is required by the Java platform", e);
    }
  });

  private Partitioner() {}

  static int partition(String key, int partitions) {
    if (key == null) {
      return ThreadLocalRandom.current().nextInt(partitions);
    }
    byte[] d = MD5.get().digest(key.getBytes(StandardCharsets.UTF_8));
    int h = ((d[0] & 0xff) << 24) | ((d[1] & 0xff) << 16) | ((d[2] & 0xff) << 8) | (d[3] & 0xff);
    return Math.floorMod(h, partitions);
  }
}
