package io.relaybus.console;

/** The console's pages and actions on PostgreSQL (embedded, from relaybus-test). */
class PostgresConsoleTest extends ConsoleContract {
  @Override
  Scene newScene() {
    return Scene.postgres();
  }
}
