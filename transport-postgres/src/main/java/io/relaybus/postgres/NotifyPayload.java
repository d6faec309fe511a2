package io.relaybus.postgres;

import java.util.BitSet;

/**
 * What a NOTIFY on the events channel says: the topic that has new events and, when Relaybus's
 * notifier sent it, which bus sent it and which partitions got events. Members wake only for
 * partitions they read, and a bus ignores its own notifications (it woke its members when its
 * publish committed).
 *
 * <p>Forms: {@code <topic>} (plain-SQL publishes, through the table's trigger; every member of
 * the topic wakes) and {@code <topic> <origin> <partitions>}, where partitions is a
 * comma-separated list or {@code *} for all. Topic names contain no spaces. A payload that does
 * not parse wakes every member of its first word's topic, as a bare topic does.
 *
 * @param topic the topic
 * @param origin the sending bus's id, or {@code null}
 * @param partitions the partitions with new events, or {@code null} for any
 */
record NotifyPayload(String topic, String origin, BitSet partitions) {
  /** Above this many partitions a notification says "all" (the payload stays short). */
  static final int MAX_LISTED = 64;

  /**
   * The text of a notification.
   *
   * @param topic the topic
   * @param origin the sending bus's id (no spaces)
   * @param partitions the partitions with new events, or {@code null} for all
   */
  static String format(String topic, String origin, BitSet partitions) {
    StringBuilder b = new StringBuilder(topic.length() + 32).append(topic).append(' ')
        .append(origin).append(' ');
    if (partitions == null || partitions.isEmpty() || partitions.cardinality() > MAX_LISTED) {
      return b.append('*').toString();
    }
    for (int p = partitions.nextSetBit(0); p >= 0; p = partitions.nextSetBit(p + 1)) {
      if (b.charAt(b.length() - 1) != ' ') {
        b.append(',');
      }
      b.append(p);
    }
    return b.toString();
  }

  /** Reads a notification's text; never fails (see the class comment). */
  static NotifyPayload parse(String payload) {
    int first = payload.indexOf(' ');
    if (first < 0) {
      return new NotifyPayload(payload, null, null);
    }
    String topic = payload.substring(0, first);
    int second = payload.indexOf(' ', first + 1);
    if (second < 0) {
      return new NotifyPayload(topic, null, null);
    }
    String origin = payload.substring(first + 1, second);
    String list = payload.substring(second + 1);
    if (list.equals("*")) {
      return new NotifyPayload(topic, origin, null);
    }
    BitSet partitions = new BitSet();
    int value = -1;
    for (int i = 0; i <= list.length(); i++) {
      char c = i < list.length() ? list.charAt(i) : ',';
      if (c >= '0' && c <= '9' && (value < 0 || value < 1_000)) {
        value = (value < 0 ? 0 : value * 10) + (c - '0');
      } else if (c == ',' && value >= 0) {
        partitions.set(value);
        value = -1;
      } else {
        return new NotifyPayload(topic, origin, null);
      }
    }
    return new NotifyPayload(topic, origin, partitions);
  }
}
