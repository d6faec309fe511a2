package io.relaybus.console.internal;

import io.relaybus.console.Role;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * Someone who may sign in: a user with a password, or a token (whose name is what the audit
 * log shows).
 *
 * @param name the user name, or the token's name
 * @param role what they may do
 * @param secret the password or the token
 * @param token whether this is a token (signed in with the secret alone, or sent as {@code
 *     Authorization: Bearer})
 */
public record Account(String name, Role role, String secret, boolean token) {

  /**
   * Validates the components.
   *
   * @param name the name
   * @param role the role
   * @param secret the secret
   * @param token whether a token
   */
  public Account {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(secret, "secret");
    if (secret.length() < 8) {
      throw new IllegalArgumentException("The secret of console " + (token ? "token" : "user")
          + " '" + name + "' is shorter than 8 characters");
    }
  }

  boolean secretMatches(String candidate) {
    return candidate != null && MessageDigest.isEqual(secret.getBytes(StandardCharsets.UTF_8),
        candidate.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "Account{" + name + ", " + role.label() + "}";
  }
}
