/**
 * The transport compatibility kit: the abstract JUnit 5 suite a transport's tests extend, and
 * the helpers those tests share ({@code Recorder}, {@code ChildJvm},
 * {@code TestInfrastructureException}).
 *
 * <p>The package is opened to JUnit, which runs the kit's package-private test methods and
 * nested families reflectively, and to Jackson, which decodes the records the kit publishes as
 * JSON.
 */
module io.relaybus.tck {
  requires transitive io.relaybus;
  requires transitive org.junit.jupiter.api;
  requires org.junit.jupiter.params;
  requires org.assertj.core;
  // Awaitility 4.3 declares no module name; "awaitility" is the one derived from its jar name.
  requires awaitility;
  requires org.slf4j;

  exports io.relaybus.tck;

  opens io.relaybus.tck to org.junit.platform.commons, com.fasterxml.jackson.databind;
}
