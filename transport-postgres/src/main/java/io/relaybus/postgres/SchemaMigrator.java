package io.relaybus.postgres;

import io.relaybus.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and migrates the schema: versioned scripts {@code schema/V<n>.sql}, each applied once,
 * in one transaction under an advisory lock so several processes may start at once.
 */
final class SchemaMigrator {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);

  /** The newest schema version this code needs. */
  static final int CURRENT_VERSION = 4;

  private SchemaMigrator() {}

  /** The script of one version with the schema name filled in. */
  static String script(int version, String schema) {
    String path = "schema/V" + version + ".sql";
    try (InputStream in = SchemaMigrator.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("Missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${schema}", schema);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void migrate(Connection c, String schema) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      // Serialise concurrent starters; the lock ends with the transaction.
      st.execute("SELECT pg_advisory_xact_lock(hashtext('relaybus-migrate:" + schema + "'))");
      st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
      st.execute("CREATE TABLE IF NOT EXISTS " + schema + ".schema_version (version int PRIMARY"
          + " KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      int current;
      try (ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0) FROM " + schema
          + ".schema_version")) {
        rs.next();
        current = rs.getInt(1);
      }
      if (current > CURRENT_VERSION) {
        throw new IllegalStateException("Schema " + schema + " is at version " + current
            + ", newer than this Relaybus (" + CURRENT_VERSION + "); upgrade Relaybus");
      }
      for (int v = current + 1; v <= CURRENT_VERSION; v++) {
        st.execute(script(v, schema));
        st.execute("INSERT INTO " + schema + ".schema_version (version) VALUES (" + v + ")");
        LOG.info("Applied Relaybus schema version {} to schema {}", v, schema);
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  static void verify(Connection c, String schema) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT to_regclass('" + schema
            + ".schema_version') IS NULL")) {
      rs.next();
      if (rs.getBoolean(1)) {
        throw new ConfigurationException("Schema " + schema + " has no Relaybus tables and "
            + "relaybus.postgres.auto-ddl=false: apply docs/postgres/schema.sql to it, or enable "
            + "relaybus.postgres.auto-ddl");
      }
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0) FROM " + schema
            + ".schema_version")) {
      rs.next();
      int v = rs.getInt(1);
      if (v != CURRENT_VERSION) {
        throw new ConfigurationException("Schema " + schema + " is at version " + v
            + " but this Relaybus needs " + CURRENT_VERSION + " and relaybus.postgres.auto-ddl="
            + "false: apply docs/postgres/schema.sql or enable relaybus.postgres.auto-ddl");
      }
    }
  }
}
