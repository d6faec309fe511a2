package io.relaybus.kafka;

import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.util.Map;

/**
 * A group member in its own JVM, for {@link KafkaMemberCrashTest}: subscribes, prints
 * {@code READY}, then {@code HANDLED <event id>} for every event it handles (slowly), until the
 * test SIGKILLs it. Arguments: bootstrap servers, topic, group.
 */
public final class CrashingMemberMain {
  private CrashingMemberMain() {}

  /**
   * Runs the member.
   *
   * @param args bootstrap servers, topic, group
   * @throws InterruptedException never in practice; the process is killed
   */
  public static void main(String[] args) throws InterruptedException {
    EventBus bus = EventBus.create(Map.of(
        "relaybus.transport", "kafka",
        "relaybus.kafka.bootstrap-servers", args[0],
        "relaybus.kafka.consumer.session.timeout.ms", "6000",
        "relaybus.kafka.consumer.heartbeat.interval.ms", "1000"));
    bus.subscribe(args[1], SubscribeOptions.builder().group(args[2]).concurrency(2)
        .maxInFlight(8).build(), d -> {
          synchronized (System.out) {
            System.out.println("HANDLED " + d.event().id());
            System.out.flush();
          }
          Thread.sleep(25); // handling takes a while: the kill lands while events are in flight
        });
    System.out.println("READY");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE); // runs until the parent test SIGKILLs this JVM
  }
}
