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
 * events on exit.
 *
 * <p>Setting: {@code relaybus.memory.history-limit} (default 100000) — how many events per
 * topic are kept after every existing group has taken them, for new groups starting at
 * {@link io.relaybus.StartPosition#EARLIEST}. Events some group has not taken yet are never
 * dropped.
 */
public final class MemoryTransportProvider implements TransportProvider {

  /** The transport name. */
  public static final String NAME = "memory";
  /** Events kept per topic after all groups took them. */
  public static final String HISTORY_LIMIT = "relaybus.memory.history-limit";

  /** Creates the provider; used by {@link java.util.ServiceLoader}. */
  public MemoryTransportProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> configKeys() {
    return Set.of(HISTORY_LIMIT);
  }

  @Override
  public void validate(Settings settings) {
    historyLimit(settings);
  }

  @Override
  public Transport create(TransportContext context) {
    return new MemoryTransport(historyLimit(context.settings()));
  }

  private static int historyLimit(Settings settings) {
    Settings.Reader reader = settings.reader();
    int historyLimit = reader.integer(HISTORY_LIMIT, 100_000, 0, 100_000_000);
    reader.validate();
    return historyLimit;
  }
}
