package io.relaybus.memory;

import io.relaybus.Event;
import java.time.Instant;

/**
 * A topic's events by sequence number, each with the time it was published, in a growable ring
 * buffer: append at the end, drop from the start. Not thread-safe; guarded by the topic's lock.
 */
final class EventLog {
  private Event[] ring = new Event[1024];
  /** When each event was published; events of one batch share one instance. */
  private Instant[] published = new Instant[1024];
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

  long append(Event event, Instant publishedAt) {
    if (end - start == ring.length) {
      grow();
    }
    ring[index(end)] = event;
    published[index(end)] = publishedAt;
    return end++;
  }

  Event get(long seq) {
    if (seq < start || seq >= end) {
      throw new IndexOutOfBoundsException("sequence " + seq + " not in [" + start + ", " + end
          + ")");
    }
    return ring[index(seq)];
  }

  Instant publishedAt(long seq) {
    get(seq);
    return published[index(seq)];
  }

  /** Drops every event below {@code seq}. */
  void dropBefore(long seq) {
    long to = Math.min(seq, end);
    while (start < to) {
      ring[index(start)] = null;
      published[index(start)] = null;
      start++;
    }
  }

  private int index(long seq) {
    return (int) (seq % ring.length);
  }

  private void grow() {
    Event[] bigger = new Event[ring.length * 2];
    Instant[] biggerPublished = new Instant[bigger.length];
    for (long s = start; s < end; s++) {
      bigger[(int) (s % bigger.length)] = ring[index(s)];
      biggerPublished[(int) (s % bigger.length)] = published[index(s)];
    }
    ring = bigger;
    published = biggerPublished;
  }
}
