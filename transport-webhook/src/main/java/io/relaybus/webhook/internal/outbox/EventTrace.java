package io.relaybus.webhook.internal.outbox;

import java.util.Map;
import java.util.Set;

/**
 * What the outbox still knows of one event of a topic.
 *
 * @param pending pending deliveries per route
 * @param deadLetterGroups the groups and endpoints with a dead letter of it
 * @param deliveredRoutes the routes with a successful (2xx) attempt for it in the attempt log
 */
public record EventTrace(Map<String, Long> pending, Set<String> deadLetterGroups,
    Set<String> deliveredRoutes) {

  /**
   * Copies the components.
   *
   * @param pending pending deliveries per route
   * @param deadLetterGroups groups and endpoints with a dead letter
   * @param deliveredRoutes routes with a successful attempt
   */
  public EventTrace {
    pending = Map.copyOf(pending);
    deadLetterGroups = Set.copyOf(deadLetterGroups);
    deliveredRoutes = Set.copyOf(deliveredRoutes);
  }
}
