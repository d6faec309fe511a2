package io.relaybus.memory;

import io.relaybus.spi.Settings;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import java.util.Set;

/**
 * Provides the in-memory transport, {@code relaybus.transport=memory}, the default.
 *
 * <p>It keeps every guarantee of the contract inside one JVM — consumer groups with competing
 * members, per-key ordering, exact retries, dead letters with replay, backlog for groups whose
 * members were all closed, backpressure, graceful close — but nothing survives the process:
 * it is for tests, embedded use and single-process applications that accept losing queued
 * events on exit. Its {@link io.relaybus.EventBus#operations() operations} answer everything
 * but webhook endpoints: lag (one partition, 0), dead letters by filter, event lookup, health.
 *
 * <p>Setting: {@code relaybus.memory.history-limit} (default 100000) — how many events per
 * topic are kept after every existing group has taken them, for new groups starting at
 * {@link io.relaybus.StartPosition#EARLIEST}. Events some group has not taken yet are never
 * dropped.
 *
 * <p>Setting: {@code relaybus.memory.max-event-size} (default 4 MiB, at most 64 MiB; bytes, or
 * with KiB, MiB, GiB) — the largest {@link io.relaybus.Event#size()} a publish accepts. Memory
 * itself has no such bound; the limit is the persistent transports' default, so an application
 * tested on memory meets the same limit it will meet on PostgreSQL.
 */
public final class MemoryTransportProvider implements TransportProvider {

  /** The transport name. */
  public static final String NAME = "memory";
  /** Events kept per topic after all groups took them. */
  public static final String HISTORY_LIMIT = "relaybus.memory.history-limit";
  /** The largest event size a publish accepts. */
  public static final String MAX_EVENT_SIZE = "relaybus.memory.max-event-size";
  /** The default {@link #MAX_EVENT_SIZE}: the PostgreSQL transport's, 4 MiB. */
  private static final long DEFAULT_MAX_EVENT_SIZE = 4L << 20;
  /** The largest {@link #MAX_EVENT_SIZE} allowed: 64 MiB, as on PostgreSQL. */
  private static final long MAX_EVENT_SIZE_CEILING = 64L << 20;

  /** Creates the provider; used by {@link java.util.ServiceLoader}. */
  public MemoryTransportProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> configKeys() {
    return Set.of(HISTORY_LIMIT, MAX_EVENT_SIZE);
  }

  @Override
  public void validate(Settings settings) {
    read(settings);
  }

  @Override
  public Transport create(TransportContext context) {
    MemorySettings settings = read(context.settings());
    return new MemoryTransport(settings.historyLimit(), settings.maxEventSize());
  }

  private record MemorySettings(int historyLimit, long maxEventSize) {}

  private static MemorySettings read(Settings settings) {
    Settings.Reader reader = settings.reader();
    int historyLimit = reader.integer(HISTORY_LIMIT, 100_000, 0, 100_000_000);
    long maxEventSize = reader.size(MAX_EVENT_SIZE, DEFAULT_MAX_EVENT_SIZE, 1024,
        MAX_EVENT_SIZE_CEILING);
    reader.validate();
    return new MemorySettings(historyLimit, maxEventSize);
  }
}
