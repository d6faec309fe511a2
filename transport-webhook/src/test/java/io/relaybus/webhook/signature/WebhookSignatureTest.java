package io.relaybus.webhook.signature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.webhook.signature.WebhookVerificationException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {

  // The Standard Webhooks specification's published test vector.
  static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  static final String SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  static final long SPEC_TIMESTAMP = 1614265330;
  static final byte[] SPEC_BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
  static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

  static final Clock AT_SPEC_TIME =
      Clock.fixed(Instant.ofEpochSecond(SPEC_TIMESTAMP), ZoneOffset.UTC);

  final WebhookSecret secret = WebhookSecret.parse(SPEC_SECRET);
  final WebhookVerifier verifier =
      WebhookVerifier.builder().secret(secret).clock(AT_SPEC_TIME).build();

  @Test
  void signerProducesThePublishedSignature() {
    assertThat(WebhookSigner.of(secret).sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY))
        .isEqualTo(SPEC_SIGNATURE);
  }

  @Test
  void verifierAcceptsThePublishedVector() {
    assertThat(verifier.verify(SPEC_ID, "1614265330", SPEC_SIGNATURE, SPEC_BODY))
        .isEqualTo(Instant.ofEpochSecond(SPEC_TIMESTAMP));
  }

  @Test
  void tamperedBodyIsRejected() {
    byte[] tampered = "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8);
    assertReason(() -> verifier.verify(SPEC_ID, "1614265330", SPEC_SIGNATURE, tampered),
        Reason.NO_MATCHING_SIGNATURE);
  }

  @Test
  void tamperedIdOrTimestampIsRejected() {
    assertReason(() -> verifier.verify("msg_p5jXN8AQM9LWM0D4loKWxJeK", "1614265330",
        SPEC_SIGNATURE, SPEC_BODY), Reason.NO_MATCHING_SIGNATURE);
    assertReason(() -> verifier.verify(SPEC_ID, "1614265331", SPEC_SIGNATURE, SPEC_BODY),
        Reason.NO_MATCHING_SIGNATURE);
  }

  @Test
  void tamperedSignatureIsRejected() {
    String flipped = "v1,g0hN9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    assertReason(() -> verifier.verify(SPEC_ID, "1614265330", flipped, SPEC_BODY),
        Reason.NO_MATCHING_SIGNATURE);
    assertReason(() -> verifier.verify(SPEC_ID, "1614265330", "v1,not*base64!", SPEC_BODY),
        Reason.NO_MATCHING_SIGNATURE);
  }

  @Test
  void wrongSecretIsRejected() {
    WebhookVerifier other = WebhookVerifier.builder().secret(WebhookSecret.generate())
        .clock(AT_SPEC_TIME).build();
    assertReason(() -> other.verify(SPEC_ID, "1614265330", SPEC_SIGNATURE, SPEC_BODY),
        Reason.NO_MATCHING_SIGNATURE);
  }

  @Test
  void staleAndFutureTimestampsAreRejectedOutsideTheTolerance() {
    WebhookSigner signer = WebhookSigner.of(secret);
    long old = SPEC_TIMESTAMP - 301;
    long future = SPEC_TIMESTAMP + 301;
    assertReason(() -> verifier.verify(SPEC_ID, Long.toString(old),
        signer.sign(SPEC_ID, old, SPEC_BODY), SPEC_BODY), Reason.TIMESTAMP_TOO_OLD);
    assertReason(() -> verifier.verify(SPEC_ID, Long.toString(future),
        signer.sign(SPEC_ID, future, SPEC_BODY), SPEC_BODY), Reason.TIMESTAMP_TOO_NEW);
    // At the edge of the default ±5 min it still verifies.
    long edge = SPEC_TIMESTAMP - 300;
    verifier.verify(SPEC_ID, Long.toString(edge), signer.sign(SPEC_ID, edge, SPEC_BODY),
        SPEC_BODY);
  }

  @Test
  void toleranceIsConfigurable() {
    WebhookVerifier strict = WebhookVerifier.builder().secret(secret).clock(AT_SPEC_TIME)
        .tolerance(Duration.ofSeconds(10)).build();
    long ts = SPEC_TIMESTAMP - 11;
    assertReason(() -> strict.verify(SPEC_ID, Long.toString(ts),
        WebhookSigner.of(secret).sign(SPEC_ID, ts, SPEC_BODY), SPEC_BODY),
        Reason.TIMESTAMP_TOO_OLD);
  }

  @Test
  void missingHeadersAreNamed() {
    assertThatThrownBy(() -> verifier.verify(null, "1614265330", SPEC_SIGNATURE, SPEC_BODY))
        .isInstanceOf(WebhookVerificationException.class).hasMessageContaining("webhook-id")
        .extracting(e -> ((WebhookVerificationException) e).reason())
        .isEqualTo(Reason.MISSING_HEADER);
    assertThatThrownBy(() -> verifier.verify(SPEC_ID, "", SPEC_SIGNATURE, SPEC_BODY))
        .hasMessageContaining("webhook-timestamp");
    assertThatThrownBy(() -> verifier.verify(SPEC_ID, "1614265330", null, SPEC_BODY))
        .hasMessageContaining("webhook-signature");
  }

  @Test
  void malformedHeadersAreRejected() {
    assertReason(() -> verifier.verify(SPEC_ID, "16142653x0", SPEC_SIGNATURE, SPEC_BODY),
        Reason.MALFORMED_HEADER);
    assertReason(() -> verifier.verify(SPEC_ID, "-1614265330", SPEC_SIGNATURE, SPEC_BODY),
        Reason.MALFORMED_HEADER);
    assertReason(() -> verifier.verify("msg.1", "1614265330", SPEC_SIGNATURE, SPEC_BODY),
        Reason.MALFORMED_HEADER);
    assertReason(() -> verifier.verify(SPEC_ID, "1614265330", "g0hM9SsE", SPEC_BODY),
        Reason.MALFORMED_HEADER);
  }

  @Test
  void severalSignaturesInOneHeaderAndUnknownVersionsAreIgnored() {
    String header = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpX "
        + "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,xyz " + SPEC_SIGNATURE;
    verifier.verify(SPEC_ID, "1614265330", header, SPEC_BODY);
    assertReason(() -> verifier.verify(SPEC_ID, "1614265330",
        "v1a,hnO3f9T8Ytu9Hw v2," + SPEC_SIGNATURE.substring(3), SPEC_BODY),
        Reason.NO_MATCHING_SIGNATURE);
  }

  @Test
  void keyRotationWorksFromBothSides() {
    WebhookSecret oldSecret = WebhookSecret.generate();
    WebhookSecret newSecret = WebhookSecret.generate();
    Instant now = Instant.ofEpochSecond(SPEC_TIMESTAMP);
    // The sender signs with both; a receiver holding only one of them accepts.
    Map<String, String> both = WebhookSigner.of(newSecret, oldSecret)
        .headers(SPEC_ID, now, SPEC_BODY);
    assertThat(both.get(WebhookHeaders.SIGNATURE).split(" ")).hasSize(2);
    for (WebhookSecret held : new WebhookSecret[] {oldSecret, newSecret}) {
      WebhookVerifier v = WebhookVerifier.builder().secret(held).clock(AT_SPEC_TIME).build();
      v.verify(both.get(WebhookHeaders.ID), both.get(WebhookHeaders.TIMESTAMP),
          both.get(WebhookHeaders.SIGNATURE), SPEC_BODY);
    }
    // A receiver holding both accepts a sender that signs with either one.
    WebhookVerifier holdingBoth = WebhookVerifier.builder().secret(oldSecret).secret(newSecret)
        .clock(AT_SPEC_TIME).build();
    for (WebhookSecret used : new WebhookSecret[] {oldSecret, newSecret}) {
      holdingBoth.verify(SPEC_ID, "1614265330",
          WebhookSigner.of(used).sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY), SPEC_BODY);
    }
    // And a third secret is still refused.
    assertReason(() -> holdingBoth.verify(SPEC_ID, "1614265330",
        WebhookSigner.of(WebhookSecret.generate()).sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY),
        SPEC_BODY), Reason.NO_MATCHING_SIGNATURE);
  }

  @Test
  void secretRoundTripsAndNeverShowsItself() {
    assertThat(secret.format()).isEqualTo(SPEC_SECRET);
    assertThat(WebhookSecret.parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).isEqualTo(secret);
    WebhookSecret generated = WebhookSecret.generate();
    assertThat(WebhookSecret.parse(generated.format())).isEqualTo(generated);
    assertThat(generated).isNotEqualTo(secret);
    assertThat(secret.toString()).doesNotContain("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .contains("redacted");
    assertThat(WebhookSigner.of(secret).toString()).doesNotContain("MfKQ9r8");
  }

  @Test
  void malformedSecretsAreRefusedWithoutEchoingThem() {
    assertThatThrownBy(() -> WebhookSecret.parse("whsec_s3cr3t!!notbase64"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whsec_")
        .hasMessageNotContaining("s3cr3t");
    assertThatThrownBy(() -> WebhookSecret.parse("whsec_c2hvcnRzZWNyZXQ="))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("24 to 64")
        .hasMessageNotContaining("c2hvcnRzZWNyZXQ");
  }

  @Test
  void signerRefusesIdsThatWouldMakeTheSignedContentAmbiguous() {
    assertThatThrownBy(() -> WebhookSigner.of(secret).sign("a.b", 1, SPEC_BODY))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'.'");
  }

  private static void assertReason(Runnable call, Reason reason) {
    assertThatThrownBy(call::run).isInstanceOf(WebhookVerificationException.class)
        .extracting(e -> ((WebhookVerificationException) e).reason()).isEqualTo(reason);
  }
}
