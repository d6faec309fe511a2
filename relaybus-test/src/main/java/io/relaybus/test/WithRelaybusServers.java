package io.relaybus.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a JUnit 5 test class's constructors, test methods and lifecycle methods parameters of
 * type {@link PostgresServer}, {@link KafkaServer} and {@link SchemaRegistryServer}: the
 * servers of {@link RelaybusServers}, started on first use, shared by every test of the run and
 * stopped when the run ends.
 *
 * <pre>{@code
 * @WithRelaybusServers
 * class OrderEventsTest {
 *   @Test
 *   void publishes(PostgresServer postgres) {
 *     try (EventBus bus = EventBus.create(postgres.relaybusProperties())) { ... }
 *   }
 * }
 * }</pre>
 *
 * <p>The same as {@code @ExtendWith(RelaybusServersExtension.class)}.
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(RelaybusServersExtension.class)
public @interface WithRelaybusServers {}
