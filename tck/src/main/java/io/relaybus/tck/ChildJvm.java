package io.relaybus.tck;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Another JVM running a {@code main} class from the test classpath, for tests where a process
 * dies ({@link #kill()} is SIGKILL: no shutdown hook, no {@code finally}, sockets dropped by the
 * kernel). Its stdout and stderr are captured line by line; a test waits for a line such as
 * {@code READY} with {@link #awaitLine}. Closing kills it if it still runs; so does the exit of
 * the test JVM.
 *
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.builder(Publisher.class).env(server.environment(url)).start()) {
 *   child.awaitLineStartingWith("READY", Duration.ofSeconds(30));
 *   child.kill();
 * }
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ChildJvm.class);
  private static final Duration EXIT_WAIT = Duration.ofSeconds(15);
  private static final int LINES_IN_MESSAGES = 40;
  private static final Set<ChildJvm> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(ChildJvm::close),
        "relaybus-test-child-jvm-shutdown"));
  }

  private final String name;
  private final Process process;
  private final OutputStream stdin;
  private final Output stdout;
  private final Output stderr;
  private final Thread stdoutReader;
  private final Thread stderrReader;
  private volatile boolean closed;

  private ChildJvm(String name, Process process) {
    this.name = name;
    this.process = process;
    this.stdin = process.getOutputStream();
    this.stdout = new Output();
    this.stderr = new Output();
    this.stdoutReader = reader(process.getInputStream(), stdout, "stdout");
    this.stderrReader = reader(process.getErrorStream(), stderr, "stderr");
  }

  /**
   * Starts describing a child JVM that runs {@code mainClass} with this JVM's classpath.
   *
   * @param mainClass a class with {@code public static void main(String[])}
   * @return a builder
   */
  public static Builder builder(Class<?> mainClass) {
    Objects.requireNonNull(mainClass, "mainClass");
    return new Builder(mainClass.getName());
  }

  /**
   * The process id.
   *
   * @return the child's pid
   */
  public long pid() {
    return process.pid();
  }

  /**
   * Whether the child is still running.
   *
   * @return false once it has exited or been killed
   */
  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * The stdout lines printed so far.
   *
   * @return a snapshot, oldest first
   */
  public List<String> lines() {
    return stdout.snapshot();
  }

  /**
   * The stderr lines printed so far (logging goes there).
   *
   * @return a snapshot, oldest first
   */
  public List<String> errorLines() {
    return stderr.snapshot();
  }

  /**
   * Waits for a stdout line, printed at any time so far or later, that matches.
   *
   * @param matcher the line to wait for
   * @param timeout how long to wait at most
   * @return the first matching line
   * @throws TestInfrastructureException on timeout, or if the child exits first; the message
   *     shows what it printed
   */
  public String awaitLine(Predicate<String> matcher, Duration timeout) {
    Objects.requireNonNull(matcher, "matcher");
    Objects.requireNonNull(timeout, "timeout");
    String line = stdout.await(matcher, timeout);
    if (line == null) {
      String why = stdout.isClosed() ? "exited" + exitDescription() + " without printing it"
          : "printed no such line in " + timeout.toMillis() + " ms";
      throw new TestInfrastructureException("child JVM " + this + " " + why + describeOutput());
    }
    return line;
  }

  /**
   * Waits for a stdout line starting with {@code prefix}.
   *
   * @param prefix such as {@code READY}
   * @param timeout how long to wait at most
   * @return the whole line
   * @throws TestInfrastructureException on timeout, or if the child exits first
   */
  public String awaitLineStartingWith(String prefix, Duration timeout) {
    Objects.requireNonNull(prefix, "prefix");
    return awaitLine(line -> line.startsWith(prefix), timeout);
  }

  /**
   * Writes a line to the child's stdin and flushes it.
   *
   * @param line the text, without the line terminator
   * @throws TestInfrastructureException if the child no longer reads its stdin
   */
  public void sendLine(String line) {
    Objects.requireNonNull(line, "line");
    try {
      stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    } catch (IOException e) {
      throw new TestInfrastructureException("cannot write to the stdin of child JVM " + this, e);
    }
  }

  /**
   * Waits for the child to exit by itself.
   *
   * @param timeout how long to wait at most
   * @return its exit code
   * @throws TestInfrastructureException if it still runs after {@code timeout}
   */
  public int awaitExit(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (!waitFor(timeout)) {
      throw new TestInfrastructureException("child JVM " + this + " still runs after "
          + timeout.toMillis() + " ms" + describeOutput());
    }
    return process.exitValue();
  }

  /**
   * Kills the child (and any process it started) with SIGKILL and waits until it is gone.
   *
   * @return its exit code: 137 (128 + SIGKILL) unless it had already exited by itself
   * @throws TestInfrastructureException if it survives
   */
  public int kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly(); // SIGKILL on Linux and macOS
    if (!waitFor(EXIT_WAIT)) {
      throw new TestInfrastructureException("child JVM " + this + " survived SIGKILL for "
          + EXIT_WAIT.toSeconds() + " s");
    }
    return process.exitValue();
  }

  /** Kills the child if it still runs and releases its streams and threads; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (process.isAlive()) {
        kill();
      }
    } finally {
      LIVE.remove(this);
      try {
        stdin.close();
      } catch (IOException e) {
        LOG.debug("closing the stdin of {}", this, e);
      }
      join(stdoutReader);
      join(stderrReader);
    }
  }

  private boolean waitFor(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TestInfrastructureException("interrupted while waiting for child JVM " + this, e);
    }
  }

  private static void join(Thread thread) {
    try {
      thread.join(EXIT_WAIT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String exitDescription() {
    waitFor(Duration.ofSeconds(1)); // stdout closes just before the exit status is known
    return process.isAlive() ? " (closed its stdout)" : " with code " + process.exitValue();
  }

  private String describeOutput() {
    return "\n--- stdout (last " + LINES_IN_MESSAGES + " lines) ---\n" + tail(stdout.snapshot())
        + "\n--- stderr (last " + LINES_IN_MESSAGES + " lines) ---\n" + tail(stderr.snapshot());
  }

  private static String tail(List<String> lines) {
    return String.join("\n", lines.subList(Math.max(0, lines.size() - LINES_IN_MESSAGES),
        lines.size()));
  }

  private Thread reader(InputStream stream, Output output, String streamName) {
    String threadName = "relaybus-test-child-" + name + "-" + process.pid() + "-" + streamName;
    Thread thread = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          LOG.debug("[{} {}] {}", name, streamName, line);
          output.add(line);
        }
      } catch (IOException e) {
        LOG.debug("reading the {} of child JVM {} ended", streamName, name, e);
      } finally {
        output.close();
      }
    }, threadName);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }

  /** Lines of one stream; waiters wake on each new line and at the end of the stream. */
  private static final class Output {
    private final List<String> lines = new ArrayList<>(); // guarded by this
    private boolean closed; // guarded by this

    synchronized void add(String line) {
      lines.add(line);
      notifyAll();
    }

    synchronized void close() {
      closed = true;
      notifyAll();
    }

    synchronized boolean isClosed() {
      return closed;
    }

    synchronized List<String> snapshot() {
      return List.copyOf(lines);
    }

    /** The first matching line, or null on timeout or at the end of the stream. */
    synchronized String await(Predicate<String> matcher, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      int checked = 0;
      while (true) {
        for (; checked < lines.size(); checked++) {
          if (matcher.test(lines.get(checked))) {
            return lines.get(checked);
          }
        }
        long remaining = deadline - System.nanoTime();
        if (closed || remaining <= 0) {
          return null;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, remaining);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TestInfrastructureException("interrupted while waiting for a line", e);
        }
      }
    }
  }

  /** What to run; not thread-safe. */
  public static final class Builder {
    private final String mainClass;
    private final List<String> args = new ArrayList<>();
    private final List<String> jvmOptions = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private String name;

    private Builder(String mainClass) {
      this.mainClass = mainClass;
      this.name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
    }

    /**
     * Adds program arguments.
     *
     * @param values the arguments, in order
     * @return this builder
     */
    public Builder args(String... values) {
      for (String value : values) {
        args.add(Objects.requireNonNull(value, "args element"));
      }
      return this;
    }

    /**
     * Adds a JVM option such as {@code -Dkey=value} or {@code -Xmx64m}; it overrides the
     * defaults ({@code -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx512m}, for a quick start
     * on a small machine).
     *
     * @param option the option
     * @return this builder
     */
    public Builder jvmOption(String option) {
      jvmOptions.add(Objects.requireNonNull(option, "option"));
      return this;
    }

    /**
     * Sets an environment variable of the child (which otherwise inherits this JVM's).
     *
     * @param key the variable
     * @param value its value
     * @return this builder
     */
    public Builder env(String key, String value) {
      env.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Sets environment variables, such as the addresses of a test server.
     *
     * @param variables the variables
     * @return this builder
     */
    public Builder env(Map<String, String> variables) {
      Objects.requireNonNull(variables, "variables").forEach(this::env);
      return this;
    }

    /**
     * Names the child in thread names, logs and messages (default: the main class's simple
     * name).
     *
     * @param value the name
     * @return this builder
     */
    public Builder name(String value) {
      this.name = Objects.requireNonNull(value, "name");
      return this;
    }

    /**
     * Starts the child JVM.
     *
     * @return the running child, which the caller closes
     * @throws TestInfrastructureException if the process cannot be started
     */
    public ChildJvm start() {
      List<String> command = new ArrayList<>();
      command.add(javaBinary());
      command.add("-XX:+UseSerialGC");
      command.add("-XX:TieredStopAtLevel=1");
      command.add("-Xmx512m");
      command.add("-Dsun.stdout.encoding=UTF-8");
      command.add("-Dsun.stderr.encoding=UTF-8");
      command.addAll(jvmOptions);
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(mainClass);
      command.addAll(args);
      ProcessBuilder builder = new ProcessBuilder(command);
      builder.environment().putAll(env);
      try {
        ChildJvm child = new ChildJvm(name, builder.start());
        LIVE.add(child);
        LOG.debug("started child JVM {}: {}", child, mainClass);
        return child;
      } catch (IOException e) {
        throw new TestInfrastructureException("cannot start a child JVM running " + mainClass, e);
      }
    }

    private static String javaBinary() {
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      if (Files.isExecutable(java)) {
        return java.toString();
      }
      return ProcessHandle.current().info().command()
          .orElseThrow(() -> new TestInfrastructureException("cannot find the java binary of "
              + "this JVM (java.home is " + System.getProperty("java.home") + ")"));
    }
  }
}
