package io.relaybus.ops;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One running member of a consumer group, as the transport knows it.
 *
 * @param id the member's id on the transport (a PostgreSQL member id, a Kafka consumer's member
 *     id, a webhook member's URL); unique within the group
 * @param host where it runs, as the transport knows it (a process, a Kafka client id and host,
 *     a webhook member's host and port); empty when the transport does not record it
 * @param partitions the partitions it holds, ascending; on a transport whose members share one
 *     queue (memory, webhook) every member holds partition 0; empty when it holds none yet
 * @param lastSeen when the transport last knew it alive (a heartbeat; now for a member running
 *     in this process); empty when the transport does not record it
 */
public record GroupMember(String id, Optional<String> host, List<Integer> partitions,
    Optional<Instant> lastSeen) {

  /**
   * Validates the components.
   *
   * @param id the id
   * @param host where it runs
   * @param partitions the partitions it holds
   * @param lastSeen when last seen alive
   */
  public GroupMember {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(host, "host");
    partitions = partitions.stream().sorted().toList();
    Objects.requireNonNull(lastSeen, "lastSeen");
  }

  /**
   * A member running in this process: where it runs is this process ({@link #thisProcess()}),
   * and it is seen alive now.
   *
   * @param id the member's id
   * @param partitions the partitions it holds
   * @return the member
   */
  public static GroupMember inThisProcess(String id, List<Integer> partitions) {
    return new GroupMember(id, Optional.of(thisProcess()), partitions,
        Optional.of(Instant.now()));
  }

  /**
   * This process as {@link #host()} names it: {@code pid <pid> on <host name>}.
   *
   * @return this process's description
   */
  public static String thisProcess() {
    return ThisProcess.NAME;
  }

  /** Resolved once: the host name lookup may ask DNS. */
  private static final class ThisProcess {
    static final String NAME = describe();

    private static String describe() {
      String pid = "pid " + ProcessHandle.current().pid();
      try {
        return pid + " on " + InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        return pid;
      }
    }
  }
}
