package io.relaybus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.DeadLetterReason;
import io.relaybus.examples.observability.Observability;
import io.relaybus.examples.observability.Observability.Outcome;
import io.relaybus.ops.Health;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs the observability example on PostgreSQL and checks what it shows an operator. */
class ObservabilityTest {

  @Test
  void showsTheJourneyAsTracesMetersLagDeadLettersAndHealth() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Outcome outcome;
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      Console console = new Console(out, "observability");
      try (PostgresServer server = PostgresServer.startOrConnect(console)) {
        outcome = Observability.run(server, console);
      }
    }
    String text = printed.toString(StandardCharsets.UTF_8);
    String topic = outcome.topic();

    assertThat(outcome.lagBefore().depth()).isEqualTo(2);
    assertThat(outcome.lagBefore().age()).isPositive();
    assertThat(outcome.lagAfter().depth()).isZero();
    assertThat(outcome.deadLettersBefore())
        .isEqualTo(Map.of(DeadLetterReason.RETRIES_EXHAUSTED, 1L));
    assertThat(outcome.replayed()).isEqualTo(1);
    assertThat(outcome.deadLettersAfter()).isEmpty();
    assertThat(outcome.attempts()).containsSubsequence(
        Observability.REFUNDED + "#1", Observability.REFUNDED + "#2",
        Observability.REFUNDED + "#3", Observability.REFUNDED + "#1");
    assertThat(outcome.attempts()).containsSubsequence(
        Observability.CAPTURED + "#1", Observability.CAPTURED + "#2");
    assertThat(outcome.health().status()).isEqualTo(Health.Status.UP);
    assertThat(outcome.asExpected()).isTrue();

    // Each trace in order: the send span, every attempt under it, the dead letter under the
    // last failed attempt, the replayed attempt under the send span again.
    String t = Pattern.quote(topic);
    String error = " ERROR java.lang.IllegalStateException\\R";
    assertThat(text).containsPattern(" +send " + t + " +PRODUCER +payment.captured id=\\S+\\R"
        + " +├─ process " + t + " +CONSUMER +attempt=1 outcome=retry" + error
        + " +└─ process " + t + " +CONSUMER +attempt=2 outcome=done\\R");
    assertThat(text).containsPattern(" +send " + t + " +PRODUCER +payment.refunded id=\\S+\\R"
        + " +├─ process " + t + " +CONSUMER +attempt=1 outcome=retry" + error
        + " +├─ process " + t + " +CONSUMER +attempt=2 outcome=retry" + error
        + " +├─ process " + t + " +CONSUMER +attempt=3 outcome=give_up" + error
        + " +│  └─ dead_letter " + t + " +INTERNAL +attempt=3 reason=RETRIES_EXHAUSTED\\R"
        + " +└─ process " + t + " +CONSUMER +attempt=1 outcome=done\\R");
    assertThat(text)
        .containsPattern("messaging.client.sent.messages\\{error.type=none} +2\\R")
        .containsPattern("messaging.client.consumed.messages +6\\R")
        .containsPattern("messaging.process.duration\\{error.type=java.lang.IllegalStateException}"
            + " +4, total")
        .containsPattern("messaging.process.duration\\{error.type=none} +2, total")
        .containsPattern("relaybus.retries +3\\R")
        .containsPattern("relaybus.dead.letters\\{relaybus.dead_letter.reason=RETRIES_EXHAUSTED}"
            + " +1\\R")
        .containsPattern("lag: depth 2 \\(partition \\d: [12].*\\), oldest waiting "
            + "\\d+ ms")
        .contains("lag: depth 0, oldest waiting 0 ms")
        .contains("dead letters of ledger: {RETRIES_EXHAUSTED=1}", "replayed 1")
        .contains("health: UP").containsPattern("postgres.pool +UP")
        .containsPattern("postgres.consumer." + topic + ".ledger +UP")
        .contains("OK: one retry, one dead letter replayed by filter");
  }
}
