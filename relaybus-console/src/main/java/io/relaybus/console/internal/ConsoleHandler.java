package io.relaybus.console.internal;

import io.relaybus.EventBus;
import io.relaybus.RelaybusException;
import io.relaybus.console.ConsoleRequest;
import io.relaybus.console.ConsoleResponse;
import io.relaybus.console.Role;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gate in front of the pages: serves the stylesheet and the sign-in form, finds who is
 * asking (session cookie, bearer token, or the configured anonymous role), refuses a POST from
 * a foreign origin or without the session's CSRF token, refuses actions to read-only users,
 * and puts the security headers on every response.
 */
public final class ConsoleHandler {
  static final String COOKIE = "relaybus_console";
  static final Logger AUDIT = LoggerFactory.getLogger("io.relaybus.console.audit");
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleHandler.class);
  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; "
      + "img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
      + "frame-ancestors 'none'";

  private final ConsoleConfig config;
  private final Sessions sessions;
  private final Pages pages;
  private final byte[] css;

  /**
   * A handler over a bus.
   *
   * @param bus the bus whose operations the pages show
   * @param config who may sign in and how
   */
  public ConsoleHandler(EventBus bus, ConsoleConfig config) {
    this.config = config;
    this.sessions = new Sessions(config.sessionIdleTimeout(), Clock.systemUTC());
    this.pages = new Pages(bus, config.basePath());
    try (InputStream in = ConsoleHandler.class.getResourceAsStream("console.css")) {
      if (in == null) {
        throw new IllegalStateException("console.css is missing from the relaybus-console jar");
      }
      this.css = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Who is asking, and for a cookie session the session (whose CSRF token a POST needs). */
  record Principal(String user, Role role, Sessions.Session session) {}

  /**
   * Answers a request.
   *
   * @param request the request
   * @return the response
   */
  public ConsoleResponse handle(ConsoleRequest request) {
    String method = request.method().toUpperCase(Locale.ROOT);
    String path = request.path().isEmpty() ? "/" : request.path();
    boolean post = method.equals("POST");
    if (!post && !method.equals("GET") && !method.equals("HEAD")) {
      return Responses.of(405, Map.of("Allow", List.of("GET, POST")), "method not allowed");
    }
    if (path.equals("/assets/console.css")) {
      return Responses.asset(css, "text/css; charset=utf-8");
    }
    Map<String, String> params = parse(request.query());
    Map<String, String> form = post && isForm(request)
        ? parse(new String(request.body(), StandardCharsets.UTF_8)) : Map.of();
    if (post && !originAllowed(request)) {
      AUDIT.warn("refused POST {} from origin {} (host {})", path, origin(request),
          request.header("host"));
      return Responses.page(403, Pages.refusal(config.basePath(), "Refused",
          "This request came from another site."));
    }
    if (path.equals("/login")) {
      return post ? signIn(form) : Responses.page(200, Pages.signIn(config.basePath(), null));
    }
    Principal who = principal(request);
    if (who == null) {
      if (post) {
        return Responses.page(403, Pages.refusal(config.basePath(), "Refused",
            "Sign in first."));
      }
      return Responses.redirect(config.basePath() + "/login");
    }
    List<String> setCookie = who.session() != null && cookie(request) == null
        ? List.of(sessionCookie(who.session().id)) : List.of();
    if (post) {
      if (who.session() != null && !Sessions.sameSecret(who.session().csrf, form.get("csrf"))) {
        AUDIT.warn("user={} refused POST {}: missing or wrong CSRF token", who.user(), path);
        return Responses.page(403, Pages.refusal(config.basePath(), "Refused",
            "This form has expired or did not come from this console. Reload and try again."));
      }
      if (path.equals("/logout")) {
        if (who.session() != null) {
          sessions.close(who.session().id);
        }
        AUDIT.info("user={} signed out", who.user());
        return Responses.redirect(config.basePath() + "/login", List.of(expiredCookie()));
      }
      if (who.role() != Role.OPERATOR) {
        AUDIT.warn("user={} role={} refused POST {}: not an operator", who.user(),
            who.role().label(), path);
        return Responses.page(403, Pages.refusal(config.basePath(), "Not allowed",
            "Your role is read-only: you may look, not act."));
      }
    }
    if (!post && path.endsWith("/confirm") && who.role() != Role.OPERATOR) {
      AUDIT.warn("user={} role={} refused {}: not an operator", who.user(), who.role().label(),
          path);
      return Responses.page(403, Pages.error(config.basePath(), who, "Not allowed",
          "Your role is read-only: you may look, not act."));
    }
    try {
      ConsoleResponse r = post ? pages.act(path, form, who) : pages.show(path, params, who);
      return setCookie.isEmpty() ? r : Responses.withCookies(r, setCookie);
    } catch (IllegalArgumentException | RelaybusException e) {
      return Responses.page(400, Pages.error(config.basePath(), who, "Cannot do that",
          e.getMessage()));
    } catch (UnsupportedOperationException e) {
      return Responses.page(501, Pages.error(config.basePath(), who,
          "Not offered by this transport", e.getMessage()));
    } catch (RuntimeException e) {
      LOG.error("Console request {} failed", request, e);
      return Responses.page(500, Pages.error(config.basePath(), who, "Failed",
          e.getClass().getSimpleName() + ": " + e.getMessage()));
    }
  }

  private ConsoleResponse signIn(Map<String, String> form) {
    String user = form.getOrDefault("user", "").trim();
    String secret = form.getOrDefault("password", "");
    for (Account a : config.accounts()) {
      boolean match = a.token() ? user.isEmpty() && a.secretMatches(secret)
          : a.name().equals(user) && a.secretMatches(secret);
      if (match) {
        Sessions.Session s = sessions.open(a.name(), a.role());
        AUDIT.info("user={} role={} signed in", a.name(), a.role().label());
        return Responses.redirect(config.basePath() + "/", List.of(sessionCookie(s.id)));
      }
    }
    AUDIT.warn("sign-in failed for user '{}'", user);
    return Responses.page(401, Pages.signIn(config.basePath(), "Wrong user name or password."));
  }

  private Principal principal(ConsoleRequest request) {
    String auth = request.header("authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String token = auth.substring(7).trim();
      for (Account a : config.accounts()) {
        if (a.token() && a.secretMatches(token)) {
          return new Principal(a.name(), a.role(), null);
        }
      }
      return null;
    }
    Sessions.Session s = sessions.find(cookie(request));
    if (s != null) {
      return new Principal(s.user, s.role, s);
    }
    if (config.anonymous() != null) {
      Sessions.Session anon = sessions.open("anonymous", config.anonymous());
      return new Principal(anon.user, anon.role, anon);
    }
    return null;
  }

  private boolean originAllowed(ConsoleRequest request) {
    String origin = origin(request);
    if (origin == null) {
      return true; // not a browser form post; a cookie session still needs its CSRF token
    }
    if (config.allowedOrigins().contains(origin)) {
      return true;
    }
    String host = request.header("host");
    try {
      URI u = new URI(origin);
      if (u.getHost() == null || host == null) {
        return false;
      }
      String authority = u.getHost() + (u.getPort() == -1 ? "" : ":" + u.getPort());
      return authority.equalsIgnoreCase(host);
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static String origin(ConsoleRequest request) {
    String origin = request.header("origin");
    if (origin != null) {
      return origin;
    }
    String referer = request.header("referer");
    if (referer == null) {
      return null;
    }
    try {
      URI u = new URI(referer);
      return u.getScheme() + "://" + u.getRawAuthority();
    } catch (URISyntaxException e) {
      return "invalid";
    }
  }

  private static boolean isForm(ConsoleRequest request) {
    String type = request.header("content-type");
    return type != null
        && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
  }

  private static String cookie(ConsoleRequest request) {
    List<String> values = request.headers().get("cookie");
    if (values == null) {
      return null;
    }
    for (String header : values) {
      for (String part : header.split(";")) {
        String p = part.trim();
        if (p.startsWith(COOKIE + "=")) {
          return p.substring(COOKIE.length() + 1);
        }
      }
    }
    return null;
  }

  private String cookiePath() {
    return config.basePath().isEmpty() ? "/" : config.basePath();
  }

  private String sessionCookie(String id) {
    return COOKIE + "=" + id + "; Path=" + cookiePath() + "; HttpOnly; SameSite=Strict"
        + (config.secureCookie() ? "; Secure" : "");
  }

  private String expiredCookie() {
    return COOKIE + "=; Path=" + cookiePath() + "; Max-Age=0; HttpOnly; SameSite=Strict"
        + (config.secureCookie() ? "; Secure" : "");
  }

  static Map<String, String> parse(String encoded) {
    Map<String, String> out = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return out;
    }
    for (String pair : encoded.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      try {
        String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        out.putIfAbsent(k, v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("Malformed request parameter: " + pair, e);
      }
    }
    return out;
  }
}
