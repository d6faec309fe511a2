package io.relaybus.spring.boot;

import io.relaybus.test.PostgresServer;
import io.relaybus.test.RelaybusServers;
import java.util.Locale;
import java.util.UUID;

/** A fresh database on the test PostgreSQL for each test class. */
final class TestDatabases {

  private TestDatabases() {}

  static PostgresServer fresh(String prefix) {
    return RelaybusServers.postgres().createDatabase(prefix + "_"
        + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT));
  }

  /** Spring's data source settings for a database. */
  static String[] springDataSource(PostgresServer db) {
    return new String[] {"spring.datasource.url=" + db.jdbcUrl(),
        "spring.datasource.username=" + db.user(), "spring.datasource.password=" + db.password()};
  }
}
