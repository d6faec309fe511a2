package io.relaybus.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.relaybus.Capability;
import io.relaybus.ConfigurationException;
import io.relaybus.Event;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.GroupMember;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Every page and action of the console, driven through its handler on a real bus; each
 * transport's test runs it on its bus.
 */
abstract class ConsoleContract {
  static final String OPERATOR_PASSWORD = "operator-secret";
  static final String VIEWER_PASSWORD = "viewer-secret";
  static final String TOKEN = "token-0123456789abcdef";

  private final Logger audit = (Logger) LoggerFactory.getLogger("io.relaybus.console.audit");
  private final ListAppender<ILoggingEvent> audited = new ListAppender<>();
  Scene scene;
  String topic;
  Console console;
  Browser operator;

  abstract Scene newScene();

  @BeforeEach
  void start() {
    audited.start();
    audit.setLevel(Level.INFO);
    audit.setAdditive(false); // read here, not printed into the build's output
    audit.addAppender(audited);
    scene = newScene();
    topic = scene.topic("orders");
    console = Console.builder(scene.bus)
        .user("olga", Role.OPERATOR, OPERATOR_PASSWORD)
        .user("rita", Role.READ_ONLY, VIEWER_PASSWORD)
        .token("ci", Role.OPERATOR, TOKEN)
        .build();
    operator = new Browser(console);
    assertThat(operator.signIn("olga", OPERATOR_PASSWORD).status()).isEqualTo(303);
  }

  @AfterEach
  void stop() {
    audit.detachAppender(audited);
    audit.setLevel(null);
    audit.setAdditive(true);
    scene.close();
  }

  private Browser viewer() {
    Browser b = new Browser(console);
    assertThat(b.signIn("rita", VIEWER_PASSWORD).status()).isEqualTo(303);
    return b;
  }

  private String page(Browser b, String url) {
    ConsoleResponse r = b.get(url);
    assertThat(r.status()).as(url + ": " + r.bodyText()).isEqualTo(200);
    return r.bodyText();
  }

  private static List<String> auditLines(ListAppender<ILoggingEvent> a) {
    return a.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  @DisplayName("nobody gets in without signing in; the session cookie is HttpOnly and "
      + "SameSite=Strict; every page carries the security headers")
  void signInIsRequired() {
    Browser stranger = new Browser(console);
    ConsoleResponse r = stranger.get("/");
    assertThat(r.status()).isEqualTo(303);
    assertThat(r.header("Location")).isEqualTo("/login");
    assertThat(stranger.signIn("olga", "wrong-password").status()).isEqualTo(401);
    assertThat(stranger.cookie).isNull();
    ConsoleResponse ok = new Browser(console).send("POST", "/login",
        Map.of("Origin", "http://" + Browser.HOST), Map.of("user", "olga",
            "password", OPERATOR_PASSWORD));
    assertThat(ok.header("Set-Cookie")).contains("HttpOnly").contains("SameSite=Strict");
    ConsoleResponse overview = operator.get("/");
    assertThat(overview.status()).isEqualTo(200);
    assertThat(overview.header("Content-Security-Policy")).startsWith("default-src 'self'")
        .doesNotContain("unsafe-inline");
    assertThat(overview.header("X-Frame-Options")).isEqualTo("DENY");
    assertThat(overview.header("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(auditLines(audited)).anyMatch(l -> l.contains("sign-in failed for user 'olga'"))
        .anyMatch(l -> l.contains("user=olga role=operator signed in"));
    assertThat(operator.get("/assets/console.css").bodyText()).contains("body");
  }

  @Test
  @DisplayName("a console without users, tokens or an explicit anonymous role is refused; "
      + "an explicit anonymous role lets visitors in with that role")
  void anonymousOnlyWhenConfigured() {
    assertThatThrownBy(() -> Console.builder(scene.bus).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("anonymous");
    Console open = Console.builder(scene.bus).anonymous(Role.READ_ONLY).build();
    Browser visitor = new Browser(open);
    ConsoleResponse r = visitor.get("/");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.bodyText()).contains("anonymous · read-only");
  }

  @Test
  @DisplayName("a bearer token reads pages and acts without a session")
  void bearerToken() {
    scene.failingGroup(topic, "billing").deadLetters(topic, "billing", 1, "c1");
    Browser api = new Browser(console);
    ConsoleResponse r = api.send("GET", "/", Map.of("Authorization", "Bearer " + TOKEN), null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(api.send("GET", "/", Map.of("Authorization", "Bearer nope-nope-nope"), null)
        .status()).isEqualTo(303);
    scene.failing.set(false);
    ConsoleResponse replay = api.send("POST", "/dead-letters/replay",
        Map.of("Authorization", "Bearer " + TOKEN), Map.of("topic", topic));
    assertThat(replay.bodyText()).contains("Replayed 1 dead letter.");
  }

  @Test
  @DisplayName("overview: topics, groups, lag depth and age, dead letters per reason, health")
  void overview() {
    scene.failingGroup(topic, "billing").deadLetters(topic, "billing", 3, "c1");
    String html = page(operator, "/");
    assertThat(html).contains("Health").contains(">UP<").contains(">" + topic + "<")
        .contains(">billing<").contains("retries exhausted: 3")
        .contains("/dead-letters?topic=" + topic
            + "&amp;group=billing&amp;reason=RETRIES_EXHAUSTED");
    if (scene.bus.capabilities().has(Capability.LAG)) {
      // the dead letters are counted before the group's position moves past them
      await().atMost(Scene.PATIENCE).until(() -> page(operator, "/")
          .contains("<td class=\"num lag-depth\">0</td>"));
    }
  }

  @Test
  @DisplayName("a group's lag grows while its handler waits and shrinks when it goes on; the "
      + "topic page shows it per partition")
  void lagGrowsAndShrinks() {
    scene.closeGate();
    scene.gatedGroup(topic, "shipping");
    for (int i = 0; i < 4; i++) {
      scene.publish(topic, Scene.order("order.placed", "{\"n\":" + i + "}"));
    }
    await().atMost(Scene.PATIENCE).until(() -> page(operator, "/topic?topic=" + topic)
        .contains("<strong class=\"lag-depth\">4</strong>"));
    String topicPage = page(operator, "/topic?topic=" + topic + "&group=shipping");
    assertThat(topicPage).contains("Group shipping").contains("<th class=\"num\">partition</th>")
        .contains("<svg class=\"spark\"");
    scene.openGate();
    await().atMost(Scene.PATIENCE).until(() -> page(operator, "/")
        .contains("<td class=\"num lag-depth\">0</td>"));
  }

  @Test
  @DisplayName("the topic page lists a group's running members: id, where each runs, the "
      + "partitions each holds, last seen; a member that closed leaves the list")
  void groupMembers() {
    scene.gatedGroup(topic, "shipping");
    scene.gatedGroup(topic, "shipping");
    scene.publish(topic, Scene.order("order.placed", "{\"n\":1}"));
    String url = "/topic?topic=" + topic + "&group=shipping";
    await().atMost(Scene.PATIENCE).until(() -> scene.bus.operations().members(topic, "shipping")
        .stream().mapToInt(m -> m.partitions().size()).sum() > 0
        && scene.bus.operations().members(topic, "shipping").size() == 2);
    List<GroupMember> members = scene.bus.operations().members(topic, "shipping");
    String html = page(operator, url);
    assertThat(html).contains("<table class=\"members\">");
    String from = html.substring(html.indexOf("<table class=\"members\">"));
    String table = from.substring(0, from.indexOf("</table>"));
    assertThat(table.split("<tr><td>", -1)).as("member rows").hasSize(3);
    for (GroupMember m : members) {
      assertThat(table).contains("<td>" + m.id() + "</td>");
      m.host().ifPresent(where -> assertThat(table).contains("<td>" + where + "</td>"));
    }
    scene.closeSubscriptions();
    await().atMost(Scene.PATIENCE).until(() -> page(operator, url)
        .contains("No running member."));
  }

  @Test
  @DisplayName("dead letters filter by event id, type, reason, time range and a JSON field of "
      + "the data")
  void filters() {
    scene.failingGroup(topic, "billing");
    List<Event> c1 = scene.deadLetters(topic, "billing", 2, "c1");
    List<Event> c2 = scene.deadLetters(topic, "billing", 3, "c2");
    String all = page(operator, "/dead-letters?topic=" + topic);
    assertThat(rows(all)).isEqualTo(5);
    String byId = page(operator, "/dead-letters?topic=" + topic + "&id=" + c2.get(1).id());
    assertThat(rows(byId)).isEqualTo(1);
    assertThat(byId).contains(c2.get(1).id());
    assertThat(rows(page(operator, "/dead-letters?topic=" + topic
        + "&type=order.failed"))).isEqualTo(5);
    assertThat(rows(page(operator, "/dead-letters?topic=" + topic + "&type=other"))).isZero();
    assertThat(rows(page(operator, "/dead-letters?topic=" + topic
        + "&reason=NON_RETRYABLE"))).isZero();
    assertThat(rows(page(operator, "/dead-letters?topic=" + topic + "&reason=RETRIES_EXHAUSTED")))
        .isEqualTo(5);
    assertThat(rows(page(operator, "/dead-letters?topic=" + topic + "&from=2999-01-01T00:00:00Z")))
        .isZero();
    assertThat(rows(page(operator, "/dead-letters?topic=" + topic + "&from=2000-01-01T00:00"
        + "&to=2999-01-01T00:00:00Z"))).isEqualTo(5);
    String byField = page(operator, "/dead-letters?topic=" + topic + "&field=customer.id&value=c1");
    assertThat(rows(byField)).isEqualTo(2);
    assertThat(byField).contains(c1.get(0).id()).contains(c1.get(1).id())
        .doesNotContain("Replay all matching");
    ConsoleResponse bad = operator.get("/dead-letters?topic=" + topic + "&from=yesterday");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.bodyText()).contains("Parameter &#39;from&#39; is &#39;yesterday&#39;");
  }

  @Test
  @DisplayName("dead letters are paged with the operations API's tokens, each once")
  void paging() {
    scene.failingGroup(topic, "billing").deadLetters(topic, "billing", 55, "c1");
    Set<String> seen = new HashSet<>();
    String html = page(operator, "/dead-letters?topic=" + topic);
    int pages = 1;
    Pattern next = Pattern.compile("href=\"([^\"]*)\">Next page");
    Pattern ids = Pattern.compile("<tr class=\"dead-letter\"><td>[^<]*</td><td><a href=\"[^\"]*"
        + "\">([^<]*)</a>");
    while (true) {
      Matcher m = ids.matcher(html);
      while (m.find()) {
        assertThat(seen.add(m.group(1))).as("seen once: " + m.group(1)).isTrue();
      }
      Matcher n = next.matcher(html);
      if (!n.find()) {
        break;
      }
      html = page(operator, n.group(1).replace("&amp;", "&"));
      pages++;
    }
    assertThat(seen).hasSize(55);
    assertThat(pages).isEqualTo(2);
  }

  @Test
  @DisplayName("a dead letter opens with its attributes, headers, pretty-printed data, "
      + "attempts and last error")
  void openOne() {
    Event e = scene.failingGroup(topic, "billing").deadLetters(topic, "billing", 1, "c9").get(0);
    String list = page(operator, "/dead-letters?topic=" + topic);
    Matcher link = Pattern.compile("href=\"(/dead-letter\\?[^\"]*)\"").matcher(list);
    assertThat(link.find()).isTrue();
    String html = page(operator, link.group(1).replace("&amp;", "&"));
    assertThat(html).contains(e.id()).contains("/shop").contains("order.failed")
        .contains("<th>tenant</th><td>acme</td>")
        .contains("&quot;customer&quot; : {")
        .contains("<th>attempts</th><td>1</td>")
        .contains("card declined")
        .contains("Replay this dead letter");
  }

  @Test
  @DisplayName("replay all matching a filter: the confirmation counts them, the replay "
      + "delivers them, the audit log names who, what, filter and count")
  void replayByFilter() {
    scene.failingGroup(topic, "billing");
    List<Event> c1 = scene.deadLetters(topic, "billing", 3, "c1");
    List<Event> c2 = scene.deadLetters(topic, "billing", 2, "c2");
    String confirm = page(operator, "/dead-letters/confirm?action=replay&topic=" + topic
        + "&group=billing&id=" + c1.get(0).id());
    assertThat(confirm).contains("<strong id=\"count\">1</strong>");
    confirm = page(operator, "/dead-letters/confirm?action=replay&topic=" + topic
        + "&group=billing");
    assertThat(confirm).contains("<strong id=\"count\">5</strong>");
    scene.failing.set(false);
    ConsoleResponse done = operator.post("/dead-letters/replay", Map.of("topic", topic,
        "group", "billing", "expected", "5"));
    assertThat(done.bodyText()).contains("Replayed 5 dead letters.");
    await().atMost(Scene.PATIENCE).until(() -> scene.delivered.containsAll(ids(c1))
        && scene.delivered.containsAll(ids(c2)));
    assertThat(scene.count(topic, "billing")).isZero();
    assertThat(auditLines(audited)).anyMatch(l -> l.contains("user=olga")
        && l.contains("action=replay-dead-letters") && l.contains("topic=" + topic)
        && l.contains("group=billing") && l.contains("count=5"));
  }

  @Test
  @DisplayName("replay one dead letter after a confirmation")
  void replayOne() {
    scene.failingGroup(topic, "billing");
    List<Event> events = scene.deadLetters(topic, "billing", 2, "c1");
    String id = scene.bus.operations().deadLetters(DeadLetterQuery.builder(topic)
        .eventId(events.get(0).id()).build()).items().get(0).id();
    String confirm = page(operator, "/dead-letter/confirm?topic=" + topic + "&group=billing&event="
        + events.get(0).id() + "&dl=" + id);
    assertThat(confirm).contains("<strong id=\"count\">1</strong>");
    scene.failing.set(false);
    assertThat(operator.post("/dead-letter/replay", Map.of("topic", topic, "group", "billing",
        "dl", id)).bodyText()).contains("Replayed 1 dead letter.");
    await().atMost(Scene.PATIENCE).until(() -> scene.delivered.contains(events.get(0).id()));
    assertThat(scene.count(topic, "billing")).isEqualTo(1);
    assertThat(auditLines(audited)).anyMatch(l -> l.contains("action=replay-dead-letter ")
        && l.contains("count=1"));
  }

  @Test
  @DisplayName("purge by filter deletes only the matches, after a confirmation that counts "
      + "them")
  void purgeByFilter() {
    scene.failingGroup(topic, "billing");
    List<Event> c1 = scene.deadLetters(topic, "billing", 2, "c1");
    scene.deadLetters(topic, "billing", 1, "c2");
    String confirm = page(operator, "/dead-letters/confirm?action=purge&topic=" + topic + "&id="
        + c1.get(0).id());
    assertThat(confirm).contains("<strong id=\"count\">1</strong>").contains("permanently");
    assertThat(operator.post("/dead-letters/purge", Map.of("topic", topic, "id",
        c1.get(0).id())).bodyText()).contains("Purged 1 dead letter.");
    assertThat(scene.count(topic, "billing")).isEqualTo(2);
    assertThat(scene.delivered).doesNotContain(c1.get(0).id());
    assertThat(auditLines(audited)).anyMatch(l -> l.contains("action=purge-dead-letters")
        && l.contains("count=1"));
  }

  @Test
  @DisplayName("find an event by id: per group consumed, pending or dead letter")
  void findEvent() {
    scene.failingGroup(topic, "billing");
    scene.failingGroup(topic, "audit");
    scene.failing.set(true);
    Event e = scene.deadLetters(topic, "billing", 1, "c1").get(0);
    await().atMost(Scene.PATIENCE).until(() -> scene.count(topic, "audit") == 1);
    String html = page(operator, "/event?id=" + e.id());
    assertThat(html).contains("Dead letters of this event").contains(e.id());
    if (scene.bus.capabilities().has(Capability.EVENT_LOOKUP)) {
      assertThat(html).contains("<table id=\"consumption\">").contains(">billing<")
          .contains("class=\"state dead_letter\"");
    }
    assertThat(page(operator, "/event?id=no-such-event")).contains("id=\"not-found\"");
  }

  @Test
  @DisplayName("a read-only user sees no replay or purge and is refused with 403 when posting")
  void readOnlyCannotAct() {
    scene.failingGroup(topic, "billing").deadLetters(topic, "billing", 2, "c1");
    Browser viewer = viewer();
    String html = page(viewer, "/dead-letters?topic=" + topic);
    assertThat(rows(html)).isEqualTo(2);
    assertThat(html).doesNotContain("Replay all matching").doesNotContain("Purge all matching");
    assertThat(viewer.get("/dead-letters/confirm?action=replay&topic=" + topic).status())
        .isEqualTo(403);
    ConsoleResponse r = viewer.post("/dead-letters/replay", Map.of("topic", topic));
    assertThat(r.status()).isEqualTo(403);
    assertThat(viewer.post("/dead-letters/purge", Map.of("topic", topic)).status())
        .isEqualTo(403);
    assertThat(scene.count(topic, "billing")).isEqualTo(2);
    assertThat(auditLines(audited)).anyMatch(l -> l.contains("user=rita role=read-only refused"));
  }

  @Test
  @DisplayName("a POST without the session's CSRF token, with a wrong one, or from another "
      + "origin is refused")
  void forgedPostsAreRefused() {
    scene.failingGroup(topic, "billing").deadLetters(topic, "billing", 1, "c1");
    page(operator, "/dead-letters?topic=" + topic);
    String good = operator.csrf();
    assertThat(good).isNotEmpty();
    Map<String, String> noToken = Map.of("topic", topic);
    assertThat(operator.send("POST", "/dead-letters/purge",
        Map.of("Origin", "http://" + Browser.HOST), noToken).status()).isEqualTo(403);
    assertThat(operator.send("POST", "/dead-letters/purge",
        Map.of("Origin", "http://" + Browser.HOST), Map.of("topic", topic, "csrf", "forged"))
        .status()).isEqualTo(403);
    assertThat(operator.send("POST", "/dead-letters/purge",
        Map.of("Origin", "https://evil.example"), Map.of("topic", topic, "csrf", good))
        .status()).isEqualTo(403);
    assertThat(operator.send("POST", "/dead-letters/purge",
        Map.of("Referer", "https://evil.example/page"), Map.of("topic", topic, "csrf", good))
        .status()).isEqualTo(403);
    Browser noSession = new Browser(console);
    assertThat(noSession.send("POST", "/dead-letters/purge", Map.of(), noToken).status())
        .isEqualTo(403);
    assertThat(scene.count(topic, "billing")).isEqualTo(1);
    assertThat(operator.send("POST", "/dead-letters/purge",
        Map.of("Origin", "http://" + Browser.HOST), Map.of("topic", topic, "csrf", good))
        .status()).isEqualTo(200);
    assertThat(scene.count(topic, "billing")).isZero();
  }

  @Test
  @DisplayName("hostile event data, attributes and headers render as inert text")
  void hostilePayloadIsEscaped() {
    scene.failingGroup(topic, "billing");
    Event hostile = Event.builder().source("/shop").type("order.failed")
        .subject("<script>alert('subject')</script>")
        .header("note", "\"><img src=x onerror=alert(1)>")
        .data(("{\"url\":\"javascript:alert(1)\",\"html\":\"</pre><script>alert(2)</script>\"}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .build();
    scene.publish(topic, hostile);
    await().atMost(Scene.PATIENCE).until(() -> scene.count(topic, "billing") == 1);
    String list = page(operator, "/dead-letters?topic=" + topic);
    Matcher link = Pattern.compile("href=\"(/dead-letter\\?[^\"]*)\"").matcher(list);
    assertThat(link.find()).isTrue();
    String html = page(operator, link.group(1).replace("&amp;", "&"));
    assertThat(html).doesNotContain("<script").doesNotContain("<img")
        .doesNotContain("href=\"javascript:")
        .contains("&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;")
        .contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;")
        .contains("javascript:alert(1)");
  }

  @Test
  @DisplayName("the endpoints page says when the transport has no webhook endpoints")
  void endpointsWithoutWebhooks() {
    if (scene.bus.capabilities().has(Capability.WEBHOOK_ENDPOINTS)) {
      return;
    }
    assertThat(page(operator, "/endpoints")).contains("has no webhook endpoints");
  }

  @Test
  @DisplayName("signing out ends the session")
  void signOut() {
    page(operator, "/");
    assertThat(operator.post("/logout", Map.of()).status()).isEqualTo(303);
    assertThat(operator.get("/").status()).isEqualTo(303);
  }

  static int rows(String html) {
    int n = 0;
    for (int i = html.indexOf("<tr class=\"dead-letter\">"); i >= 0;
        i = html.indexOf("<tr class=\"dead-letter\">", i + 1)) {
      n++;
    }
    return n;
  }

  static List<String> ids(List<Event> events) {
    return events.stream().map(Event::id).toList();
  }
}
