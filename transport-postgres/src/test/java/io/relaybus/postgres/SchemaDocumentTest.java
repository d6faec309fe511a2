package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.EventBus;
import io.relaybus.postgres.testing.PostgresServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The DBA schema file in docs/ is the migration script, and applying it by hand works. */
class SchemaDocumentTest {

  private static String document() throws IOException {
    Path doc = Path.of("..", "docs", "postgres", "schema.sql");
    return Files.readString(doc, StandardCharsets.UTF_8);
  }

  @Test
  void documentContainsEveryMigrationScript() throws IOException {
    for (int v = 1; v <= SchemaMigrator.CURRENT_VERSION; v++) {
      assertThat(document()).as("version %d", v).contains(SchemaMigrator.script(v, "relaybus"));
    }
  }

  @Test
  void busStartsWithoutAutoDdlOnASchemaAppliedFromTheDocument() throws Exception {
    PostgresServer server = PostgresServer.shared();
    String url = server.createDatabase("relaybus_schema_doc");
    try (Connection c = server.connect(url, "dba"); Statement st = c.createStatement()) {
      st.execute(document());
    }
    try (EventBus bus = EventBus.create(Map.of("relaybus.transport", "postgres",
        "relaybus.postgres.url", url, "relaybus.postgres.user", server.user(),
        "relaybus.postgres.password", server.password(), "relaybus.postgres.auto-ddl", "false"))) {
      assertThat(bus.capabilities().all()).isNotEmpty();
    }
  }
}
