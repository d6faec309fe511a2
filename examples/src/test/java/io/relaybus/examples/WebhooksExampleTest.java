package io.relaybus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.examples.webhooks.PartnerService;
import io.relaybus.examples.webhooks.Webhooks;
import io.relaybus.examples.webhooks.Webhooks.Outcome;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the webhooks example and checks its outcome, not only its exit. */
class WebhooksExampleTest {

  @Test
  void everyEventIsDeliveredOnceAfterItsRetriesAndForgedRequestsAreRefused() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Outcome outcome;
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      Console console = new Console(out, "webhooks");
      try (PostgresServer server = PostgresServer.startOrConnect(console)) {
        outcome = Webhooks.run(server, console);
      }
    }
    String text = printed.toString(StandardCharsets.UTF_8);

    assertThat(outcome.delivered()).isEqualTo(Webhooks.EVENTS);
    assertThat(outcome.handled()).hasSize(Webhooks.EVENTS).allSatisfy((event, times) ->
        assertThat(times).as("times event %s was handled", event).isEqualTo(1));
    List<Integer> answers = List.of(500, 503, 204);
    assertThat(outcome.partnerAnswers()).hasSize(Webhooks.EVENTS)
        .allSatisfy((id, calls) -> assertThat(calls).as(id).isEqualTo(answers));
    assertThat(outcome.senderAttempts()).hasSize(Webhooks.EVENTS)
        .allSatisfy((delivery, statuses) -> assertThat(statuses).as("delivery %s", delivery)
            .isEqualTo(answers));
    assertThat(PartnerService.ANSWERS).isEqualTo(answers);
    assertThat(outcome.forged())
        .containsEntry(Webhooks.WRONG_SECRET, 401)
        .containsEntry(Webhooks.TAMPERED_BODY, 401)
        .containsEntry(Webhooks.UNSIGNED, 400)
        .containsEntry(Webhooks.REPLAYED, 204)
        .hasSize(4);
    assertThat(outcome.replayMarkedDuplicate()).isTrue();
    assertThat(outcome.handlerCallsDuringForgery()).isZero();
    assertThat(outcome.pendingAfter()).isZero();
    assertThat(outcome.asExpected()).isTrue();
    assertThat(text).contains("-> 500", "-> 503, Retry-After: 1", "-> 204, handled")
        .contains("webhook-duplicate: true").contains("OK: every event delivered once")
        // the endpoint's secret is never printed
        .doesNotContainPattern("whsec_[A-Za-z0-9+/=]{16,}");
  }
}
