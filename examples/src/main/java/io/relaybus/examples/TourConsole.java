package io.relaybus.examples;

import io.relaybus.EventBus;
import io.relaybus.console.ConsoleServer;
import io.relaybus.console.Role;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./tour --console}: after the examples, serves the operator console over the tour's
 * PostgreSQL database until the process is stopped, and prints its address and a fresh
 * operator token.
 */
final class TourConsole {
  /** The port tried first; another free one is taken when it is busy. */
  static final int PORT = 8080;

  private TourConsole() {}

  static void serve(PostgresServer postgres, Console out) throws InterruptedException {
    byte[] random = new byte[18];
    new SecureRandom().nextBytes(random);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    EventBus bus = EventBus.create(postgres.busConfig());
    io.relaybus.console.Console console = io.relaybus.console.Console.builder(bus)
        .token("tour", Role.OPERATOR, token).build();
    ConsoleServer server;
    try {
      server = ConsoleServer.start(console, new InetSocketAddress("127.0.0.1", PORT));
    } catch (UncheckedIOException busy) {
      server = ConsoleServer.start(console, new InetSocketAddress("127.0.0.1", 0));
    }
    ConsoleServer running = server;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close();
      bus.close();
      stopped.countDown();
    }, "tour-console-shutdown"));
    out.raw("");
    out.step("operator console: %s", running.uri());
    out.step("sign in with the token %s (leave the user empty)", token);
    out.step("the servers stay up; Ctrl-C stops them");
    stopped.await();
  }
}
