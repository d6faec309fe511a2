package io.relaybus.bench;

import io.relaybus.EventBus;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * One group member of {@link RedeliveryAfterKill}, in its own JVM so that the harness can
 * SIGKILL it. Every event it finishes is appended to its file as
 * {@code <seq> <attempt> <epoch micros>} with one {@code write} each, unbuffered: the kernel
 * has the line as soon as the handler returns, so a kill loses no record of a handled event.
 * The events chosen by {@link #failsOnce} fail their first attempt and are retried with the
 * bus's default backoff.
 *
 * <p>Arguments: bus properties file, topic, group, handlers (concurrency), fail rate, handling
 * time in ms, output file. Prints {@code READY} once subscribed; runs until killed.
 */
public final class RedeliveryMember {
  private RedeliveryMember() {}

  /**
   * Runs the member.
   *
   * @param args see the class description
   * @throws Exception when the bus cannot start; the process then exits
   */
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    try (InputStream in = new FileInputStream(args[0])) {
      props.load(in);
    }
    Map<String, String> settings = new LinkedHashMap<>();
    props.stringPropertyNames().forEach(k -> settings.put(k, props.getProperty(k)));
    String topic = args[1];
    String group = args[2];
    int handlers = Integer.parseInt(args[3]);
    double failRate = Double.parseDouble(args[4]);
    long handleMillis = Long.parseLong(args[5]);
    FileOutputStream out = new FileOutputStream(args[6], true);
    EventBus bus = EventBus.builder().properties(settings).build();
    bus.subscribe(topic, SubscribeOptions.builder().group(group).concurrency(handlers)
        .startPosition(StartPosition.EARLIEST).build(), d -> {
          long seq = Long.parseLong(d.event().dataAsText());
          if (d.attempt() == 1 && failsOnce(seq, failRate)) {
            throw new IllegalStateException("event " + seq + " fails its first attempt");
          }
          if (handleMillis > 0) {
            Thread.sleep(handleMillis);
          }
          Instant now = Instant.now();
          byte[] line = (seq + " " + d.attempt() + " "
              + (now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000) + "\n")
              .getBytes(StandardCharsets.US_ASCII);
          synchronized (out) {
            out.write(line);
          }
        });
    System.out.println("READY");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE); // until the harness kills this JVM
  }

  /**
   * Whether event {@code seq} fails its first attempt: a fixed pseudo-random choice of about
   * {@code rate} of the events, the same in every process.
   *
   * @param seq the event's sequence number
   * @param rate the fraction to fail, 0 to 1
   * @return true for the chosen events
   */
  static boolean failsOnce(long seq, double rate) {
    long z = seq + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (z >>> 11) * 0x1.0p-53 < rate;
  }
}
