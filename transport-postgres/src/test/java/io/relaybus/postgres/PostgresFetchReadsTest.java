package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A member reads from the events table about as many rows as it hands to its handlers: each
 * partition of a fetch is asked for its share of the free capacity. Were each asked for all of
 * it (each partition's rows limited on their own), a member of 8 partitions would read up to 8
 * times the rows it could hand over, and the rest again in its next fetch.
 *
 * <p>Rows read are the server's own count ({@code pg_stat_user_tables}: index and sequential
 * tuples read from {@code relaybus.events}), which the server has once the bus's connections
 * ended at close.
 */
class PostgresFetchReadsTest {
  private static final int EVENTS = 2_000;
  private static final String TOPIC = "fetch.reads";
  /** Emptied after each test: the counts are of everything stored and read in it. */
  @RegisterExtension
  static final TestDatabase DB = TestDatabase.emptiedAfterEachTest("relaybus_fetch_reads");

  /**
   * Events stored one per row ({@code pack-batches=false}), or in packs of up to
   * {@value EventRows#MAX_PACK} (ADR 0012; a pack read counts once, however many of its events
   * the fetch took).
   */
  @ParameterizedTest(name = "packed: {0}")
  @ValueSource(booleans = {false, true})
  void aMemberOfEightPartitionsReadsAboutTheRowsItHandles(boolean packed) throws Exception {
    TestBuses buses = DB.buses();
    EventBus publisher = buses.bus(Map.of("relaybus.postgres.partitions", "8",
        "relaybus.postgres.pack-batches", Boolean.toString(packed)));
    TestBuses.publishKeyed(publisher, TOPIC, EVENTS);
    buses.close();
    long before = awaitRowsRead(0);

    EventBus consumer = buses.bus();
    Set<String> seen = ConcurrentHashMap.newKeySet();
    consumer.subscribe(TOPIC, SubscribeOptions.builder().group("g").maxInFlight(16).build(),
        d -> seen.add(d.event().id()));
    await().atMost(Duration.ofSeconds(60)).until(() -> seen.size() == EVENTS);
    buses.close(); // the member's connections end: the server counts what they read

    long stored = packed ? expectedPacks() : EVENTS;
    long read = awaitRowsRead(before + stored) - before;
    // counted after the reads were: this count reads the tables too
    assertThat(DB.queryLong("SELECT (SELECT count(*) FROM relaybus.events) + "
        + "(SELECT count(*) FROM relaybus.packs)")).as("rows and packs stored")
        .isEqualTo(stored);
    assertThat(read).as("rows and packs read to deliver %d events", EVENTS)
        .isBetween(stored, (long) (EVENTS * 1.5));
  }

  /**
   * Packs that {@link TestBuses#publishKeyed} makes: per batch of 500 and partition, one per
   * {@value EventRows#MAX_PACK} events (one event alone is a row, not a pack).
   */
  private static long expectedPacks() {
    long packs = 0;
    for (int from = 0; from < EVENTS; from += 500) {
      int[] perPartition = new int[8];
      for (int i = from; i < Math.min(EVENTS, from + 500); i++) {
        perPartition[Partitioner.partition("k" + i, 8)]++;
      }
      for (int n : perPartition) {
        packs += n == 1 ? 1 : (n + EventRows.MAX_PACK - 1) / EventRows.MAX_PACK;
      }
    }
    return packs;
  }

  /** Rows read from the events table so far, once the count reached {@code atLeast}. */
  private static long awaitRowsRead(long atLeast) {
    long[] last = {-1};
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> (last[0] = rowsRead()) >= atLeast);
    return last[0];
  }

  private static long rowsRead() {
    return DB.queryLong("SELECT coalesce(sum(coalesce(idx_tup_fetch, 0) + "
        + "coalesce(seq_tup_read, 0)), 0) FROM pg_stat_user_tables WHERE schemaname = "
        + "'relaybus' AND relname IN ('events', 'packs')");
  }
}
