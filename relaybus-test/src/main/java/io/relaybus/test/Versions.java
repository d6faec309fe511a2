package io.relaybus.test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The server versions this module was built and tested with (versions.properties). */
final class Versions {
  private static final Properties VERSIONS = load();

  private Versions() {}

  static String get(String server) {
    String version = VERSIONS.getProperty(server);
    if (version == null) {
      throw new IllegalStateException("versions.properties of relaybus-test names no " + server);
    }
    return version;
  }

  private static Properties load() {
    Properties versions = new Properties();
    try (InputStream in = Versions.class.getResourceAsStream("versions.properties")) {
      if (in == null) {
        throw new IllegalStateException("relaybus-test has no versions.properties");
      }
      versions.load(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read relaybus-test's versions.properties", e);
    }
    return versions;
  }
}
