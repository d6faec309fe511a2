package io.relaybus.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Another JVM on the test classpath: its output, its exit, its SIGKILL. */
class ChildJvmTest {

  private static final Duration STARTUP = Duration.ofSeconds(60);

  @Test
  void runsAMainReadsItsOutputAndKillsItWithSigkill() {
    ChildJvm child = ChildJvm.builder(EchoMain.class).start();
    try (child) {
      assertThat(child.awaitLineStartingWith("READY", STARTUP)).isEqualTo("READY " + child.pid());

      child.sendLine("echo hello");
      assertThat(child.awaitLine("ECHO hello"::equals, STARTUP)).isEqualTo("ECHO hello");
      assertThat(child.lines()).containsExactly("READY " + child.pid(), "ECHO hello");
      assertThat(child.isAlive()).isTrue();

      assertThat(child.kill()).isEqualTo(137); // 128 + SIGKILL(9)

      assertThat(child.isAlive()).isFalse();
      assertThat(ProcessHandle.of(child.pid()).filter(ProcessHandle::isAlive)).isEmpty();
    }
    child.close();
  }

  @Test
  void closeKillsAChildThatStillRuns() {
    ChildJvm child = ChildJvm.builder(EchoMain.class).name("left-running").start();
    child.awaitLineStartingWith("READY", STARTUP);

    child.close();

    assertThat(child.isAlive()).isFalse();
    assertThat(ProcessHandle.of(child.pid()).filter(ProcessHandle::isAlive)).isEmpty();
  }

  @Test
  void reportsTheExitCodeOfAChildThatExitsByItself() {
    try (ChildJvm child = ChildJvm.builder(EchoMain.class).start()) {
      child.awaitLineStartingWith("READY", STARTUP);
      child.sendLine("exit 3");
      assertThat(child.awaitExit(STARTUP)).isEqualTo(3);
      assertThat(child.kill()).isEqualTo(3);
    }
  }

  @Test
  void childSeesTheEnvironmentItIsGiven() {
    try (ChildJvm child = ChildJvm.builder(EchoMain.class).args("env=RELAYBUS_TEST_MARKER")
        .env("RELAYBUS_TEST_MARKER", "4242").start()) {
      assertThat(child.awaitLineStartingWith("VALUE", STARTUP)).isEqualTo("VALUE 4242");
    }
  }

  @Test
  @Timeout(45)
  void awaitLineFailsAtOnceWithTheOutputWhenTheChildExits() {
    try (ChildJvm child = ChildJvm.builder(EchoMain.class).args("fail").start()) {
      assertThatThrownBy(() -> child.awaitLineStartingWith("READY", Duration.ofMinutes(5)))
          .isInstanceOf(TestInfrastructureException.class)
          .hasMessageContaining("exited with code 2")
          .hasMessageContaining("BOOM");
    }
  }

  @Test
  void awaitLineFailsAfterItsTimeoutWhileTheChildRuns() {
    try (ChildJvm child = ChildJvm.builder(EchoMain.class).start()) {
      child.awaitLineStartingWith("READY", STARTUP);
      assertThatThrownBy(() -> child.awaitLineStartingWith("NEVER", Duration.ofMillis(200)))
          .isInstanceOf(TestInfrastructureException.class)
          .hasMessageContaining("printed no such line in 200 ms")
          .hasMessageContaining("READY");
    }
  }
}
