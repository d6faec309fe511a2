package io.relaybus.console.internal;

import io.relaybus.Capability;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.EventBus;
import io.relaybus.console.ConsoleResponse;
import io.relaybus.console.Role;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import io.relaybus.ops.PartitionLag;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pages (GET) and the actions (POST, already cleared by {@link ConsoleHandler}), each a
 * client of the bus's {@link Operations}.
 */
final class Pages {
  static final int PAGE_SIZE = 50;

  private final EventBus bus;
  private final String base;
  private final LagHistory history = new LagHistory();
  private final Rendering render;

  Pages(EventBus bus, String base) {
    this.bus = bus;
    this.base = base;
    this.render = new Rendering(base);
  }

  private boolean has(Capability c) {
    return bus.capabilities().has(c);
  }

  ConsoleResponse show(String path, Map<String, String> p, ConsoleHandler.Principal who) {
    switch (path) {
      case "/":
        return page(who, "Overview", overview());
      case "/topic":
        return page(who, "Topic " + required(p, "topic"), topic(p.get("topic"), p.get("group")));
      case "/dead-letters":
        return page(who, "Dead letters", deadLetters(p, who));
      case "/dead-letter":
        return page(who, "Dead letter", deadLetter(p, who));
      case "/dead-letters/confirm":
        requireOperator(who);
        return page(who, "Confirm", confirmBulk(p, who));
      case "/dead-letter/confirm":
        requireOperator(who);
        return page(who, "Confirm", confirmOne(p, who));
      case "/event":
        return page(who, "Find an event", event(p));
      case "/endpoints":
        return page(who, "Webhook endpoints", endpoints(who));
      default:
        return Responses.page(404, layout(who, "Not found",
            "<p>No such page.</p>"));
    }
  }

  ConsoleResponse act(String path, Map<String, String> form, ConsoleHandler.Principal who) {
    Operations ops = bus.operations();
    switch (path) {
      case "/dead-letters/replay":
      case "/dead-letters/purge": {
        DeadLetterFilter f = DeadLetterFilter.of(form);
        if (f.matchesDataField()) {
          throw new IllegalArgumentException("Bulk actions act on the operations API's filter; "
              + "remove the JSON field filter (field=" + f.field + ") first");
        }
        boolean replay = path.endsWith("replay");
        long n = replay ? ops.replayDeadLetters(f.query().build())
            : ops.purgeDeadLetters(f.query().build());
        ConsoleHandler.AUDIT.info("user={} action={} filter={} confirmed={} count={}",
            who.user(), replay ? "replay-dead-letters" : "purge-dead-letters", f,
            form.get("expected"), n);
        Html h = new Html();
        h.el("p", "done", (replay ? "Replayed " : "Purged ") + n + " dead letter"
            + (n == 1 ? "" : "s") + ".");
        if (form.get("expected") != null && !form.get("expected").equals(Long.toString(n))) {
          h.el("p", "note", "The confirmation counted " + form.get("expected")
              + "; the set changed in between.");
        }
        h.raw("<p>").link(base + "/dead-letters?topic=" + Html.url(f.topic), "Back to the "
            + "dead letters of " + f.topic).raw("</p>");
        return page(who, replay ? "Replayed" : "Purged", h.toString());
      }
      case "/dead-letter/replay": {
        String topic = required(form, "topic");
        String group = required(form, "group");
        String id = required(form, "dl");
        boolean done = bus.deadLetters().replay(topic, group, id);
        ConsoleHandler.AUDIT.info("user={} action=replay-dead-letter filter={topic={}, "
            + "group={}, deadLetterId={}} count={}", who.user(), topic, group, id, done ? 1 : 0);
        Html h = new Html();
        h.el("p", "done", done ? "Replayed 1 dead letter." : "That dead letter is gone "
            + "(replayed or purged meanwhile); nothing was replayed.");
        h.raw("<p>").link(base + "/dead-letters?topic=" + Html.url(topic) + "&group="
            + Html.url(group), "Back to the dead letters").raw("</p>");
        return page(who, "Replayed", h.toString());
      }
      case "/endpoints/disable":
      case "/endpoints/enable": {
        String name = required(form, "endpoint");
        boolean disable = path.endsWith("disable");
        if (disable) {
          ops.disableEndpoint(name);
        } else {
          ops.enableEndpoint(name);
        }
        ConsoleHandler.AUDIT.info("user={} action={} filter={endpoint={}} count=1",
            who.user(), disable ? "disable-endpoint" : "enable-endpoint", name);
        return Responses.redirect(base + "/endpoints");
      }
      case "/endpoints/test": {
        String name = required(form, "endpoint");
        EndpointStatus.Attempt sent = ops.testEndpoint(name);
        ConsoleHandler.AUDIT.info("user={} action=test-endpoint filter={endpoint={}} count=1 "
            + "eventId={} status={} latencyMs={} error={}", who.user(), name, sent.eventId(),
            sent.status(), sent.latencyMillis(), sent.error().orElse(""));
        Html h = new Html();
        render.testResult(h, name, sent);
        return page(who, "Webhook endpoints", h + endpoints(who));
      }
      default:
        return Responses.page(404, layout(who, "Not found", "<p>No such action.</p>"));
    }
  }

  private static void requireOperator(ConsoleHandler.Principal who) {
    if (who.role() != Role.OPERATOR) {
      throw new IllegalArgumentException("Your role is read-only: you may look, not act");
    }
  }

  private static String required(Map<String, String> p, String name) {
    String v = p.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("Parameter '" + name + "' is required");
    }
    return v.trim();
  }

  private ConsoleResponse page(ConsoleHandler.Principal who, String title, String content) {
    return Responses.page(200, layout(who, title, content));
  }

  private String layout(ConsoleHandler.Principal who, String title, String content) {
    return render.layout(who, title, content);
  }

  static String signIn(String base, String error) {
    Html h = new Html();
    h.raw("<form method=\"post\" action=\"").text(base + "/login").raw("\" class=\"signin\">");
    if (error != null) {
      h.el("p", "error", error);
    }
    h.raw("<label>User <input type=\"text\" name=\"user\" id=\"user\" autocomplete=\"username\">"
        + "</label><label>Password or token <input type=\"password\" name=\"password\" "
        + "id=\"password\" autocomplete=\"current-password\"></label><p class=\"hint\">"
        + "With a token, leave the user empty.</p>"
        + "<button type=\"submit\" id=\"sign-in\">Sign in</button></form>");
    return new Rendering(base).layout(null, "Sign in", h.toString());
  }

  static String refusal(String base, String title, String message) {
    return new Rendering(base).layout(null, title,
        "<p class=\"error\">" + Html.esc(message) + "</p>");
  }

  static String error(String base, ConsoleHandler.Principal who, String title, String message) {
    return new Rendering(base).layout(who, title,
        "<p class=\"error\">" + Html.esc(message) + "</p>");
  }

  // ---- overview and topics

  private String overview() {
    Operations ops = bus.operations();
    Html h = new Html();
    Health health = ops.health();
    h.raw("<section><h2>Health <span class=\"status ").text(health.status().name().toLowerCase())
        .raw("\" id=\"health\">").text(health.status()).raw("</span></h2>");
    render.healthTable(h, health);
    h.raw("</section><section><h2>Topics and groups</h2>");
    List<String> topics = ops.topics();
    if (topics.isEmpty()) {
      h.el("p", "empty", "No topics yet.");
    } else {
      h.raw("<table id=\"groups\"><thead><tr><th>topic</th><th>group</th>"
          + "<th class=\"num\">lag depth</th>"
          + "<th class=\"num\">lag age</th><th>history</th><th>dead letters</th></tr>"
          + "</thead><tbody>");
      for (String topic : topics) {
        List<String> groups = ops.groups(topic);
        if (groups.isEmpty()) {
          h.raw("<tr><td>").link(base + "/topic?topic=" + Html.url(topic), topic)
              .raw("</td><td class=\"empty\" colspan=\"5\">no groups</td></tr>");
        }
        for (String group : groups) {
          groupRow(h, ops, topic, group);
        }
      }
      h.raw("</tbody></table>");
    }
    h.raw("</section>");
    return h.toString();
  }

  private void groupRow(Html h, Operations ops, String topic, String group) {
    h.raw("<tr data-topic=\"").text(topic).raw("\" data-group=\"").text(group).raw("\"><td>")
        .link(base + "/topic?topic=" + Html.url(topic), topic).raw("</td><td>")
        .link(base + "/topic?topic=" + Html.url(topic) + "&group=" + Html.url(group), group)
        .raw("</td>");
    if (has(Capability.LAG)) {
      GroupLag lag = ops.lag(topic, group);
      history.record(topic, group, lag.depth());
      h.raw("<td class=\"num lag-depth\">").text(lag.depth()).raw("</td><td class=\"num\">")
          .text(Html.duration(lag.age())).raw("</td><td>")
          .raw(history.sparkline(topic, group)).raw("</td>");
    } else {
      h.raw("<td class=\"empty\" colspan=\"3\">lag not offered by this transport</td>");
    }
    h.raw("<td>");
    if (has(Capability.DEAD_LETTERS)) {
      render.deadLetterCounts(h, topic, group, ops.deadLetterCounts(topic, group));
    } else {
      h.text("—");
    }
    h.raw("</td></tr>");
  }

  private String topic(String topic, String onlyGroup) {
    Operations ops = bus.operations();
    Html h = new Html();
    List<String> groups = onlyGroup != null && !onlyGroup.isBlank() ? List.of(onlyGroup.trim())
        : ops.groups(topic);
    h.raw("<p>").link(base + "/dead-letters?topic=" + Html.url(topic), "Dead letters of "
        + topic).raw("</p>");
    if (groups.isEmpty()) {
      h.el("p", "empty", "No groups on this topic.");
    }
    for (String group : groups) {
      h.raw("<section class=\"group\"><h2>Group ").text(group).raw("</h2>");
      if (has(Capability.LAG)) {
        GroupLag lag = ops.lag(topic, group);
        history.record(topic, group, lag.depth());
        h.raw("<p>Lag <strong class=\"lag-depth\">").text(lag.depth())
            .raw("</strong> events, oldest ").text(Html.duration(lag.age()))
            .raw(" old, measured ").text(Html.time(lag.measuredAt())).raw(" ")
            .raw(history.sparkline(topic, group)).raw("</p>");
        h.raw("<table class=\"partitions\"><thead><tr><th class=\"num\">partition</th>"
            + "<th class=\"num\">depth</th><th class=\"num\">age</th></tr></thead><tbody>");
        for (PartitionLag pl : lag.partitions()) {
          h.raw("<tr><td class=\"num\">").text(pl.partition()).raw("</td><td class=\"num\">")
              .text(pl.depth()).raw("</td><td class=\"num\">").text(Html.duration(pl.age()))
              .raw("</td></tr>");
        }
        h.raw("</tbody></table>");
      } else {
        h.el("p", "empty", "This transport does not offer lag.");
      }
      render.members(h, ops.members(topic, group));
      if (has(Capability.DEAD_LETTERS)) {
        h.raw("<p>Dead letters: ");
        render.deadLetterCounts(h, topic, group, ops.deadLetterCounts(topic, group));
        h.raw("</p>");
      }
      h.raw("</section>");
    }
    return h.toString();
  }

  // ---- dead letters

  private String deadLetters(Map<String, String> p, ConsoleHandler.Principal who) {
    Html h = new Html();
    render.filterForm(h, p);
    String topic = p.get("topic");
    if (topic == null || topic.isBlank()) {
      List<String> topics = bus.operations().topics();
      h.el("p", "hint", topics.isEmpty() ? "No topics yet." : "Choose a topic:");
      h.raw("<ul>");
      for (String t : topics) {
        h.raw("<li>").link(base + "/dead-letters?topic=" + Html.url(t), t).raw("</li>");
      }
      h.raw("</ul>");
      return h.toString();
    }
    DeadLetterFilter f = DeadLetterFilter.of(p);
    String after = p.get("after");
    DeadLetterPage page = f.page(bus.operations(), after == null || after.isBlank() ? null
        : after, PAGE_SIZE);
    if (who.role() == Role.OPERATOR) {
      if (f.matchesDataField()) {
        h.el("p", "note", "Replay and purge by filter act on the operations API's filter, which "
            + "has no JSON field: remove the field to act in bulk, or open a dead letter to "
            + "replay it alone.");
      } else {
        h.raw("<p class=\"actions\">")
            .link(base + "/dead-letters/confirm?action=replay&" + f.queryString(),
                "Replay all matching…")
            .raw(" ")
            .link(base + "/dead-letters/confirm?action=purge&" + f.queryString(),
                "Purge all matching…")
            .raw("</p>");
      }
    }
    render.deadLetterTable(h, page.items());
    if (f.matchesDataField()) {
      h.el("p", "hint", "Matching the JSON field on " + DeadLetterFilter.SCAN_PAGE
          + " dead letters per page.");
    }
    page.next().ifPresent(next -> h.raw("<p>").link(base + "/dead-letters?" + f.queryString()
        + "&after=" + Html.url(next), "Next page →").raw("</p>"));
    return h.toString();
  }

  private Optional<DeadLetter> find(String topic, String group, String eventId, String dlId) {
    DeadLetterFilter f = DeadLetterFilter.of(Map.of("topic", topic, "group", group, "id",
        eventId));
    String after = null;
    do {
      DeadLetterPage page = f.page(bus.operations(), after, PAGE_SIZE);
      for (DeadLetter dl : page.items()) {
        if (dl.id().equals(dlId)) {
          return Optional.of(dl);
        }
      }
      after = page.next().orElse(null);
    } while (after != null);
    return Optional.empty();
  }

  private DeadLetter requireDeadLetter(Map<String, String> p) {
    String topic = required(p, "topic");
    String group = required(p, "group");
    String event = required(p, "event");
    String dl = required(p, "dl");
    return find(topic, group, event, dl).orElseThrow(() -> new IllegalArgumentException(
        "No dead letter " + dl + " of event " + event + " in group " + group + " of topic "
            + topic + " (replayed or purged?)"));
  }

  private String deadLetter(Map<String, String> p, ConsoleHandler.Principal who) {
    DeadLetter dl = requireDeadLetter(p);
    Html h = new Html();
    render.deadLetterDetail(h, dl);
    if (who.role() == Role.OPERATOR) {
      h.raw("<p class=\"actions\">").link(base + "/dead-letter/confirm?" + Rendering.dlParams(dl),
          "Replay this dead letter…").raw("</p>");
    }
    return h.toString();
  }

  private String confirmBulk(Map<String, String> p, ConsoleHandler.Principal who) {
    String action = required(p, "action");
    if (!action.equals("replay") && !action.equals("purge")) {
      throw new IllegalArgumentException("Parameter 'action' is '" + action
          + "'; use replay or purge");
    }
    DeadLetterFilter f = DeadLetterFilter.of(p);
    if (f.matchesDataField()) {
      throw new IllegalArgumentException("Bulk actions act on the operations API's filter; "
          + "remove the JSON field filter (field=" + f.field + ") first");
    }
    long n = f.count(bus.operations());
    Html h = new Html();
    h.raw("<p class=\"confirm\">This will ").text(action.equals("replay")
        ? "replay (deliver again to its group)" : "permanently delete")
        .raw(" <strong id=\"count\">").text(n).raw("</strong> dead letter")
        .text(n == 1 ? "" : "s").raw(" matching:</p>");
    render.filterList(h, f);
    h.raw("<form method=\"post\" action=\"").text(base + "/dead-letters/" + action).raw("\">");
    h.hidden("csrf", who.session() == null ? "" : who.session().csrf);
    f.params().forEach(h::hidden);
    h.hidden("expected", n);
    h.raw("<button type=\"submit\" id=\"confirm\"").raw(action.equals("purge")
        ? " class=\"danger\">" : ">").text(
        (action.equals("replay") ? "Replay " : "Purge ") + n).raw("</button> ")
        .link(base + "/dead-letters?" + f.queryString(), "Cancel").raw("</form>");
    return h.toString();
  }

  private String confirmOne(Map<String, String> p, ConsoleHandler.Principal who) {
    DeadLetter dl = requireDeadLetter(p);
    Html h = new Html();
    h.raw("<p class=\"confirm\">This will replay <strong id=\"count\">1</strong> dead letter: "
        + "event ").text(dl.event().id()).raw(" of group ").text(dl.group()).raw(".</p>");
    h.raw("<form method=\"post\" action=\"").text(base + "/dead-letter/replay").raw("\">");
    h.hidden("csrf", who.session() == null ? "" : who.session().csrf);
    h.hidden("topic", dl.topic()).hidden("group", dl.group()).hidden("dl", dl.id());
    h.raw("<button type=\"submit\" id=\"confirm\">Replay 1</button> ")
        .link(base + "/dead-letter?" + Rendering.dlParams(dl), "Cancel").raw("</form>");
    return h.toString();
  }

  // ---- event lookup

  private String event(Map<String, String> p) {
    Html h = new Html();
    String id = p.getOrDefault("id", "").trim();
    String topic = p.getOrDefault("topic", "").trim();
    h.raw("<form method=\"get\" action=\"").text(base + "/event").raw("\" class=\"filter\">")
        .input("Event id", "id", id, "event id")
        .input("Topic", "topic", topic, "every topic")
        .raw("<button type=\"submit\" id=\"find\">Find</button></form>");
    if (id.isEmpty()) {
      return h.toString();
    }
    Operations ops = bus.operations();
    List<String> topics = topic.isEmpty() ? ops.topics() : List.of(topic);
    boolean found = false;
    if (has(Capability.EVENT_LOOKUP)) {
      for (String t : topics) {
        Optional<EventStatus> status = ops.event(t, id);
        if (status.isPresent()) {
          found = true;
          render.eventStatus(h, status.get());
        }
      }
    } else {
      h.el("p", "note", "This transport does not look events up by id; showing its dead "
          + "letters with this id.");
    }
    if (has(Capability.DEAD_LETTERS)) {
      List<DeadLetter> dls = new ArrayList<>();
      for (String t : topics) {
        dls.addAll(DeadLetterFilter.of(Map.of("topic", t, "id", id))
            .page(ops, null, PAGE_SIZE).items());
      }
      if (!dls.isEmpty()) {
        found = true;
        h.raw("<h2>Dead letters of this event</h2>");
        render.deadLetterTable(h, dls);
      }
    }
    if (!found) {
      h.raw("<p class=\"empty\" id=\"not-found\">No stored event ").text(id).raw(" found.</p>");
    }
    return h.toString();
  }

  // ---- webhook endpoints

  private String endpoints(ConsoleHandler.Principal who) {
    Html h = new Html();
    if (!has(Capability.WEBHOOK_ENDPOINTS)) {
      h.el("p", "empty", "This bus's transport has no webhook endpoints.");
      return h.toString();
    }
    render.endpoints(h, bus.operations().endpoints(), who.role() == Role.OPERATOR,
        who.session() == null ? "" : who.session().csrf);
    return h.toString();
  }

  static List<DeadLetterReason> reasons() {
    return List.of(DeadLetterReason.values());
  }
}
