package io.relaybus.console;

/**
 * The console's pages and actions on Kafka (embedded broker from relaybus-test), a topic per
 * test: lag and dead letters; no event lookup (the page shows the event's dead letters).
 */
class KafkaConsoleTest extends ConsoleContract {
  @Override
  Scene newScene() {
    return Scene.kafka();
  }
}
