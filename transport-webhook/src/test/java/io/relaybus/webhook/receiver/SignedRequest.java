package io.relaybus.webhook.receiver;

import io.relaybus.Event;
import io.relaybus.webhook.payload.PayloadFormat;
import io.relaybus.webhook.payload.WebhookPayload;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookSigner;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A webhook request as the Relaybus sender builds it, with knobs to break it. */
final class SignedRequest {

  final Map<String, String> headers = new LinkedHashMap<>();
  byte[] body;

  static SignedRequest of(WebhookSecret secret, String topic, Event event, Instant sentAt) {
    return of(WebhookSigner.of(secret), PayloadFormat.STANDARD_WEBHOOKS, topic, event, sentAt);
  }

  static SignedRequest of(WebhookSigner signer, PayloadFormat format, String topic, Event event,
      Instant sentAt) {
    WebhookPayload payload = WebhookPayloads.encode(format, topic, event);
    SignedRequest r = new SignedRequest();
    if (payload.contentType() != null) {
      r.headers.put("Content-Type", payload.contentType());
    }
    r.headers.putAll(payload.headers());
    r.headers.putAll(signer.headers(payload.webhookId(), sentAt, payload.body()));
    r.body = payload.body();
    return r;
  }

  SignedRequest attempt(int attempt) {
    headers.put(WebhookHeaders.ATTEMPT, Integer.toString(attempt));
    return this;
  }

  SignedRequest without(String header) {
    headers.remove(header);
    return this;
  }

  SignedRequest with(String header, String value) {
    headers.put(header, value);
    return this;
  }

  String id() {
    return headers.get(WebhookHeaders.ID);
  }

  Map<String, List<String>> headerLists() {
    Map<String, List<String>> lists = new LinkedHashMap<>();
    headers.forEach((k, v) -> lists.put(k, List.of(v)));
    return lists;
  }
}
