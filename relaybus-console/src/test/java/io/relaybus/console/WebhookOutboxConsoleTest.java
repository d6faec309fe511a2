package io.relaybus.console;

/**
 * The console's pages and actions on the webhook transport with its durable outbox (embedded
 * PostgreSQL): lag, members, dead letters, replay and purge by filter, event lookup. The
 * endpoints page and its actions are in {@link WebhookConsoleTest}.
 */
class WebhookOutboxConsoleTest extends ConsoleContract {
  @Override
  Scene newScene() {
    return Scene.webhook();
  }
}
