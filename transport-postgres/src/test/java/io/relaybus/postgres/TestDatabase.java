package io.relaybus.postgres;

import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.tck.ChildJvm;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A test class's own database, created before its first test and dropped after its last, and
 * the buses its tests open: those of {@link #buses} are closed after each test, those of
 * {@link #classBuses} after the last one (newest first). Registered as a static field:
 * {@code @RegisterExtension static final TestDatabase DB = new TestDatabase("relaybus_x");}
 *
 * <p>The database is on the shared PostgreSQL server; {@link #onOwnServer} puts it on an
 * embedded server of the class's own, which its tests may stop and start.
 */
final class TestDatabase implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private final String name;
  private final String ownServer; // null: on the shared server
  private final boolean emptiedAfterEachTest;
  private final List<TestBuses> testBuses = new ArrayList<>();
  private final List<TestBuses> classBuses = new ArrayList<>();
  private PostgresServer server;
  private String url;

  /**
   * A database on the shared server.
   *
   * @param name lower-case letters, digits and '_'
   */
  TestDatabase(String name) {
    this(name, null, false);
  }

  private TestDatabase(String name, String ownServer, boolean emptiedAfterEachTest) {
    this.name = name;
    this.ownServer = ownServer;
    this.emptiedAfterEachTest = emptiedAfterEachTest;
  }

  /**
   * A database on an embedded server started for this class alone and closed after it, for
   * tests that stop and start the server ({@link #server()}); it is started again after a test
   * that left it stopped.
   */
  static TestDatabase onOwnServer(String serverName, String name) {
    return new TestDatabase(name, serverName, false);
  }

  /** A database dropped and created empty after each test, for tests that count all in it. */
  static TestDatabase emptiedAfterEachTest(String name) {
    return new TestDatabase(name, null, true);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (isNested(context)) {
      return;
    }
    server = ownServer == null ? PostgresServer.shared() : PostgresServer.startEmbedded(ownServer);
    url = server.createDatabase(name);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (ownServer != null) {
      server.start(); // no-op unless a test left it stopped
    }
    closeNewestFirst(testBuses);
    if (emptiedAfterEachTest) {
      server.createDatabase(name);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server == null || isNested(context)) {
      return;
    }
    try {
      closeNewestFirst(classBuses);
      server.dropDatabase(name);
    } finally {
      if (ownServer != null) {
        server.close();
      }
    }
  }

  /**
   * JUnit calls a class's extensions for each of its {@code @Nested} classes too (the guarantee
   * families of the compatibility kit): the database belongs to the outermost class.
   */
  private static boolean isNested(ExtensionContext context) {
    return context.getRequiredTestClass().isAnnotationPresent(Nested.class);
  }

  private static void closeNewestFirst(List<TestBuses> open) {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    open.clear();
  }

  /** The server this database is on. */
  PostgresServer server() {
    return server;
  }

  /** The JDBC URL of this database, without credentials. */
  String url() {
    return url;
  }

  /** The number the query returns, run on this database. */
  long queryLong(String sql) {
    return server.queryLongIn(url, sql);
  }

  /** Runs a statement on this database. */
  void execute(String sql) {
    server.executeIn(url, sql);
  }

  /**
   * A connection to this database (auto-commit), which the caller closes.
   *
   * @param applicationName its {@code application_name}, as {@code pg_stat_activity} shows it
   */
  Connection connect(String applicationName) {
    return server.connect(url, applicationName);
  }

  /** A connection to this database with auto-commit off, which the caller closes. */
  Connection transaction(String applicationName) throws SQLException {
    Connection c = connect(applicationName);
    try {
      c.setAutoCommit(false);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** A DataSource of this database, as an application would give a bus. */
  PGSimpleDataSource dataSource() {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setUrl(url);
    dataSource.setUser(server.user());
    dataSource.setPassword(server.password());
    return dataSource;
  }

  /**
   * A JVM to start that runs {@code mainClass}, whose {@link PostgresServer#shared()} is this
   * database (see {@link CrashingMemberMain}).
   */
  ChildJvm.Builder childJvm(Class<?> mainClass) {
    return ChildJvm.builder(mainClass).env(server.environment(url));
  }

  /** The configuration of a bus on this database (see {@link TestBuses#config}). */
  Map<String, String> config(Map<String, String> overrides) {
    return config(Map.of(), overrides);
  }

  /**
   * The configuration of a bus on this database with {@code defaults}, then the overrides, for
   * a bus its creator closes.
   */
  Map<String, String> config(Map<String, String> defaults, Map<String, String> overrides) {
    return new TestBuses(server, url, defaults).config(overrides);
  }

  /** Buses on this database, closed after the test. */
  TestBuses buses() {
    return buses(Map.of());
  }

  /** Buses on this database whose configuration has {@code defaults}, closed after the test. */
  TestBuses buses(Map<String, String> defaults) {
    TestBuses buses = new TestBuses(server, url, defaults);
    testBuses.add(buses);
    return buses;
  }

  /** Buses the class's tests share (opened in {@code @BeforeAll}), closed after the last test. */
  TestBuses classBuses() {
    TestBuses buses = new TestBuses(server, url);
    classBuses.add(buses);
    return buses;
  }
}
