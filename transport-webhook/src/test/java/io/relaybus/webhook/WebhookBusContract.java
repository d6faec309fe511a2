package io.relaybus.webhook;

import io.relaybus.EventBus;
import io.relaybus.webhook.testing.ScriptedReceiver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;

/**
 * What the webhook contracts that run once per outbox share: buses built from the contract's
 * settings, this run's outbox settings and a test's overrides, loopback receivers, and closing
 * them all after each test (buses first).
 */
abstract class WebhookBusContract {
  private final List<AutoCloseable> resources = new ArrayList<>();

  /** The contract's transport settings (fast retries and routes). */
  abstract Map<String, String> contractSettings();

  /** The outbox settings of this run. */
  abstract Map<String, String> outboxConfig();

  EventBus bus(Map<String, String> overrides) {
    Map<String, String> config = new LinkedHashMap<>(contractSettings());
    config.putAll(outboxConfig());
    config.putAll(overrides);
    EventBus bus = EventBus.create(config);
    resources.add(0, bus);
    return bus;
  }

  ScriptedReceiver receiver() {
    ScriptedReceiver r = ScriptedReceiver.start();
    resources.add(r);
    return r;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : resources) {
      c.close();
    }
    resources.clear();
  }

  static String unique(String hint) {
    return hint + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 20);
  }
}
