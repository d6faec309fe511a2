package io.relaybus.memory;

import io.relaybus.Event;

/**
 * A topic's events by sequence number, in a growable ring buffer: append at the end, drop from
 * the start. Not thread-safe; guarded by the topic's lock.
 */
final class EventLog {
  private Event[] ring = new Event[1024];
  /** Sequence number of the oldest retained event. */
  private long start;
  /** Sequence number the next appended event gets. */
  private long end;

  long start() {
    return start;
  }

  long end() {
    return end;
  }

  long append(Event event) {
    if (end - start == ring.length) {
      grow();
    }
    ring[index(end)] = event;
    return end++;
  }

  Event get(long seq) {
    if (seq < start || seq >= end) {
      throw new IndexOutOfBoundsException("sequence " + seq + " not in [" + start + ", " + end
          + ")");
    }
    return ring[index(seq)];
  }

  /** Drops every event below {@code seq}. */
  void dropBefore(long seq) {
    long to = Math.min(seq, end);
    while (start < to) {
      ring[index(start)] = null;
      start++;
    }
  }

  private int index(long seq) {
    return (int) (seq % ring.length);
  }

  private void grow() {
    Event[] bigger = new Event[ring.length * 2];
    for (long s = start; s < end; s++) {
      bigger[(int) (s % bigger.length)] = ring[index(s)];
    }
    ring = bigger;
  }
}
