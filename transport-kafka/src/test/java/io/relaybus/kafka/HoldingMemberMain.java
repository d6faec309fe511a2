package io.relaybus.kafka;

import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.util.Map;

/**
 * A group member in its own JVM, for {@link KafkaFinishedAheadTest}: every event whose text
 * starts with {@code held} fails (a second attempt after 200 ms, then a wait of 20 s), every
 * other one succeeds after {@code handle-millis}. Prints {@code READY}, then
 * {@code ATTEMPT <id> <attempt>} for each failed try and {@code HANDLED <id> <epoch millis>} for
 * each event finished, until the test SIGKILLs it. Arguments: bootstrap servers, topic, group,
 * {@code commit-metadata-max-bytes}, handle-millis.
 */
public final class HoldingMemberMain {
  private HoldingMemberMain() {}

  /**
   * Runs the member.
   *
   * @param args bootstrap servers, topic, group, metadata limit, handling time in ms
   * @throws InterruptedException never in practice; the process is killed
   */
  public static void main(String[] args) throws InterruptedException {
    long handleMillis = Long.parseLong(args[4]);
    EventBus bus = EventBus.create(Map.of(
        "relaybus.transport", "kafka",
        "relaybus.kafka.bootstrap-servers", args[0],
        "relaybus.kafka.partitions", "1",
        KafkaSettings.COMMIT_METADATA_MAX_BYTES, args[3],
        "relaybus.kafka.consumer.session.timeout.ms", "6000",
        "relaybus.kafka.consumer.heartbeat.interval.ms", "1000"));
    bus.subscribe(args[1], SubscribeOptions.builder().group(args[2]).concurrency(4)
        .maxInFlight(64).retryPolicy(KafkaFinishedAheadTest.HOLD).build(), d -> {
          if (d.event().dataAsText().startsWith("held")) {
            print("ATTEMPT " + d.event().id() + " " + d.attempt());
            throw new IllegalStateException("held, attempt " + d.attempt());
          }
          if (handleMillis > 0) {
            // Not a wait for anything: handling takes this long, so that the parent's SIGKILL
            // lands while events are being handled (the fault window the test needs).
            Thread.sleep(handleMillis);
          }
          print("HANDLED " + d.event().id() + " " + System.currentTimeMillis());
        });
    print("READY");
    // Nothing to wait for: this JVM handles events until the parent test SIGKILLs it.
    Thread.sleep(Long.MAX_VALUE);
  }

  private static void print(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }
}
