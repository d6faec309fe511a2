package io.relaybus.webhook.internal.outbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Statement;

/**
 * Creates the outbox's tables ({@code schema.sql} beside this class) idempotently, under an
 * advisory lock so processes starting together do not race on the DDL.
 */
final class OutboxSchema {

  private static final long SCHEMA_LOCK = 0x52424_57484bL; // "RB WHK"

  private OutboxSchema() {}

  static void create(JdbcTransactions tx, String schema) {
    String ddl;
    try (InputStream in = OutboxSchema.class.getResourceAsStream("schema.sql")) {
      ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${schema}", schema);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("The webhook outbox schema resource is missing", e);
    }
    tx.run(c -> {
      try (Statement st = c.createStatement()) {
        st.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
        StringBuilder statement = new StringBuilder();
        for (String part : ddl.split(";\\s*\n")) {
          statement.append(part);
          // A function's body ($$ ... $$) holds statements of its own: the part ends inside it.
          if (statement.toString().split("\\$\\$", -1).length % 2 == 0) {
            statement.append(";\n");
            continue;
          }
          String sql = statement.toString().replaceAll("(?m)^--.*$", "").trim();
          statement.setLength(0);
          if (!sql.isEmpty()) {
            st.execute(sql);
          }
        }
      }
      return null;
    });
  }
}
