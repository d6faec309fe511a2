package io.relaybus.bench;

import io.relaybus.EventBus;
import java.util.Map;

/**
 * One transport under benchmark: how to create a Relaybus {@link EventBus} on it, paired with
 * the {@link RawBaseline} it is measured against in the same run.
 *
 * <p>Implementations register in
 * {@code META-INF/services/io.relaybus.bench.TransportTarget} and are selected with
 * {@code --transport NAME}. Adding a transport (postgres, kafka, webhook) is adding one
 * implementation and its raw baseline; the scenarios, report and command line stay as they are.
 */
public interface TransportTarget {

  /**
   * The name given to {@code --transport}, such as {@code memory}.
   *
   * @return the name
   */
  String name();

  /**
   * What the Relaybus side runs, for the report.
   *
   * @return a one-line description
   */
  String description();

  /**
   * Creates a started bus. Called once per measurement; the harness closes it.
   *
   * @param settings the {@code relaybus.*} keys given with {@code --set}
   * @return the bus
   */
  EventBus createBus(Map<String, String> settings);

  /**
   * Opens the Relaybus side of one measurement. By default a bus from {@link #createBus} used
   * through {@code publish}/{@code publishAll} and one consumer group of {@code subscribe}s;
   * a transport whose natural consumer is not a bus subscription (webhooks: an HTTP receiver
   * behind a configured endpoint) overrides this.
   *
   * @param spec the measurement's topic, payload and settings (the {@code relaybus.*} keys)
   * @return the session; the harness closes it
   */
  default MessagingSession openRelaybus(SessionSpec spec) {
    return new RelaybusSession(createBus(spec.settings()), spec);
  }

  /**
   * The raw client this transport is compared with.
   *
   * @return the baseline
   */
  RawBaseline rawBaseline();
}
