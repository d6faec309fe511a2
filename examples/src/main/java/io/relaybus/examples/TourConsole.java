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

  /** The console being served and the bus it reads; closing stops both. */
  record Running(ConsoleServer server, EventBus bus) implements AutoCloseable {
    @Override
    public void close() {
      server.close();
      bus.close();
    }
  }

  /**
   * Starts the console over the tour's database on {@link #PORT} (or a free port) and prints
   * its address and a fresh operator token.
   */
  static Running start(PostgresServer postgres, Console out) {
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
    out.raw("");
    out.step("operator console: %s", server.uri());
    out.step("sign in with the token %s (leave the user empty)", token);
    return new Running(server, bus);
  }

  /** {@link #start}, then serves until the process is stopped. */
  static void serve(PostgresServer postgres, Console out) throws InterruptedException {
    Running running = start(postgres, out);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close();
      stopped.countDown();
    }, "tour-console-shutdown"));
    out.step("the servers stay up; Ctrl-C stops them");
    stopped.await();
  }
}
