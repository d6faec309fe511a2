package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The DBA schema file in docs/ is the migration script, and applying it by hand works. */
class SchemaDocumentTest {
  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_schema_doc");

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
    try (Connection c = DB.connect("dba"); Statement st = c.createStatement()) {
      st.execute(document());
    }
    TestBuses buses = DB.buses();
    Map<String, String> config = buses.connection();
    config.put("relaybus.postgres.auto-ddl", "false");
    assertThat(buses.create(config).capabilities().all()).isNotEmpty();
  }
}
