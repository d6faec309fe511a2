package io.relaybus.webhook.internal.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.relaybus.RelaybusException;
import io.relaybus.webhook.PayloadMode;
import io.relaybus.webhook.WebhookEndpoint;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** An endpoint's configuration as the JSON the durable outbox stores in its route row. */
final class EndpointJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private EndpointJson() {}

  static String write(WebhookEndpoint e) {
    ObjectNode n = JSON.createObjectNode();
    n.put("url", e.url().toString());
    if (e.secret() != null) {
      n.put("secret", e.secret());
    }
    n.putPOJO("topics", List.copyOf(e.topics()));
    n.put("timeoutMs", e.timeout().toMillis());
    n.put("rateLimit", e.rateLimit());
    n.put("concurrency", e.concurrency());
    n.put("ordered", e.ordered());
    n.put("payloadMode", e.payloadMode().name());
    ObjectNode h = n.putObject("headers");
    e.headers().forEach(h::put);
    return n.toString();
  }

  static WebhookEndpoint read(String name, String json) {
    try {
      JsonNode n = JSON.readTree(json);
      WebhookEndpoint.Builder b = WebhookEndpoint.builder(name).url(n.get("url").asText())
          .timeout(Duration.ofMillis(n.get("timeoutMs").asLong()))
          .rateLimit(n.get("rateLimit").asDouble()).concurrency(n.get("concurrency").asInt())
          .ordered(n.get("ordered").asBoolean())
          .payloadMode(PayloadMode.valueOf(n.get("payloadMode").asText()));
      if (n.hasNonNull("secret")) {
        b.secret(n.get("secret").asText());
      }
      List<String> topics = new ArrayList<>();
      n.get("topics").forEach(t -> topics.add(t.asText()));
      b.topics(topics);
      for (Iterator<Map.Entry<String, JsonNode>> it = n.get("headers").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        b.header(f.getKey(), f.getValue().asText());
      }
      return b.build();
    } catch (IOException | RuntimeException e) {
      throw new RelaybusException("Stored configuration of endpoint '" + name
          + "' is unreadable: " + e.getMessage(), e);
    }
  }
}
