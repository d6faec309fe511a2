package io.relaybus.spring.boot;

import io.relaybus.EventBus;

/**
 * Changes the builder of the auto-configured {@link EventBus} before it is built: adds an
 * instrumentation, a transport provider configured in code, or keys set in code. Every bean of
 * this type is applied, in {@link org.springframework.core.annotation.Order} order, after the
 * {@code relaybus.*} settings of the environment.
 */
@FunctionalInterface
public interface RelaybusBusCustomizer {

  /**
   * Changes the builder.
   *
   * @param builder the builder of the bus, holding the environment's settings
   */
  void customize(EventBus.Builder builder);
}
