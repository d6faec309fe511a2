package io.relaybus.console.internal;

import io.relaybus.console.Role;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * What a console is built with.
 *
 * @param basePath where the console is mounted, {@code ""} or a path such as {@code /ops}
 * @param accounts who may sign in
 * @param anonymous the role of a visitor who has not signed in, {@code null} for none
 * @param allowedOrigins origins other than the request's own host that may post (a reverse
 *     proxy's public origin)
 * @param secureCookie whether the session cookie carries {@code Secure}
 * @param sessionIdleTimeout how long an unused session lives
 */
public record ConsoleConfig(String basePath, List<Account> accounts, Role anonymous,
    Set<String> allowedOrigins, boolean secureCookie, Duration sessionIdleTimeout) {

  /**
   * Copies the collections.
   *
   * @param basePath the base path
   * @param accounts the accounts
   * @param anonymous the anonymous role
   * @param allowedOrigins the origins
   * @param secureCookie secure cookie
   * @param sessionIdleTimeout the timeout
   */
  public ConsoleConfig {
    accounts = List.copyOf(accounts);
    allowedOrigins = Set.copyOf(allowedOrigins);
  }
}
