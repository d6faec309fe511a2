package io.relaybus.bench;

/**
 * The raw-client side of a transport's benchmark: the same publish and consume operations done
 * directly with the client Relaybus wraps (for the in-memory transport, a JDK blocking queue
 * between threads), so the report shows what the library adds.
 */
public interface RawBaseline {

  /**
   * What the raw side runs, for the report.
   *
   * @return a one-line description
   */
  String description();

  /**
   * Opens a fresh session on a new topic (or queue). Called once per measurement; the harness
   * closes it.
   *
   * @param spec the topic, payload, limits and the non-{@code relaybus.*} settings given with
   *     {@code --set}
   * @return the session
   * @throws IllegalArgumentException when a setting is unknown or invalid
   */
  MessagingSession open(SessionSpec spec);
}
