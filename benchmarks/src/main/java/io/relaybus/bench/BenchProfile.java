package io.relaybus.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where the time of the end-to-end runs goes ({@code --set relaybus.bench.profile=on} of
 * {@link WebhookComparison}): CPU per thread of this JVM (grouped by thread name without its
 * numbers), CPU of the PostgreSQL server's processes (embedded server only), the server's
 * statements ({@code pg_stat_statements}: calls and execution time) and what the webhook
 * dispatcher thread was doing, sampled by its stack. Collected over every measured end-to-end
 * sample of the Relaybus side and printed per delivered event at the end.
 *
 * <p>Threads and server processes are sampled every {@value #SAMPLE_MILLIS} ms, so the CPU of
 * one that ends (a session's threads, a closed pool's backends) is counted up to its last
 * sample. The sampling costs CPU and safepoints of its own: numbers of a profiled run are not
 * the run's throughput.
 */
final class BenchProfile {
  /** {@code on} profiles the end-to-end runs of the Relaybus side; default {@code off}. */
  static final String KEY = "relaybus.bench.profile";
  /** The webhook dispatcher thread's name, without its number. */
  private static final String DISPATCHER = "relaybus-webhook-dispatcher";
  private static final int SAMPLE_MILLIS = 5;
  private static final int CPU_EVERY_SAMPLES = 10;
  private static final long TICK_NANOS = 10_000_000L; // USER_HZ 100 on Linux

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  /** CPU nanoseconds per thread-name group, over every profiled run. */
  private final Map<String, Long> threadCpu = new TreeMap<>();
  /** Dispatcher stack samples per state. */
  private final Map<String, Long> dispatcherStates = new TreeMap<>();
  /** Calls and execution milliseconds per statement, over every profiled run. */
  private final Map<String, double[]> statements = new LinkedHashMap<>();
  /** Why the server's statements cannot be read, or {@code null}. */
  private String statementsMissing;
  private long serverCpuNanos;
  private long events;
  private long nanos;
  private long dispatcherSamples;

  private Thread sampler;
  private volatile boolean sampling;
  private final Map<Long, Long> runThreadCpu = new HashMap<>();
  private final Map<Long, String> runThreadNames = new HashMap<>();
  private final Map<Integer, Long> runServerCpu = new HashMap<>();
  private final Map<Integer, Long> serverCpuAtStart = new HashMap<>();
  private final Map<Long, Long> threadCpuAtStart = new HashMap<>();
  /** The dispatcher threads seen at the last CPU sample. */
  private volatile long[] dispatcherIds = new long[0];

  /**
   * Whether the settings ask for a profile.
   *
   * @param settings the benchmark's {@code --set} keys
   * @return {@code true} for {@code on}
   */
  static boolean requested(Map<String, String> settings) {
    String v = settings.getOrDefault(KEY, "off").trim();
    if (!v.equals("on") && !v.equals("off")) {
      throw new IllegalArgumentException(KEY + " must be on or off, got '" + v + "'");
    }
    return v.equals("on");
  }

  /** Starts sampling before one end-to-end run; resets the server's statement counters. */
  void start(boolean server) {
    if (server) {
      try (Connection c = PostgresServer.get().connect(); Statement st = c.createStatement()) {
        st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        st.execute("SELECT pg_stat_statements_reset()");
      } catch (SQLException e) { // an external server, or one started before without it
        statementsMissing = e.getMessage();
      }
      serverCpuAtStart.clear();
      serverCpuAtStart.putAll(serverProcessCpu());
    }
    runThreadCpu.clear();
    runThreadNames.clear();
    runServerCpu.clear();
    threadCpuAtStart.clear();
    for (long id : threads.getAllThreadIds()) {
      threadCpuAtStart.put(id, Math.max(0, threads.getThreadCpuTime(id)));
    }
    sampling = true;
    sampler = new Thread(() -> sample(server), "bench-profile-sampler");
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Stops sampling after a run that delivered {@code delivered} events in {@code runNanos}. */
  void stop(boolean server, long delivered, long runNanos) {
    sampling = false;
    try {
      sampler.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sampleCpu(server);
    runThreadCpu.forEach((id, cpu) -> threadCpu.merge(group(runThreadNames.get(id)),
        cpu - threadCpuAtStart.getOrDefault(id, 0L), Long::sum));
    if (server) {
      runServerCpu.forEach((pid, cpu) -> serverCpuNanos += cpu
          - serverCpuAtStart.getOrDefault(pid, 0L));
      if (statementsMissing == null) {
        readStatements();
      }
    }
    events += delivered;
    nanos += runNanos;
  }

  private void sample(boolean server) {
    long n = 0;
    while (sampling) {
      if (n++ % CPU_EVERY_SAMPLES == 0) {
        sampleCpu(server);
      }
      sampleDispatcher();
      try {
        Thread.sleep(SAMPLE_MILLIS); // a sampling period, not a synchronisation
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void sampleCpu(boolean server) {
    long self = Thread.currentThread().getId();
    List<Long> dispatchers = new ArrayList<>();
    for (long id : threads.getAllThreadIds()) {
      if (id == self && sampling) {
        continue;
      }
      long cpu = threads.getThreadCpuTime(id);
      ThreadInfo info = threads.getThreadInfo(id);
      if (cpu > 0 && info != null && !info.getThreadName().equals("bench-profile-sampler")) {
        runThreadCpu.merge(id, cpu, Math::max);
        runThreadNames.put(id, info.getThreadName());
      }
      if (info != null && info.getThreadName().startsWith(DISPATCHER)) {
        dispatchers.add(id);
      }
    }
    dispatcherIds = dispatchers.stream().mapToLong(Long::longValue).toArray();
    if (server) {
      serverProcessCpu().forEach((pid, cpu) -> runServerCpu.merge(pid, cpu, Math::max));
    }
  }

  private void sampleDispatcher() {
    for (ThreadInfo info : threads.getThreadInfo(dispatcherIds, 64)) {
      if (info != null) {
        dispatcherStates.merge(state(info), 1L, Long::sum);
        dispatcherSamples++;
      }
    }
  }

  /**
   * What a dispatcher sample shows: the outbox or dispatcher method it is in (the innermost
   * frame of {@code io.relaybus}) and whether it waits for the database (a socket read), for
   * work (parked) or runs.
   */
  private static String state(ThreadInfo info) {
    StackTraceElement[] stack = info.getStackTrace();
    String where = "?";
    for (StackTraceElement e : stack) {
      if (e.getClassName().startsWith("io.relaybus.")) {
        String cls = e.getClassName().substring(e.getClassName().lastIndexOf('.') + 1);
        where = cls + "." + e.getMethodName();
        break;
      }
    }
    String what = "runs";
    for (StackTraceElement e : stack) {
      String m = e.getClassName() + "." + e.getMethodName();
      if (m.contains("SocketDispatcher.read") || m.contains("NioSocketImpl.read")
          || m.contains("SocketInputStream.read")) {
        what = "waits for the database";
        break;
      }
      if (m.startsWith("jdk.internal.misc.Unsafe.park") || m.contains("LockSupport.park")) {
        what = "parked";
        break;
      }
    }
    return what + " in " + where;
  }

  private static String group(String name) {
    return name == null ? "?" : name.replaceAll("[0-9]+", "N");
  }

  /** CPU of the embedded server's processes (postmaster and its children), by pid. */
  private static Map<Integer, Long> serverProcessCpu() {
    Map<Integer, Long> out = new HashMap<>();
    Integer postmaster = PostgresServer.get().postmasterPid();
    if (postmaster == null) {
      return out;
    }
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).forEach(p -> {
        try {
          String stat = Files.readString(p.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          int pid = Integer.parseInt(p.getFileName().toString());
          int ppid = Integer.parseInt(f[1]);
          if (pid == postmaster || ppid == postmaster) {
            out.put(pid, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS);
          }
        } catch (IOException | RuntimeException e) {
          // the process ended meanwhile
        }
      });
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  private void readStatements() {
    try (Connection c = PostgresServer.get().connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT query, calls, total_exec_time FROM "
            + "pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' "
            + "ORDER BY total_exec_time DESC")) {
      while (rs.next()) {
        String q = rs.getString(1).replaceAll("\\s+", " ");
        double[] v = statements.computeIfAbsent(q, k -> new double[2]);
        v[0] += rs.getLong(2);
        v[1] += rs.getDouble(3);
      }
    } catch (SQLException e) {
      throw new BenchmarkException("cannot read pg_stat_statements: " + e.getMessage(), e);
    }
  }

  /**
   * Prints the profile, per delivered event.
   *
   * @param out where
   */
  void print(PrintStream out) {
    if (events == 0) {
      return;
    }
    out.printf(Locale.ROOT, "%n## Profile of the Relaybus end-to-end runs (%s=on)%n%n", KEY);
    out.printf(Locale.ROOT, "- %,d events delivered in %.2f s of runs%n", events, nanos / 1e9);
    long jvm = threadCpu.values().stream().mapToLong(Long::longValue).sum();
    out.printf(Locale.ROOT, "- JVM threads' CPU: %.1f us per event; PostgreSQL server "
        + "processes: %.1f us per event%n%n", jvm / 1e3 / events, serverCpuNanos / 1e3 / events);
    out.println("| thread (numbers as N) | CPU us per event | share of run time |");
    out.println("|---|--:|--:|");
    threadCpu.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .filter(e -> e.getValue() * 1000 >= jvm)
        .forEach(e -> out.printf(Locale.ROOT, "| %s | %.2f | %.0f %% |%n", e.getKey(),
            e.getValue() / 1e3 / events, 100.0 * e.getValue() / nanos));
    if (dispatcherSamples > 0) {
      out.printf(Locale.ROOT, "%n| dispatcher thread (%,d stack samples) | share |%n|---|--:|%n",
          dispatcherSamples);
      dispatcherStates.entrySet().stream()
          .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
          .forEach(e -> out.printf(Locale.ROOT, "| %s | %.1f %% |%n", e.getKey(),
              100.0 * e.getValue() / dispatcherSamples));
    }
    if (statementsMissing != null) {
      out.printf(Locale.ROOT, "%nServer statements: pg_stat_statements not available (%s)%n",
          statementsMissing);
    } else if (!statements.isEmpty()) {
      double calls = statements.values().stream().mapToDouble(v -> v[0]).sum();
      out.printf(Locale.ROOT, "%nServer statements (pg_stat_statements): %.2f per delivered "
          + "event%n%n| calls per 1,000 events | exec us per event | mean us | statement |%n"
          + "|--:|--:|--:|---|%n", calls / events);
      List<Map.Entry<String, double[]>> rows = new ArrayList<>(statements.entrySet());
      rows.sort((a, b) -> Double.compare(b.getValue()[1], a.getValue()[1]));
      for (Map.Entry<String, double[]> e : rows) {
        double[] v = e.getValue();
        if (v[0] * 1000 / events < 0.5) {
          continue;
        }
        String q = e.getKey();
        out.printf(Locale.ROOT, "| %.1f | %.2f | %.1f | `%s` |%n", v[0] * 1000 / events,
            v[1] * 1000 / events, v[1] * 1000 / v[0],
            q.length() > 140 ? q.substring(0, 140) + "…" : q);
      }
    }
  }
}
