package io.relaybus.spi;

import io.relaybus.InvalidNameException;

/**
 * The naming rule for topics and consumer groups, {@code [A-Za-z0-9._-]{1,200}}: safe as a SQL
 * literal, a Kafka topic name, a NOTIFY channel suffix and a URL path segment. Checked before a
 * name reaches any of them.
 */
public final class Names {
  /** Longest allowed name. */
  public static final int MAX_LENGTH = 200;

  private Names() {}

  /**
   * Checks a topic name.
   *
   * @param topic the name
   * @return the name
   * @throws InvalidNameException naming the value and the rule
   */
  public static String requireTopic(String topic) {
    return require("topic", topic);
  }

  /**
   * Checks a consumer group name.
   *
   * @param group the name
   * @return the name
   * @throws InvalidNameException naming the value and the rule
   */
  public static String requireGroup(String group) {
    return require("group", group);
  }

  /**
   * Checks a name a transport derives from a topic and a group (a dead-letter topic, a channel,
   * an id) against a limit of the system it is given to, so that a subscription is refused at
   * once instead of failing at the first use of the derived name. Names that pass this rule are
   * ASCII, so characters and bytes count alike.
   *
   * @param kind what the derived name is, capitalised, such as {@code "Dead-letter topic"}
   * @param derived the derived name
   * @param topic the topic it is derived from
   * @param group the group it is derived from, or {@code null} when none is
   * @param limit the longest name the system accepts, in characters
   * @param system the system that sets the limit, such as {@code "Kafka"}
   * @param remedy what the user can do, such as {@code "shorten the topic or group name"}
   * @return the derived name
   * @throws InvalidNameException naming the derived name (abbreviated), its origin and the limit
   */
  public static String requireDerived(String kind, String derived, String topic, String group,
      int limit, String system, String remedy) {
    if (derived.length() > limit) {
      throw new InvalidNameException(kind + " '" + abbreviate(derived) + "' for topic '"
          + abbreviate(topic) + "'" + (group == null ? "" : " and group '" + abbreviate(group)
          + "'") + " is longer than " + system + "'s " + limit + " characters: " + remedy);
    }
    return derived;
  }

  private static String require(String kind, String name) {
    if (name == null) {
      throw new NullPointerException(kind);
    }
    int n = name.length();
    boolean ok = n >= 1 && n <= MAX_LENGTH;
    for (int i = 0; ok && i < n; i++) {
      char c = name.charAt(i);
      ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == '-';
    }
    if (!ok) {
      throw new InvalidNameException("Invalid " + kind + " name '" + abbreviate(name)
          + "': use 1-" + MAX_LENGTH + " characters from A-Z, a-z, 0-9, '.', '_' and '-'");
    }
    return name;
  }

  private static String abbreviate(String s) {
    String printable = s.length() <= 60 ? s : s.substring(0, 60) + "...";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < printable.length(); i++) {
      char c = printable.charAt(i);
      sb.append(Character.isISOControl(c) ? '?' : c);
    }
    if (s.length() > 60) {
      sb.append(" (").append(s.length()).append(" chars)");
    }
    return sb.toString();
  }
}
