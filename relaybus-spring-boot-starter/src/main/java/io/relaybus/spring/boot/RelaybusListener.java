package io.relaybus.spring.boot;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Subscribes a bean method to a topic of the application's {@link io.relaybus.EventBus}.
 *
 * <pre>{@code
 * @RelaybusListener(topic = "orders", group = "billing", concurrency = "${billing.threads:4}")
 * void bill(Order order, Delivery delivery) { ... }
 * }</pre>
 *
 * <p>Parameters, in any order: at most one payload, decoded from the event's data by its content
 * type (JSON through the application's {@code ObjectMapper}, generic types included; text as a
 * {@code String}; any data as {@code byte[]}), and optionally the {@link io.relaybus.Delivery}
 * and the {@link io.relaybus.Event}. Data that cannot be decoded is a dead letter with reason
 * {@code UNDECODABLE}, as in the core.
 *
 * <p>Returning normally acknowledges the event; an exception is a failed attempt handled by the
 * bus's one retry layer ({@code relaybus.retry.*}, or {@link #maxAttempts()}), then the group's
 * dead letters — the starter adds no retries of its own.
 *
 * <p>Every attribute may be a {@code ${...}} placeholder resolved from the environment. An empty
 * attribute takes the bus's default ({@code relaybus.subscriber.*}). Subscriptions start when the
 * application context has started and close gracefully, waiting up to their close timeout for
 * handlers in flight, before the bus and the beans it uses are closed.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface RelaybusListener {

  /**
   * The topic.
   *
   * @return the topic name, or a placeholder
   */
  String topic();

  /**
   * The consumer group; every group receives every event, members of one group share them.
   *
   * @return the group, or empty for {@code relaybus.subscriber.group}
   */
  String group() default "";

  /**
   * Handlers running at once, 1-1024.
   *
   * @return a number, or empty for {@code relaybus.subscriber.concurrency}
   */
  String concurrency() default "";

  /**
   * Events held at once (at least the concurrency).
   *
   * @return a number, or empty for {@code relaybus.subscriber.max-in-flight}
   */
  String maxInFlight() default "";

  /**
   * Attempts per event, counting the first; the backoff between them stays the bus's
   * ({@code relaybus.retry.initial-delay}, {@code max-delay}, {@code multiplier},
   * {@code jitter}).
   *
   * @return a number, or empty for {@code relaybus.retry.max-attempts}
   */
  String maxAttempts() default "";

  /**
   * Where a new group starts.
   *
   * @return {@code earliest} or {@code latest}, or empty for
   *     {@code relaybus.subscriber.start-position}
   */
  String startPosition() default "";

  /**
   * Whether exhausted events go to the group's dead letters.
   *
   * @return {@code true} or {@code false}, or empty for {@code relaybus.subscriber.dead-letters}
   */
  String deadLetters() default "";

  /**
   * How long closing waits for handlers in flight ({@code 5s}, {@code 250ms}, {@code PT5S}).
   *
   * @return a duration, or empty for {@code relaybus.subscriber.close-timeout}
   */
  String closeTimeout() default "";
}
