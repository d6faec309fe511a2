package io.relaybus.console;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import io.relaybus.console.internal.Account;
import io.relaybus.console.internal.ConsoleConfig;
import io.relaybus.console.internal.ConsoleHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The operator console as a framework-neutral handler: a {@link ConsoleRequest} in, a {@link
 * ConsoleResponse} out. Mount it in any HTTP server by passing each request below its mount
 * point to {@link #handle}, or run it with {@link ConsoleServer}.
 *
 * <p>Safe by default: nobody gets in without signing in as a configured user or with a token
 * unless {@link Builder#anonymous(Role)} says otherwise; sessions are HttpOnly, SameSite=Strict
 * cookies; every POST must come from the console's own origin and carry the session's CSRF
 * token; read-only users cannot act; every action is logged to the SLF4J logger {@code
 * io.relaybus.console.audit}; every response carries a strict Content-Security-Policy, {@code
 * X-Frame-Options: DENY} and {@code X-Content-Type-Options: nosniff}. Thread-safe.
 */
public final class Console {
  /** The prefix of the console's configuration keys. */
  public static final String PREFIX = "relaybus.console.";

  private final ConsoleHandler handler;
  private final String basePath;

  private Console(Builder b) {
    this.basePath = b.basePath;
    this.handler = new ConsoleHandler(b.bus, new ConsoleConfig(b.basePath, b.accounts,
        b.anonymous, b.allowedOrigins, b.secureCookie, b.sessionIdleTimeout));
  }

  /**
   * Starts a console over a bus.
   *
   * @param bus the bus whose {@link EventBus#operations()} the pages show; the console does
   *     not close it
   * @return a builder; not thread-safe
   */
  public static Builder builder(EventBus bus) {
    return new Builder(Objects.requireNonNull(bus, "bus"));
  }

  /**
   * Answers one request.
   *
   * @param request the request, its path below the mount point
   * @return the response to send
   */
  public ConsoleResponse handle(ConsoleRequest request) {
    return handler.handle(Objects.requireNonNull(request, "request"));
  }

  /**
   * Where the console is mounted, as links on its pages start.
   *
   * @return {@code ""} or a path such as {@code /ops}
   */
  public String basePath() {
    return basePath;
  }

  /** Builds a {@link Console}. Not thread-safe. */
  public static final class Builder {
    private final EventBus bus;
    private String basePath = "";
    private final List<Account> accounts = new ArrayList<>();
    private Role anonymous;
    private final Set<String> allowedOrigins = new LinkedHashSet<>();
    private boolean secureCookie;
    private Duration sessionIdleTimeout = Duration.ofMinutes(30);

    private Builder(EventBus bus) {
      this.bus = bus;
    }

    /**
     * Where the console is mounted: the prefix of its links and its cookie's path.
     *
     * @param path {@code ""} (the default) or a path such as {@code /ops}
     * @return this builder
     * @throws IllegalArgumentException when the path does not start with {@code /} or ends
     *     with one
     */
    public Builder basePath(String path) {
      Objects.requireNonNull(path, "path");
      if (!path.isEmpty() && (!path.startsWith("/") || path.endsWith("/"))) {
        throw new IllegalArgumentException("Console base path '" + path
            + "' must be empty or start with / and not end with /");
      }
      this.basePath = path;
      return this;
    }

    /**
     * A user who signs in with a name and a password.
     *
     * @param name the user name (also what the audit log shows)
     * @param role what the user may do
     * @param password at least 8 characters
     * @return this builder
     * @throws IllegalArgumentException when the password is shorter
     */
    public Builder user(String name, Role role, String password) {
      accounts.add(new Account(Objects.requireNonNull(name, "name"), role, password, false));
      return this;
    }

    /**
     * A token: signs in on the form with the token alone, or authenticates a request with
     * {@code Authorization: Bearer <token>} (such requests need no CSRF token, as browsers do
     * not add that header on their own).
     *
     * @param name what the audit log shows for it
     * @param role what it may do
     * @param token at least 8 characters; use a long random one
     * @return this builder
     * @throws IllegalArgumentException when the token is shorter
     */
    public Builder token(String name, Role role, String token) {
      accounts.add(new Account(Objects.requireNonNull(name, "name"), role, token, true));
      return this;
    }

    /**
     * Lets visitors in without signing in, with a role. Off unless called.
     *
     * @param role the role of every visitor
     * @return this builder
     */
    public Builder anonymous(Role role) {
      this.anonymous = Objects.requireNonNull(role, "role");
      return this;
    }

    /**
     * An origin besides the request's own host from which posts are accepted, such as a
     * reverse proxy's public {@code https://ops.example.com}.
     *
     * @param origin scheme, host and port as a browser sends it in {@code Origin}
     * @return this builder
     */
    public Builder allowedOrigin(String origin) {
      allowedOrigins.add(Objects.requireNonNull(origin, "origin"));
      return this;
    }

    /**
     * Whether the session cookie is marked {@code Secure} (sent over HTTPS only). Set it when
     * the console is reached over HTTPS.
     *
     * @param secure whether secure
     * @return this builder
     */
    public Builder secureCookie(boolean secure) {
      this.secureCookie = secure;
      return this;
    }

    /**
     * How long an unused session lives (30 minutes unless set).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder sessionIdleTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("sessionIdleTimeout must be positive, got " + timeout);
      }
      this.sessionIdleTimeout = timeout;
      return this;
    }

    /**
     * Reads the {@code relaybus.console.*} keys: {@code user.<name>=<role>:<password>}, {@code
     * token.<name>=<role>:<token>}, {@code anonymous=<role>}, {@code base-path}, {@code
     * allowed-origins} (comma-separated), {@code secure-cookie}; roles are {@code read-only}
     * or {@code operator}. Other keys are ignored ({@code host} and {@code port} are the
     * runner's).
     *
     * @param properties the configuration
     * @return this builder
     * @throws ConfigurationException naming every bad key
     */
    public Builder properties(Map<?, ?> properties) {
      List<String> problems = new ArrayList<>();
      properties.forEach((k, v) -> {
        String key = String.valueOf(k);
        String value = String.valueOf(v).trim();
        if (!key.startsWith(PREFIX)) {
          return;
        }
        String name = key.substring(PREFIX.length());
        try {
          if (name.startsWith("user.") || name.startsWith("token.")) {
            int colon = value.indexOf(':');
            if (colon < 0) {
              throw new IllegalArgumentException("use <role>:<secret>");
            }
            Role role = Role.parse(value.substring(0, colon));
            String who = name.substring(name.indexOf('.') + 1);
            if (name.startsWith("user.")) {
              user(who, role, value.substring(colon + 1));
            } else {
              token(who, role, value.substring(colon + 1));
            }
          } else if (name.equals("anonymous")) {
            anonymous(Role.parse(value));
          } else if (name.equals("base-path")) {
            basePath(value);
          } else if (name.equals("allowed-origins")) {
            for (String o : value.split(",")) {
              if (!o.isBlank()) {
                allowedOrigin(o.trim());
              }
            }
          } else if (name.equals("secure-cookie")) {
            secureCookie(Boolean.parseBoolean(value));
          }
        } catch (IllegalArgumentException e) {
          problems.add(key + ": " + e.getMessage());
        }
      });
      if (!problems.isEmpty()) {
        throw new ConfigurationException("Invalid console configuration: "
            + String.join("; ", problems));
      }
      return this;
    }

    /**
     * Builds the console.
     *
     * @return the console
     * @throws ConfigurationException when nobody could get in: no user, no token and no
     *     anonymous role
     */
    public Console build() {
      if (accounts.isEmpty() && anonymous == null) {
        throw new ConfigurationException("The console has no users and no tokens; add "
            + PREFIX + "user.<name>=<role>:<password> or " + PREFIX + "token.<name>=<role>:"
            + "<token>, or allow visitors explicitly with " + PREFIX + "anonymous=read-only");
      }
      return new Console(this);
    }
  }
}
