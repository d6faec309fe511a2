package io.relaybus.spring.boot;

import io.relaybus.EventHandler;
import io.relaybus.SubscribeOptions;
import java.util.Objects;

/**
 * A subscription declared as a bean, for applications that prefer no annotations: the starter
 * subscribes it when the context has started and closes it gracefully when the context closes,
 * as it does {@link RelaybusListener} methods.
 *
 * <pre>{@code
 * @Bean
 * RelaybusSubscription billing(Billing billing) {
 *   return RelaybusSubscription.of("orders", "billing", d -> billing.bill(d.data(Order.class)));
 * }
 * }</pre>
 *
 * @param topic the topic
 * @param options the options; unset ones take the bus's defaults
 * @param handler the handler; an exception is a failed attempt of the bus's retry layer
 */
public record RelaybusSubscription(String topic, SubscribeOptions options, EventHandler handler) {

  /**
   * Checks the parts.
   *
   * @param topic the topic
   * @param options the options
   * @param handler the handler
   */
  public RelaybusSubscription {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(handler, "handler");
  }

  /**
   * A subscription of a group with the bus's default options.
   *
   * @param topic the topic
   * @param group the group
   * @param handler the handler
   * @return the subscription
   */
  public static RelaybusSubscription of(String topic, String group, EventHandler handler) {
    return new RelaybusSubscription(topic, SubscribeOptions.group(group), handler);
  }
}
