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
  private volatile Map<String, Long> allocatedAtEnd = Map.of();
  private volatile Map<String, Long> threadsAtEnd = Map.of();

  private CpuMeter() {
    this.ownStart = ownCpuNanos();
    this.childrenStart = childrenCpuNanos();
    this.threadsStart = threadCpuNanos();
    this.allocatedStart = allocatedBytes();
  }

  /** Bytes allocated per thread name (numbers as {@code #}) between start and the mark. */
  Map<String, Long> allocatedAtEnd() {
    return allocatedAtEnd;
  }

  private static Map<Long, Long> allocatedBytes() {
    Map<Long, Long> bytes = new HashMap<>();
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean) {
      com.sun.management.ThreadMXBean threads =
          (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      for (long id : threads.getAllThreadIds()) {
        long b = threads.getThreadAllocatedBytes(id);
        if (b >= 0) {
          bytes.put(id, b);
        }
      }
    }
    return bytes;
  }

  /**
   * CPU nanoseconds of this JVM's threads since the start, by thread name with numbers
   * replaced by {@code #} (so a pool's threads add up), largest first. JVM-internal threads
   * (GC, compiler) are not Java threads and appear only in {@link #ownNanos()}.
   */
  Map<String, Long> threadNanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Long> byName = new HashMap<>();
    for (Map.Entry<Long, Long> e : threadCpuNanos().entrySet()) {
      ThreadInfo info = threads.getThreadInfo(e.getKey());
      if (info == null) {
        continue;
      }
      long used = e.getValue() - threadsStart.getOrDefault(e.getKey(), 0L);
      byName.merge(info.getThreadName().replaceAll("[0-9]+", "#"), used, Long::sum);
    }
    Map<String, Long> sorted = new LinkedHashMap<>();
    byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return sorted;
  }

  /** Records {@link #threadNanos()} now, while the measured threads are still alive. */
  void markThreadsAtEnd() {
    threadsAtEnd = threadNanos();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Long> byName = new HashMap<>();
    for (Map.Entry<Long, Long> e : allocatedBytes().entrySet()) {
      ThreadInfo info = threads.getThreadInfo(e.getKey());
      if (info != null) {
        byName.merge(info.getThreadName().replaceAll("[0-9]+", "#"),
            e.getValue() - allocatedStart.getOrDefault(e.getKey(), 0L), Long::sum);
      }
    }
    allocatedAtEnd = byName;
  }

  /** What {@link #markThreadsAtEnd()} recorded (empty when it was not called). */
  Map<String, Long> threadsAtEnd() {
    return threadsAtEnd;
  }

  private static Map<Long, Long> threadCpuNanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, Long> cpu = new HashMap<>();
    if (!threads.isThreadCpuTimeSupported()) {
      return cpu;
    }
    for (long id : threads.getAllThreadIds()) {
      long t = threads.getThreadCpuTime(id);
      if (t >= 0) {
        cpu.put(id, t);
      }
    }
    return cpu;
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
