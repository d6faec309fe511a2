package io.relaybus.spi;

import io.relaybus.Capabilities;
import io.relaybus.Event;
import io.relaybus.EventTooLargeException;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The size check every publish passes before any I/O: each event against
 * {@link Capabilities#maxEventSize()}, then a batch's total against
 * {@link Capabilities#maxBatchSize()}. The bus runs it for every publish; a transport runs it
 * itself on a publish path of its own that does not go through the bus (such as publishing in
 * the caller's transaction).
 */
public final class EventSizes {

  /** The key suffix under a transport's namespace: {@code relaybus.<transport>.max-event-size}. */
  public static final String MAX_EVENT_SIZE = "max-event-size";

  private EventSizes() {}

  /**
   * The key of a transport's maximum event size.
   *
   * @param transport the transport name, such as {@code postgres}
   * @return {@code relaybus.<transport>.max-event-size}
   */
  public static String maxEventSizeKey(String transport) {
    return "relaybus." + transport + "." + MAX_EVENT_SIZE;
  }

  /**
   * Checks the events of one publish against the transport's limits; checks every event before
   * the total, so a batch is refused whole before anything is written.
   *
   * @param transport the transport name, for the message and the key it names
   * @param capabilities the transport's capabilities, with its limits
   * @param topic the topic published to
   * @param events the events of one publish
   * @throws EventTooLargeException naming the topic, the first event too large (its position in
   *     a batch, its id and size), the limit and the key that raises it; or the batch's total
   */
  public static void check(String transport, Capabilities capabilities, String topic,
      List<Event> events) {
    OptionalLong maxEvent = capabilities.maxEventSize();
    OptionalLong maxBatch = capabilities.maxBatchSize();
    if (maxEvent.isEmpty() && maxBatch.isEmpty()) {
      return;
    }
    long eventLimit = maxEvent.orElse(Long.MAX_VALUE);
    long total = 0;
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      long size = e.size();
      if (size > eventLimit) {
        throw new EventTooLargeException("Cannot publish to topic '" + topic + "': event "
            + (events.size() > 1 ? "#" + i + " of the batch (id " + e.id() + ")" : e.id())
            + " is " + size + " bytes, larger than the " + bytes(eventLimit) + " the " + transport + " transport accepts per event; nothing was published. "
            + "Raise " + maxEventSizeKey(transport) + " or publish a smaller event (its size is "
            + "the data plus the attributes and headers in UTF-8, Event.size())",
            topic, e.id(), size, eventLimit);
      }
      total += size;
    }
    if (maxBatch.isPresent() && total > maxBatch.getAsLong()) {
      long batchLimit = maxBatch.getAsLong();
      throw new EventTooLargeException("Cannot publish to topic '" + topic + "': the batch of "
          + events.size() + " events is " + total + " bytes, larger than the " + bytes(batchLimit)
          + " the " + transport + " transport accepts in "
          + "one publishAll; nothing was published. Publish the events in smaller batches",
          topic, null, total, batchLimit);
    }
  }

  /** A limit in bytes, and from 1 KiB on in the largest binary unit it reaches as well. */
  private static String bytes(long limit) {
    String exact = limit + " bytes";
    if (limit >= 1L << 30) {
      return exact + String.format(Locale.ROOT, " (%.1f GiB)", limit / (double) (1L << 30));
    }
    if (limit >= 1L << 20) {
      return exact + String.format(Locale.ROOT, " (%.1f MiB)", limit / (double) (1L << 20));
    }
    if (limit >= 1L << 10) {
      return exact + String.format(Locale.ROOT, " (%.1f KiB)", limit / 1024.0);
    }
    return exact;
  }
}
