/**
 * The Relaybus Spring Boot starter: {@link io.relaybus.spring.boot.RelaybusAutoConfiguration}
 * creates one {@link io.relaybus.EventBus} from {@code relaybus.*}; see {@code
 * docs/spring-boot.md}.
 */
package io.relaybus.spring.boot;
