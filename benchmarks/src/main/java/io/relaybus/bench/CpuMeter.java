package io.relaybus.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time used by this JVM and by its child processes (an embedded broker or database server
 * started by the benchmark), read before and after a measurement. Unlike events per second, CPU
 * per event changes little when other programs load the machine, so it shows what a change of
 * the code costs even on a busy machine.
 */
final class CpuMeter {
  /** Linux reports process times in clock ticks, 100 per second on every common kernel. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private final long ownStart;
  private final long childrenStart;
  private final Map<Long, Long> threadsStart;
  private final Map<Long, Long> allocatedStart;
  private volatile Map<String, Long> threadsAtEnd = Map.of();
  private volatile Map<String, Long> allocatedAtEnd = Map.of();

  private CpuMeter() {
    this.ownStart = ownCpuNanos();
    this.childrenStart = childrenCpuNanos();
    this.threadsStart = perThread(ThreadMXBean::getThreadCpuTime);
    this.allocatedStart = perThread(CpuMeter::allocatedBytes);
  }

  /**
   * Records, while the measured threads are still alive, the CPU nanoseconds and bytes
   * allocated by each of this JVM's threads since the start, by thread name with numbers
   * replaced by {@code #} (so a pool's threads add up). JVM-internal threads (GC, compiler)
   * are not Java threads and appear only in {@link #ownNanos()}.
   */
  void markThreadsAtEnd() {
    threadsAtEnd = byName(perThread(ThreadMXBean::getThreadCpuTime), threadsStart);
    allocatedAtEnd = byName(perThread(CpuMeter::allocatedBytes), allocatedStart);
  }

  /** CPU nanoseconds per thread name recorded by {@link #markThreadsAtEnd()}, largest first. */
  Map<String, Long> threadsAtEnd() {
    return threadsAtEnd;
  }

  /** Bytes allocated per thread name recorded by {@link #markThreadsAtEnd()}. */
  Map<String, Long> allocatedAtEnd() {
    return allocatedAtEnd;
  }

  /** A per-thread counter of every live thread (negative readings, unsupported, left out). */
  private static Map<Long, Long> perThread(java.util.function.ToLongBiFunction<ThreadMXBean, Long>
      counter) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, Long> values = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long v = counter.applyAsLong(threads, id);
      if (v >= 0) {
        values.put(id, v);
      }
    }
    return values;
  }

  private static long allocatedBytes(ThreadMXBean threads, long id) {
    return threads instanceof com.sun.management.ThreadMXBean
        ? ((com.sun.management.ThreadMXBean) threads).getThreadAllocatedBytes(id) : -1;
  }

  /** Growth since {@code start} per thread name, largest first. */
  private static Map<String, Long> byName(Map<Long, Long> now, Map<Long, Long> start) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Long> byName = new HashMap<>();
    for (Map.Entry<Long, Long> e : now.entrySet()) {
      ThreadInfo info = threads.getThreadInfo(e.getKey());
      if (info != null) {
        byName.merge(info.getThreadName().replaceAll("[0-9]+", "#"),
            e.getValue() - start.getOrDefault(e.getKey(), 0L), Long::sum);
      }
    }
    Map<String, Long> sorted = new LinkedHashMap<>();
    byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return sorted;
  }

  /** Starts measuring now. */
  static CpuMeter start() {
    return new CpuMeter();
  }

  /** CPU nanoseconds this JVM used since the start. */
  long ownNanos() {
    return ownCpuNanos() - ownStart;
  }

  /** CPU nanoseconds the child processes used since the start (0 where /proc is missing). */
  long childrenNanos() {
    return childrenCpuNanos() - childrenStart;
  }

  private static long ownCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return 0;
  }

  private static long childrenCpuNanos() {
    return ProcessHandle.current().descendants().mapToLong(p -> ticks(p.pid())).sum()
        * NANOS_PER_TICK;
  }

  private static long ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // Fields after the command name (which may hold spaces) start at ") ": state is the
      // first, utime the 12th and stime the 13th of them.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
