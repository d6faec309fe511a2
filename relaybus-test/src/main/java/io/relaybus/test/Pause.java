package io.relaybus.test;

/** The wait between two probes of a server that is starting: there is nothing to wait on. */
final class Pause {
  private Pause() {}

  static void briefly() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TestServerException("interrupted while waiting for a test server", e);
    }
  }
}
