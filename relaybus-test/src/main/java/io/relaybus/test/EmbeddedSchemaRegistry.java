package io.relaybus.test;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Apicurio Registry 3 run as a child process with in-memory storage, serving the
 * Confluent-compatible API on a free loopback port. Its distribution is the archive
 * {@code io.apicurio:apicurio-registry-app:<version>:tar.gz:all}, found in the local Maven
 * repository (or at {@value #DISTRIBUTION_PROPERTY}) and unpacked once per version under the
 * temporary directory; it runs on a Java 21+ runtime: {@value #JAVA21_ENV}, else this JVM if it
 * is 21+, else the newest JDK 21+ in the usual install folders.
 */
final class EmbeddedSchemaRegistry {
  /** System property: the distribution's {@code .tar.gz}, or a folder it was unpacked into. */
  static final String DISTRIBUTION_PROPERTY = "relaybus.test.apicurio.distribution";
  /** A JDK 21+ home to run Apicurio with. */
  static final String JAVA21_ENV = "RELAYBUS_TEST_JAVA21_HOME";
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
  private static final String RUNNER = "quarkus-run.jar";

  private EmbeddedSchemaRegistry() {}

  static RegistryEndpoint start() {
    String version = Versions.get("apicurio-registry");
    Path java = findJava21().orElseThrow(() -> new TestServerException("the embedded schema"
        + " registry (Apicurio Registry " + version + ") needs a Java 21+ runtime and none was"
        + " found: set " + JAVA21_ENV + " to a JDK 21+ home, run the tests on Java 21+, set "
        + RelaybusServers.SCHEMA_REGISTRY_URL_ENV + " to a running Confluent-compatible"
        + " registry, or use " + RelaybusServers.SERVERS_PROPERTY + "=testcontainers"));
    Path home = distribution(version);
    int port = EmbeddedPostgresServer.freePort();
    Path runDir;
    try {
      runDir = Files.createTempDirectory("relaybus-test-apicurio-");
    } catch (IOException e) {
      throw new TestServerException("cannot create a folder for Apicurio Registry", e);
    }
    Path log = runDir.resolve("apicurio-registry.log");
    List<String> command = new ArrayList<>(List.of(java.toString(),
        "-Xmx512m", "-XX:TieredStopAtLevel=1",
        "-Dquarkus.http.host=127.0.0.1",
        "-Dquarkus.http.port=" + port,
        // The management interface is built in; keep it off 0.0.0.0:9000, which others may hold.
        "-Dquarkus.management.host=127.0.0.1",
        "-Dquarkus.management.port=" + EmbeddedPostgresServer.freePort(),
        "-Dquarkus.otel.enabled=false",
        "-jar", home.resolve(RUNNER).toString()));
    Process process;
    try {
      process = new ProcessBuilder(command).directory(runDir.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw new TestServerException("cannot start Apicurio Registry with " + java, e);
    }
    String url = "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    RegistryEndpoint server = new RegistryEndpoint(url, "embedded Apicurio Registry " + version
        + ", log " + log, () -> stop(process, runDir));
    try {
      awaitReady(process, url, log);
    } catch (RuntimeException e) {
      stop(process, runDir);
      throw e;
    }
    return server;
  }

  /** The unpacked distribution: the property, else the archive in the local Maven repository. */
  private static Path distribution(String version) {
    String configured = System.getProperty(DISTRIBUTION_PROPERTY);
    Path archive;
    if (configured != null && !configured.isBlank()) {
      Path path = Path.of(configured.trim());
      if (Files.isRegularFile(path.resolve(RUNNER))) {
        return path;
      }
      if (!Files.isRegularFile(path)) {
        throw new TestServerException(DISTRIBUTION_PROPERTY + "=" + configured
            + " is neither an Apicurio Registry .tar.gz nor a folder holding " + RUNNER);
      }
      archive = path;
    } else {
      archive = localRepository().resolve("io/apicurio/apicurio-registry-app/" + version
          + "/apicurio-registry-app-" + version + "-all.tar.gz");
      if (!Files.isRegularFile(archive)) {
        throw new TestServerException("the embedded schema registry needs Apicurio Registry's"
            + " distribution, not found at " + archive + ": add to the project's test"
            + " dependencies io.apicurio:apicurio-registry-app:" + version + " with"
            + " <classifier>all</classifier>, <type>tar.gz</type> and an exclusion of *:*"
            + " (see the README, \"Getting servers for development and tests\"), set "
            + DISTRIBUTION_PROPERTY + " to the archive, or set "
            + RelaybusServers.SCHEMA_REGISTRY_URL_ENV + " to a running registry");
      }
    }
    return unpacked(archive, version);
  }

  /** Maven's local repository, as Surefire and the command line name it, else the default. */
  private static Path localRepository() {
    for (String property : List.of("maven.repo.local", "localRepository")) {
      String value = System.getProperty(property);
      if (value != null && !value.isBlank()) {
        return Path.of(value.trim());
      }
    }
    return Path.of(System.getProperty("user.home"), ".m2", "repository");
  }

  /**
   * Unpacks the archive once: into a fresh folder, moved into place when complete, so that two
   * JVMs starting at once never run a half-written distribution.
   */
  private static Path unpacked(Path archive, String version) {
    Path cache = Path.of(System.getProperty("java.io.tmpdir"), "relaybus-test");
    Path target = cache.resolve("apicurio-registry-" + version);
    if (Files.isRegularFile(target.resolve(RUNNER))) {
      return target;
    }
    Path partial;
    try {
      Files.createDirectories(cache);
      partial = Files.createTempDirectory(cache, "apicurio-unpacking-");
      try (InputStream in = new GZIPInputStream(new BufferedInputStream(
          Files.newInputStream(archive)));
          TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
          Path to = partial.resolve(entry.getName()).normalize();
          if (!to.startsWith(partial)) {
            throw new IOException("entry outside the archive's folder: " + entry.getName());
          }
          if (entry.isDirectory()) {
            Files.createDirectories(to);
          } else if (entry.isFile()) {
            Files.createDirectories(to.getParent());
            Files.copy(tar, to, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      Path home = findRunner(partial).orElseThrow(() -> new IOException("no " + RUNNER
          + " in the archive"));
      try {
        Files.move(home, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        // Another JVM moved its copy into place first (a non-empty target cannot be replaced).
        if (!Files.isRegularFile(target.resolve(RUNNER))) {
          throw e;
        }
      }
      EmbeddedKafkaServer.deleteRecursively(partial);
      return target;
    } catch (IOException e) {
      throw new TestServerException("cannot unpack Apicurio Registry from " + archive + " into "
          + target + ": " + e.getMessage(), e);
    }
  }

  private static Optional<Path> findRunner(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root, 3)) {
      return files.filter(f -> f.getFileName().toString().equals(RUNNER)).map(Path::getParent)
          .findFirst();
    }
  }

  private static void awaitReady(Process process, String url, Path log) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest probe = HttpRequest.newBuilder(URI.create(url + "/subjects"))
        .timeout(Duration.ofSeconds(5)).GET().build();
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    String last = "no answer yet";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new TestServerException("Apicurio Registry exited with code " + process.exitValue()
            + " before it was ready; " + EmbeddedKafkaServer.tail(log));
      }
      try {
        HttpResponse<String> response = http.send(probe,
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() == 200) {
          return;
        }
        last = "HTTP " + response.statusCode();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TestServerException("interrupted while waiting for Apicurio Registry", e);
      }
      Pause.briefly();
    }
    throw new TestServerException("Apicurio Registry was not ready at " + url + " after "
        + STARTUP_TIMEOUT.toSeconds() + " s (last probe: " + last + "); "
        + EmbeddedKafkaServer.tail(log));
  }

  private static void stop(Process process, Path runDir) {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    EmbeddedKafkaServer.deleteRecursively(runDir);
  }

  /** The java launcher of a JDK 21+: the variable, this JVM, or the newest installed one. */
  static Optional<Path> findJava21() {
    String configured = System.getenv(JAVA21_ENV);
    if (configured != null && !configured.isBlank()) {
      Path java = launcher(Path.of(configured.trim()));
      if (!Files.isExecutable(java)) {
        throw new TestServerException(JAVA21_ENV + "=" + configured + " has no executable "
            + java);
      }
      return Optional.of(java);
    }
    if (Runtime.version().feature() >= 21) {
      return Optional.of(launcher(Path.of(System.getProperty("java.home"))));
    }
    List<Path> homes = new ArrayList<>();
    for (String folder : List.of("/usr/lib/jvm", "/Library/Java/JavaVirtualMachines",
        "C:\\Program Files\\Java", "C:\\Program Files\\Eclipse Adoptium")) {
      Path dir = Path.of(folder);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> children = Files.list(dir)) {
        children.forEach(home -> {
          homes.add(home);
          homes.add(home.resolve("Contents/Home")); // macOS bundles
        });
      } catch (IOException e) {
        // an unreadable folder holds no JDK we can use
      }
    }
    return homes.stream().filter(home -> Files.isExecutable(launcher(home)))
        .filter(home -> featureVersion(home) >= 21)
        .max(Comparator.comparingInt(EmbeddedSchemaRegistry::featureVersion))
        .map(EmbeddedSchemaRegistry::launcher);
  }

  private static Path launcher(Path home) {
    boolean windows = System.getProperty("os.name", "").startsWith("Windows");
    return home.resolve("bin").resolve(windows ? "java.exe" : "java");
  }

  private static int featureVersion(Path home) {
    Path release = home.resolve("release");
    if (!Files.isRegularFile(release)) {
      return 0;
    }
    Properties properties = new Properties();
    try (var reader = Files.newBufferedReader(release, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException e) {
      return 0;
    }
    String version = properties.getProperty("JAVA_VERSION", "").replace("\"", "");
    try {
      return Integer.parseInt(version.split("[.+-]")[0]);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
