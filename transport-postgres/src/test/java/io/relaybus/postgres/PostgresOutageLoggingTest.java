package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.spi.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * While the database is unreachable, the jobs that retry log one WARN with the cause the pool
 * hides (not one per retry) and one INFO when they succeed again. The database "goes away" by
 * pointing the DataSource at a closed port and "comes back" by pointing it at the server again.
 */
class PostgresOutageLoggingTest {
  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_outage_logs");
  private final TestBuses buses = DB.buses();

  private PrintStream originalErr;
  private final ByteArrayOutputStream logged = new ByteArrayOutputStream();

  /** A DataSource that counts the connections asked of it; its port can be switched. */
  private static final class SwitchableDataSource extends PGSimpleDataSource {
    private static final long serialVersionUID = 1L;
    final AtomicInteger asked = new AtomicInteger();

    @Override
    public Connection getConnection() throws SQLException {
      asked.incrementAndGet();
      return super.getConnection();
    }
  }

  @BeforeEach
  void captureLog() {
    buses.bus(); // creates the schema
    originalErr = System.err;
    System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreLog() {
    System.setErr(originalErr);
    originalErr.print(logged.toString(StandardCharsets.UTF_8));
  }

  private List<String> lines(String logger) {
    return logged.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.contains(" io.relaybus.postgres." + logger + " ")).toList();
  }

  private SwitchableDataSource unreachable(int closedPort) {
    SwitchableDataSource ds = new SwitchableDataSource();
    ds.setUrl(DB.url());
    ds.setUser(DB.server().user());
    ds.setPassword(DB.server().password());
    ds.setPortNumbers(new int[] {closedPort});
    return ds;
  }

  private static int closedLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static PostgresSettings settings() {
    return new PostgresSettings(Settings.of(Map.of()), true);
  }

  private static int port(String url) {
    return ConnectionCheck.fromUrl(url, null).port() == null ? 5432
        : Integer.parseInt(ConnectionCheck.fromUrl(url, null).port());
  }

  @Test
  @DisplayName("retention: one WARN naming the refused connection, one INFO when it works again")
  void retentionDuringAnOutage() throws IOException {
    int closedPort = closedLoopbackPort();
    SwitchableDataSource ds = unreachable(closedPort);
    try (Database database = new Database(settings(), ds)) {
      RetentionJob job = new RetentionJob(settings(), database);
      for (int run = 0; run < 4; run++) {
        job.run();
      }
      assertThat(ds.asked).hasValue(4);
      ds.setPortNumbers(new int[] {port(DB.url())});
      job.run();
    }
    assertThat(lines("RetentionJob")).hasSize(2);
    assertThat(lines("RetentionJob").get(0)).contains("WARN io.relaybus.postgres.RetentionJob - "
        + "Retention run on schema relaybus failed; it runs again later: Connection to ")
        .contains(":" + closedPort + " refused.")
        .endsWith("(SQLState 08001) (ConnectException: Connection refused)");
    assertThat(lines("RetentionJob").get(1)).endsWith("INFO io.relaybus.postgres.RetentionJob"
        + " - Retention reaches schema relaybus again after 4 failed run(s)");
  }

  @Test
  @DisplayName("a dead letter stored during an outage: one WARN, retries quiet, one INFO")
  void deadLetterDuringAnOutage() throws IOException {
    int closedPort = closedLoopbackPort();
    SwitchableDataSource ds = unreachable(closedPort);
    try (Database database = new Database(settings(), ds)) {
      DeadLetterWriter writer = new DeadLetterWriter(new MemberStatements("relaybus", 8),
          database, "outage.logs", "g", () -> true);
      Event event = Event.builder().id("dl-1").source("urn:t").type("t").build();
      CompletableFuture<Void> stored = CompletableFuture.runAsync(() ->
          writer.insert(0, 1, event, DeadLetterReason.RETRIES_EXHAUSTED, 3, "boom"));
      await().atMost(Duration.ofSeconds(30)).until(() -> ds.asked.get() >= 4);
      ds.setPortNumbers(new int[] {port(DB.url())});
      stored.join();
    }
    assertThat(lines("DeadLetterWriter")).hasSize(2);
    assertThat(lines("DeadLetterWriter").get(0)).contains("WARN io.relaybus.postgres."
        + "DeadLetterWriter - Storing dead letter of event dl-1 (topic 'outage.logs', group 'g') "
        + "failed, retrying until it is stored: Connection to ")
        .endsWith("(SQLState 08001) (ConnectException: Connection refused)");
    assertThat(lines("DeadLetterWriter").get(1)).contains("INFO io.relaybus.postgres."
        + "DeadLetterWriter - Stored dead letter of event dl-1 (topic 'outage.logs', group 'g') "
        + "after ").endsWith(" failed attempt(s)");
    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.dead_letters WHERE topic = "
        + "'outage.logs'")).isEqualTo(1);
  }
}
