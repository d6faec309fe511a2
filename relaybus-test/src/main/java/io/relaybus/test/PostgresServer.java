package io.relaybus.test;

import java.util.Map;

/**
 * A running PostgreSQL 17 server, from {@link RelaybusServers#postgres()}.
 */
public interface PostgresServer {

  /**
   * The JDBC URL of this server's database.
   *
   * @return {@code jdbc:postgresql://host:port/database}, without credentials
   */
  String jdbcUrl();

  /**
   * The user to connect as (a superuser on embedded and container servers).
   *
   * @return the user name
   */
  String user();

  /**
   * The user's password.
   *
   * @return the password (empty for none)
   */
  String password();

  /**
   * A bus configuration for this database, ready for {@code EventBus.create}:
   * {@code relaybus.transport=postgres} and its URL, user and password.
   *
   * @return a new, modifiable map
   */
  Map<String, String> relaybusProperties();

  /**
   * Creates a database on this server, so that a test has tables of its own.
   *
   * @param name the new database's name: a lower-case letter or {@code _}, then up to 62
   *     lower-case letters, digits or {@code _}
   * @return the same server with {@link #jdbcUrl()} pointing at the new database
   * @throws IllegalArgumentException if the name is not such a name
   * @throws TestServerException if the database cannot be created (it exists, or the user may
   *     not create databases)
   */
  PostgresServer createDatabase(String name);
}
