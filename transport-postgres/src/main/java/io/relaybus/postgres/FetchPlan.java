package io.relaybus.postgres;

import java.util.ArrayList;
import java.util.List;

/**
 * How much a member's next fetch reads, and of which partitions. A fetch reads what the sink
 * has room for and, when there is room at all, reads ahead up to {@code fetch-size} events or
 * {@link #READ_AHEAD_BYTES} worth of the largest event of the last fetch, whichever is less
 * (ADR 0013): a fetch costs the server a fixed time before its first row, so fetches only as
 * large as the free room spent much of their time on it. The budget is shared among the
 * readable partitions, the remainder going to partitions in turn, so that no partition waits
 * behind the others and a fetch never reads more rows than it can hand over or keep.
 *
 * <p>Member thread only.
 */
final class FetchPlan {
  /** About how many bytes of events a member reads ahead of what it can hand over. */
  static final int READ_AHEAD_BYTES = 1 << 20;
  /** What an event costs in memory besides its data, for {@link #READ_AHEAD_BYTES}. */
  static final int EVENT_OVERHEAD_BYTES = 512;

  private final int fetchSize;
  /** Which readable partition gets the first share of the next fetch. */
  private int fetchRound;
  /**
   * The size of the largest event of the last fetch that read any, 0 before the first one. The
   * largest, not the average, so that a few large events among small ones keep the read-ahead
   * small.
   */
  private int largestEventBytes;
  /** The partitions the planned fetch reads, in turn order. */
  private List<PartitionState> asked = List.of();
  /** By partition: its share of the planned fetch. */
  private int[] shares = new int[0];
  private int readable;

  FetchPlan(int fetchSize) {
    this.fetchSize = fetchSize;
  }

  /**
   * Plans a fetch over {@code readable} partitions (not empty) for a sink with room for
   * {@code capacity} events (at least 1).
   */
  void plan(int capacity, List<PartitionState> readable) {
    int budget = capacity;
    if (largestEventBytes > 0) { // the first fetch reads no more than there is room for
      budget = Math.max(capacity, Math.min(fetchSize, READ_AHEAD_BYTES / largestEventBytes));
    }
    // Each partition's rows are limited on their own (LATERAL … LIMIT p.lim): each is asked for
    // its share of the budget, so a member of n partitions does not read up to n times the rows
    // it can hand over only to read the rest again.
    int n = readable.size();
    int start = Math.floorMod(fetchRound, n);
    List<PartitionState> asked = new ArrayList<>(n);
    int highest = 0;
    for (PartitionState ps : readable) {
      highest = Math.max(highest, ps.partition);
    }
    int[] shares = new int[highest + 1];
    for (int k = 0; k < n; k++) {
      int share = Math.min(fetchSize, budget / n + (k < budget % n ? 1 : 0));
      if (share == 0) {
        break; // the rest of this turn get nothing; later fetches start with them
      }
      PartitionState ps = readable.get((start + k) % n);
      asked.add(ps);
      shares[ps.partition] = share;
    }
    // The next fetch starts with the partitions this one left out, or with those after the
    // ones that got the remainder.
    fetchRound = start + (asked.size() < n ? asked.size() : Math.max(1, budget % n));
    this.asked = asked;
    this.shares = shares;
    this.readable = n;
  }

  /** The partitions the planned fetch reads. */
  List<PartitionState> asked() {
    return asked;
  }

  /** By partition: its share of the planned fetch (the caller may count it down). */
  int[] shares() {
    return shares;
  }

  /** Whether the planned fetch reads every readable partition. */
  boolean asksAll() {
    return asked.size() == readable;
  }

  /**
   * Whether the fetch reads whole packs ({@link PackReader}): once the member knows its events'
   * size, and while they are small enough that a pack of the largest fits the read-ahead.
   */
  boolean readsPacks() {
    return largestEventBytes > 0
        && largestEventBytes <= READ_AHEAD_BYTES / EventRows.MAX_PACK;
  }

  /**
   * How many packs a fetch reads of a partition to get about {@code share} events, from the
   * events per pack its last fetch found (at first {@link EventRows#MAX_PACK}, so that the first
   * fetch reads no more than one pack beyond the share), and never more than
   * {@link #READ_AHEAD_BYTES} of packs of the largest size.
   */
  int packLimit(PartitionState state, int share) {
    int packs = (share + state.eventsPerPack - 1) / state.eventsPerPack;
    int bytes = READ_AHEAD_BYTES / (EventRows.MAX_PACK * largestEventBytes);
    return Math.max(1, Math.min(packs, bytes));
  }

  /** A fetch read events, the largest {@code largest} bytes with the overhead (0 if none). */
  void fetched(int largest) {
    if (largest > 0) {
      largestEventBytes = largest;
    }
  }
}
