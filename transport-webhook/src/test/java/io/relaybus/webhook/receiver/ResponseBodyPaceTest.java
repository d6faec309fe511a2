package io.relaybus.webhook.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.tck.ChildJvm;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Answers with a body (every refusal has one) on a kept-alive connection: the JDK's server
 * writes the headers and the body separately, and with Nagle's algorithm on the body waits for
 * the client's delayed acknowledgement of the headers (40 ms on Linux), so 100 answers take at
 * least 4 s. The server turns Nagle off; the bound leaves room for a busy machine and still
 * fails with Nagle on. In a child JVM, because the JDK reads the switch once, when the first
 * server of the JVM starts (another test's server may already have started in this one).
 */
class ResponseBodyPaceTest {

  @Test
  void answersWithABodyAreNotHeldForDelayedAcknowledgements() {
    try (ChildJvm child = ChildJvm.builder(ResponseBodyPaceMain.class).args("100").start()) {
      String elapsed = child.awaitLineStartingWith("ELAPSED ", Duration.ofSeconds(60));
      assertThat(Long.parseLong(elapsed.substring("ELAPSED ".length())))
          .as("ms for 100 answers with a body on one connection").isLessThan(2_000);
      assertThat(child.awaitLineStartingWith("NODELAY ", Duration.ofSeconds(10)))
          .isEqualTo("NODELAY true");
      assertThat(child.awaitExit(Duration.ofSeconds(30))).isZero();
    }
  }
}
