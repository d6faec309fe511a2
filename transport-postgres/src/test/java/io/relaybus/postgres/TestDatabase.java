package io.relaybus.postgres;

import io.relaybus.postgres.testing.PostgresServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's own database on the shared PostgreSQL server, and the buses its tests open,
 * closed after each test (newest first). Registered as a static field:
 * {@code @RegisterExtension static final TestDatabase DB = new TestDatabase("relaybus_x");}
 */
final class TestDatabase implements BeforeAllCallback, AfterEachCallback {
  private final String name;
  private final List<TestBuses> open = new ArrayList<>();
  private PostgresServer server;
  private String url;

  TestDatabase(String name) {
    this.name = name;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = PostgresServer.shared();
    url = server.createDatabase(name);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    open.clear();
  }

  /** The number the query returns, run on this database. */
  long queryLong(String sql) {
    return server.queryLongIn(url, sql);
  }

  /** Runs a statement on this database. */
  void execute(String sql) {
    server.executeIn(url, sql);
  }

  /** Buses on this database, closed after the test. */
  TestBuses buses() {
    return buses(Map.of());
  }

  /** Buses on this database whose configuration has {@code defaults}, closed after the test. */
  TestBuses buses(Map<String, String> defaults) {
    TestBuses buses = new TestBuses(server, url, defaults);
    open.add(buses);
    return buses;
  }
}
