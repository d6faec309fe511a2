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

  /**
   * The bus's instrumentations as one, for a transport that publishes on a path of its own
   * beside {@link Transport#publish} (such as into the caller's transaction): it calls {@link
   * Instrumentation#publishing} and {@link Instrumentation.PublishObservation#completed} there as
   * the bus does around {@code Transport.publish}, so that such a publish is traced and counted
   * like any other. The returned instrumentation never throws; what one of the bus's
   * instrumentations throws is logged and ignored.
   *
   * @return the instrumentation, or {@code null} when the bus has none (and by default, for a
   *     context not made by a bus)
   */
  default Instrumentation instrumentation() {
    return null;
  }
}
