package io.relaybus.spi;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The positions a member has taken from one partition, in the partition's order, and which of
 * them are finished. A durable transport stores two things from it: the <em>commit point</em>,
 * the last position of the finished prefix (everything up to it is done), and the positions
 * <em>finished ahead</em> of the first unfinished one, so that a new owner of the partition
 * skips them instead of delivering them again.
 *
 * <p>Not thread-safe: a transport guards each tracker with its partition's lock. An
 * {@link Entry}'s finished flag is volatile: {@link #finish} may be called, and the flag read,
 * from any thread without that lock (a handler thread finishing its event); only the structure
 * (adding, advancing, releasing) needs it.
 *
 * @param <P> the transport's position type (a Kafka offset, a PostgreSQL row position)
 */
public final class PositionTracker<P> {

  /**
   * One tracked position.
   *
   * @param <P> the position type
   */
  public static final class Entry<P> {
    private final P position;
    private volatile boolean finished;

    private Entry(P position) {
      this.position = position;
    }

    /**
     * The position.
     *
     * @return the position given to {@link PositionTracker#add}
     */
    public P position() {
      return position;
    }

    /**
     * Whether the event at this position is finished (acked or dead-lettered).
     *
     * @return {@code true} once {@link PositionTracker#finish} was called for it
     */
    public boolean finished() {
      return finished;
    }
  }

  private final ArrayDeque<Entry<P>> entries = new ArrayDeque<>();

  /** Creates an empty tracker. */
  public PositionTracker() {}

  /**
   * Tracks the next position of the partition, unfinished.
   *
   * @param position the position, later than every tracked one
   * @return its entry
   */
  public Entry<P> add(P position) {
    Entry<P> e = new Entry<>(Objects.requireNonNull(position, "position"));
    entries.addLast(e);
    return e;
  }

  /**
   * Tracks the next position of the partition as finished already (an event an earlier owner
   * finished ahead of its commit point).
   *
   * @param position the position, later than every tracked one
   * @return its entry
   */
  public Entry<P> addFinished(P position) {
    Entry<P> e = add(position);
    e.finished = true;
    return e;
  }

  /**
   * Marks an entry finished. The commit point moves only at {@link #advance()}.
   *
   * @param entry an entry of this tracker
   */
  public void finish(Entry<P> entry) {
    entry.finished = true;
  }

  /**
   * Drops the finished prefix.
   *
   * @return the last position of the prefix dropped, or {@code null} when the first tracked
   *     entry is unfinished (or none is tracked)
   */
  public P advance() {
    P last = null;
    Entry<P> head;
    while ((head = entries.peekFirst()) != null && head.finished) {
      entries.pollFirst();
      last = head.position;
    }
    return last;
  }

  /**
   * The finished positions behind the first unfinished one, in order. Call after
   * {@link #advance()} for the set to store next to the commit point.
   *
   * @return a new list, empty when nothing is finished ahead
   */
  public List<P> finishedAhead() {
    List<P> ahead = new ArrayList<>();
    for (Entry<P> e : entries) {
      if (e.finished) {
        ahead.add(e.position);
      }
    }
    return ahead;
  }

  /**
   * Gives back an entry and every later one (a member that stops, or takes back events it read
   * ahead, reads the partition again from there). Finished entries among them go too: the
   * transport keeps them known as finished ahead by its own store.
   *
   * @param entry a tracked entry
   * @return the entries removed, in order, starting with {@code entry}; empty when
   *     {@code entry} is no longer tracked
   */
  public List<Entry<P>> releaseFrom(Entry<P> entry) {
    ArrayDeque<Entry<P>> removed = new ArrayDeque<>();
    boolean present = false;
    for (Iterator<Entry<P>> it = entries.descendingIterator(); it.hasNext(); ) {
      if (it.next() == entry) {
        present = true;
        break;
      }
    }
    if (!present) {
      return List.of();
    }
    Entry<P> e;
    do {
      e = entries.pollLast();
      removed.addFirst(e);
    } while (e != entry);
    return new ArrayList<>(removed);
  }

  /**
   * The last tracked entry.
   *
   * @return the entry, or {@code null} when none is tracked
   */
  public Entry<P> last() {
    return entries.peekLast();
  }

  /**
   * The first tracked entry (after {@link #advance()}, the first unfinished one).
   *
   * @return the entry, or {@code null} when none is tracked
   */
  public Entry<P> first() {
    return entries.peekFirst();
  }

  /**
   * How many tracked entries are unfinished and have a position that passes {@code test} (a
   * transport that waits only for some of them, e.g. not for those it gave back).
   *
   * @param test which unfinished positions to count
   * @return the count
   */
  public int unfinished(Predicate<? super P> test) {
    int n = 0;
    for (Entry<P> e : entries) {
      if (!e.finished && test.test(e.position)) {
        n++;
      }
    }
    return n;
  }

  /**
   * Whether nothing is tracked.
   *
   * @return {@code true} when empty
   */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Forgets every entry (the partition was lost). */
  public void clear() {
    entries.clear();
  }
}
