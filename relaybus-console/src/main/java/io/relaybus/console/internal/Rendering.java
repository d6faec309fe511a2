package io.relaybus.console.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.GroupMember;
import io.relaybus.ops.Health;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The markup of the pages' parts: tables, forms and the layout around them. */
final class Rendering {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);
  private static final int ERROR_PREVIEW = 120;

  private final String base;

  Rendering(String base) {
    this.base = base;
  }

  String layout(ConsoleHandler.Principal who, String title, String content) {
    Html h = new Html();
    h.raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<title>").text(title).raw(" · Relaybus console</title><link rel=\"stylesheet\" href=\"")
        .text(base + "/assets/console.css").raw("\"></head><body><header><span class=\"brand\">"
        + "Relaybus console</span>");
    if (who != null) {
      h.raw("<nav>").link(base + "/", "Overview").link(base + "/dead-letters", "Dead letters")
          .link(base + "/event", "Find an event").link(base + "/endpoints", "Endpoints")
          .raw("</nav><span class=\"who\" id=\"who\">").text(who.user()).raw(" · ")
          .text(who.role().label()).raw("</span>");
      if (who.session() != null) {
        h.raw("<form method=\"post\" action=\"").text(base + "/logout")
            .raw("\" class=\"inline\">").hidden("csrf", who.session().csrf)
            .raw("<button type=\"submit\" id=\"sign-out\">Sign out</button></form>");
      }
    }
    h.raw("</header><main><h1>").text(title).raw("</h1>").raw(content)
        .raw("</main></body></html>");
    return h.toString();
  }

  void healthTable(Html h, Health health) {
    h.raw("<table class=\"health\"><thead><tr><th>component</th><th>status</th><th>since</th>"
        + "<th>reason</th></tr></thead><tbody>");
    for (Health.Component c : health.components()) {
      h.raw("<tr><td>").text(c.name()).raw("</td><td><span class=\"status ")
          .text(c.status().name().toLowerCase(Locale.ROOT)).raw("\">").text(c.status())
          .raw("</span></td><td>").text(Html.time(c.since())).raw("</td><td>")
          .text(c.reason().orElse("")).raw("</td></tr>");
    }
    h.raw("</tbody></table>");
  }

  private void endpointAction(Html h, String action, String endpoint, String csrf,
      String label) {
    h.raw("<form method=\"post\" action=\"").text(base + "/endpoints/" + action)
        .raw("\" class=\"inline\">").hidden("csrf", csrf).hidden("endpoint", endpoint)
        .raw("<button type=\"submit\" class=\"endpoint-").raw(action).raw("\">").text(label)
        .raw("</button></form>");
  }

  /** A group's running members: id, where each runs, its partitions, when last seen. */
  void members(Html h, List<GroupMember> members) {
    h.raw("<h3>Members</h3>");
    if (members.isEmpty()) {
      h.el("p", "empty members", "No running member.");
      return;
    }
    h.raw("<table class=\"members\"><thead><tr><th>member</th><th>where</th>"
        + "<th>partitions</th><th>last seen</th></tr></thead><tbody>");
    for (GroupMember m : members) {
      h.raw("<tr><td>").text(m.id()).raw("</td><td>").text(m.host().orElse("")).raw("</td><td>")
          .text(m.partitions().stream().map(String::valueOf).collect(Collectors.joining(", ")))
          .raw("</td><td>").text(m.lastSeen().map(Html::time).orElse("")).raw("</td></tr>");
    }
    h.raw("</tbody></table>");
  }

  void deadLetterCounts(Html h, String topic, String group, Map<DeadLetterReason, Long> counts) {
    if (counts.isEmpty()) {
      h.raw("<span class=\"dead-letters\">0</span>");
      return;
    }
    h.raw("<span class=\"dead-letters\">");
    for (Map.Entry<DeadLetterReason, Long> e : new TreeMap<>(counts).entrySet()) {
      h.link(base + "/dead-letters?topic=" + Html.url(topic) + "&group=" + Html.url(group)
          + "&reason=" + e.getKey().name(), e.getKey().name().toLowerCase(Locale.ROOT)
          .replace('_', ' ') + ": " + e.getValue()).raw(" ");
    }
    h.raw("</span>");
  }

  void filterForm(Html h, Map<String, String> p) {
    h.raw("<form method=\"get\" action=\"").text(base + "/dead-letters")
        .raw("\" class=\"filter\" id=\"filter\">")
        .input("Topic", "topic", p.get("topic"), "topic (required)")
        .input("Group", "group", p.get("group"), "any group")
        .input("Event id", "id", p.get("id"), "any id")
        .input("Type", "type", p.get("type"), "any type")
        .raw("<label>Reason <select name=\"reason\" id=\"f-reason\"><option value=\"\">any"
            + "</option>");
    for (DeadLetterReason r : Pages.reasons()) {
      h.raw("<option value=\"").text(r.name()).raw("\"")
          .raw(r.name().equalsIgnoreCase(p.getOrDefault("reason", "")) ? " selected" : "")
          .raw(">").text(r.name().toLowerCase(Locale.ROOT).replace('_', ' ')).raw("</option>");
    }
    h.raw("</select></label>")
        .input("From", "from", p.get("from"), "2026-01-31T12:00:00Z")
        .input("To", "to", p.get("to"), "exclusive")
        .input("JSON field", "field", p.get("field"), "e.g. customer.id")
        .input("equals", "value", p.get("value"), "value")
        .raw("<button type=\"submit\" id=\"search\">Search</button></form>");
  }

  void filterList(Html h, DeadLetterFilter f) {
    h.raw("<dl class=\"filter-list\">");
    f.params().forEach((k, v) -> h.el("dt", null, k).el("dd", null, v));
    h.raw("</dl>");
  }

  static String dlParams(DeadLetter dl) {
    return "topic=" + Html.url(dl.topic()) + "&group=" + Html.url(dl.group()) + "&event="
        + Html.url(dl.event().id()) + "&dl=" + Html.url(dl.id());
  }

  void deadLetterTable(Html h, List<DeadLetter> items) {
    if (items.isEmpty()) {
      h.el("p", "empty", "No dead letters match.");
      return;
    }
    h.raw("<table id=\"dead-letters\"><thead><tr><th>dead-lettered</th><th>event id</th>"
        + "<th>type</th><th>group</th><th>reason</th><th class=\"num\">attempts</th>"
        + "<th>last error</th>"
        + "</tr></thead><tbody>");
    for (DeadLetter dl : items) {
      String err = dl.lastError();
      h.raw("<tr class=\"dead-letter\"><td>").text(Html.time(dl.deadLetteredAt())).raw("</td><td>")
          .link(base + "/dead-letter?" + dlParams(dl), dl.event().id()).raw("</td><td>")
          .text(dl.event().type()).raw("</td><td>").text(dl.group()).raw("</td><td>")
          .text(dl.reason().name().toLowerCase(Locale.ROOT).replace('_', ' '))
          .raw("</td><td class=\"num\">").text(dl.attempts()).raw("</td><td class=\"error\">")
          .text(err.length() > ERROR_PREVIEW ? err.substring(0, ERROR_PREVIEW) + "…" : err)
          .raw("</td></tr>");
    }
    h.raw("</tbody></table>");
  }

  void deadLetterDetail(Html h, DeadLetter dl) {
    Event e = dl.event();
    h.raw("<section><h2>Dead letter</h2><table class=\"attributes\"><tbody>");
    row(h, "topic", dl.topic());
    row(h, "group", dl.group());
    row(h, "reason", dl.reason().name().toLowerCase(Locale.ROOT).replace('_', ' '));
    row(h, "attempts", dl.attempts());
    row(h, "dead-lettered at", Html.time(dl.deadLetteredAt()));
    row(h, "dead-letter id", dl.id());
    h.raw("</tbody></table><h3>Last error</h3><pre class=\"error\" id=\"last-error\">")
        .text(dl.lastError()).raw("</pre></section>");
    h.raw("<section><h2>Event attributes</h2><table class=\"attributes\"><tbody>");
    row(h, "id", e.id());
    row(h, "source", e.source());
    row(h, "type", e.type());
    row(h, "subject", e.subject().orElse(""));
    row(h, "time", Html.time(e.time()));
    row(h, "datacontenttype", e.dataContentType().orElse(""));
    row(h, "dataschema", e.dataSchema().orElse(""));
    row(h, "key", e.key().orElse(""));
    h.raw("</tbody></table>");
    h.raw("<h3>Headers</h3>");
    if (e.headers().isEmpty()) {
      h.el("p", "empty", "none");
    } else {
      h.raw("<table class=\"attributes\" id=\"headers\"><tbody>");
      new TreeMap<>(e.headers()).forEach((k, v) -> row(h, k, v));
      h.raw("</tbody></table>");
    }
    h.raw("<h3>Data (").text(e.dataLength()).raw(" bytes)</h3><pre id=\"data\">")
        .text(pretty(e.data())).raw("</pre></section>");
  }

  private static void row(Html h, String name, Object value) {
    h.raw("<tr><th>").text(name).raw("</th><td>").text(value).raw("</td></tr>");
  }

  /** JSON indented; other UTF-8 text as is; anything else as Base64. */
  static String pretty(byte[] data) {
    try {
      JsonNode node = JSON.readTree(data);
      if (node != null && !node.isMissingNode()) {
        return JSON.writeValueAsString(node);
      }
    } catch (java.io.IOException e) {
      // not JSON: shown as text below
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data))
          .toString();
    } catch (CharacterCodingException e) {
      return "(binary, Base64) " + Base64.getEncoder().encodeToString(data);
    }
  }

  void eventStatus(Html h, EventStatus s) {
    h.raw("<section class=\"event-status\"><h2>Topic ").text(s.topic()).raw("</h2>");
    h.raw("<p>Stored at ");
    new TreeMap<>(s.location()).forEach((k, v) -> h.text(k + " " + v + " "));
    h.raw("</p><table id=\"consumption\"><thead><tr><th>group</th><th>state</th></tr></thead>"
        + "<tbody>");
    new TreeMap<>(s.groups()).forEach((group, c) -> {
      h.raw("<tr><td>").text(group).raw("</td><td class=\"state ")
          .text(c.name().toLowerCase(Locale.ROOT)).raw("\">");
      if (c == EventStatus.Consumption.DEAD_LETTER) {
        h.link(base + "/dead-letters?topic=" + Html.url(s.topic()) + "&group=" + Html.url(group)
            + "&id=" + Html.url(s.eventId()), "dead letter");
      } else {
        h.text(c.name().toLowerCase(Locale.ROOT));
      }
      h.raw("</td></tr>");
    });
    h.raw("</tbody></table></section>");
  }

  /** What a test event sent to an endpoint met: status, latency, error. */
  void testResult(Html h, String endpoint, EndpointStatus.Attempt sent) {
    boolean ok = sent.status() >= 200 && sent.status() < 300;
    h.raw("<section class=\"test-result ").raw(ok ? "ok" : "failed").raw("\" id=\"test-result\">"
        + "<h2>Test event sent to ").text(endpoint).raw("</h2><table class=\"attributes\">"
        + "<tbody>");
    row(h, "event", sent.eventId());
    row(h, "status", sent.status() == 0 ? "no response" : sent.status());
    row(h, "latency", sent.latencyMillis() + " ms");
    row(h, "error", sent.error().orElse(""));
    h.raw("</tbody></table></section>");
  }

  void endpoints(Html h, List<EndpointStatus> endpoints, boolean canAct, String csrf) {
    if (endpoints.isEmpty()) {
      h.el("p", "empty", "No endpoints.");
      return;
    }
    for (EndpointStatus ep : endpoints) {
      h.raw("<section class=\"endpoint\"><h2>").text(ep.name()).raw("</h2>");
      h.raw("<table class=\"attributes\"><tbody>");
      row(h, "url", ep.url());
      row(h, "topics", String.join(", ", ep.topics()));
      row(h, "state", ep.enabled() ? "enabled" : "disabled");
      row(h, "breaker", ep.breaker());
      row(h, "pending", ep.pending());
      h.raw("</tbody></table>");
      if (canAct) {
        String action = ep.enabled() ? "disable" : "enable";
        endpointAction(h, action, ep.name(), csrf, ep.enabled() ? "Disable" : "Enable");
        endpointAction(h, "test", ep.name(), csrf, "Send test event");
      }
      h.raw("<h3>Recent attempts</h3>");
      if (ep.recentAttempts().isEmpty()) {
        h.el("p", "empty", "none");
      } else {
        h.raw("<table><thead><tr><th>at</th><th>event</th><th class=\"num\">attempt</th>"
            + "<th class=\"num\">status</th>"
            + "<th class=\"num\">latency</th><th>error</th></tr></thead><tbody>");
        for (EndpointStatus.Attempt a : ep.recentAttempts()) {
          h.raw("<tr><td>").text(Html.time(a.at())).raw("</td><td>").text(a.eventId())
              .raw("</td><td class=\"num\">").text(a.attempt()).raw("</td><td class=\"num\">")
              .text(a.status() == 0 ? "—" : a.status()).raw("</td><td class=\"num\">")
              .text(a.latencyMillis() + " ms").raw("</td><td class=\"error\">")
              .text(a.error().orElse("")).raw("</td></tr>");
        }
        h.raw("</tbody></table>");
      }
      h.raw("</section>");
    }
  }
}
