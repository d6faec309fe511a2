package io.relaybus.spi;

import java.util.concurrent.ThreadFactory;

/** What the bus gives a transport when creating it. */
public interface TransportContext {

  /**
   * The bus configuration, all keys (from the environment, only the variables that are
   * settings of the core or of this transport).
   *
   * @return the settings
   */
  Settings settings();

  /**
   * A factory of named daemon threads, {@code relaybus-<transport>-<purpose>-<n>}.
   *
   * @param purpose what the threads do, such as {@code listener-orders}
   * @return the factory
   */
  ThreadFactory threadFactory(String purpose);
}
