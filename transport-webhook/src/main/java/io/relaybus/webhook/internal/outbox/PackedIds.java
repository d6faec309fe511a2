package io.relaybus.webhook.internal.outbox;

import java.util.Collection;

/**
 * The ids of deliveries in route packs (ADR 0020): negative, so that they never meet a delivery
 * row's id, and made of the route pack's id and the event's position in its pack. Every layer
 * above the outbox treats a delivery id as opaque; only the {@link JdbcOutbox} takes them apart.
 */
final class PackedIds {

  /** Bits of a packed id that hold the position: packs hold at most this many events. */
  static final int POSITION_BITS = 11;
  /** The most events one pack holds. */
  static final int MAX_EVENTS = 1 << POSITION_BITS;

  private PackedIds() {}

  static long of(long routePack, int position) {
    return -((routePack << POSITION_BITS) | position);
  }

  static boolean packed(long id) {
    return id < 0;
  }

  static long routePack(long id) {
    return (-id) >>> POSITION_BITS;
  }

  static int position(long id) {
    return (int) ((-id) & (MAX_EVENTS - 1));
  }

  /** Whether any of {@code ids} is packed. */
  static boolean anyPacked(Collection<Long> ids) {
    for (long id : ids) {
      if (id < 0) {
        return true;
      }
    }
    return false;
  }
}
