package io.relaybus.console;

/** The console's pages and actions on the in-memory transport. */
class MemoryConsoleTest extends ConsoleContract {
  @Override
  Scene newScene() {
    return Scene.memory();
  }
}
