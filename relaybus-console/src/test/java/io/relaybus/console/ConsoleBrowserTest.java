package io.relaybus.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.WebhookTransport;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}, which {@code .ci/run} installs) driven by Selenium against a {@link
 * ConsoleServer} over an in-memory bus. Saves its screenshots into {@code target/screenshots};
 * with {@code -Drelaybus.console.screenshots=docs} into {@code docs/console/}, the pictures of
 * docs/console.md (so that a normal build leaves the repository's files as they were).
 */
class ConsoleBrowserTest {
  private static final Path SHOTS = "docs".equals(System.getProperty(
      "relaybus.console.screenshots")) ? Path.of("..", "docs", "console")
      : Path.of("target", "screenshots");
  private static WebDriver driver;

  private Scene scene;
  private ConsoleServer server;
  private String base;

  @BeforeAll
  static void startBrowser() throws IOException {
    File chromedriver = new File(System.getProperty("relaybus.chromedriver",
        "/usr/bin/chromedriver"));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(System.getProperty("relaybus.chromium", "/usr/bin/chromium"));
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
        "--disable-gpu", "--window-size=1280,860", "--force-device-scale-factor=1");
    driver = new ChromeDriver(new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver).usingAnyFreePort().build(), options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    Files.createDirectories(SHOTS);
  }

  @AfterAll
  static void stopBrowser() {
    if (driver != null) {
      driver.quit();
    }
  }

  @BeforeEach
  void start() {
    scene = Scene.memory();
    Console console = Console.builder(scene.bus)
        .user("olga", Role.OPERATOR, ConsoleContract.OPERATOR_PASSWORD)
        .user("rita", Role.READ_ONLY, ConsoleContract.VIEWER_PASSWORD)
        .build();
    server = ConsoleServer.start(console, new InetSocketAddress("127.0.0.1", 0));
    base = server.uri().toString().replaceAll("/$", "");
    driver.manage().deleteAllCookies();
  }

  @AfterEach
  void stop() {
    server.close();
    scene.close();
  }

  private void signIn(String user, String password) {
    driver.get(base + "/");
    assertThat(driver.getCurrentUrl()).endsWith("/login");
    driver.findElement(By.id("user")).sendKeys(user);
    driver.findElement(By.id("password")).sendKeys(password);
    clickThrough(driver.findElement(By.id("sign-in")));
    await().atMost(Scene.PATIENCE).until(() -> !driver.findElements(By.id("who")).isEmpty());
  }

  /** Clicks a link or a submit button and waits until the browser has loaded the next page. */
  private static void clickThrough(WebElement element) {
    WebElement page = driver.findElement(By.tagName("html"));
    element.click();
    new WebDriverWait(driver, Scene.PATIENCE).until(d -> isGone(page));
  }

  /**
   * Whether the element belongs to a page the browser has left. Mid-navigation ChromeDriver may
   * answer "node does not belong to the document" instead of a stale-element error, which
   * {@code ExpectedConditions.stalenessOf} does not take for staleness.
   */
  private static boolean isGone(WebElement element) {
    try {
      element.isEnabled();
      return false;
    } catch (StaleElementReferenceException e) {
      return true;
    } catch (WebDriverException e) {
      if (String.valueOf(e.getMessage()).contains("does not belong to the document")) {
        return true;
      }
      throw e;
    }
  }

  private static void shot(String name) throws IOException {
    Files.write(SHOTS.resolve(name + ".png"),
        ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
  }

  private void search(String field, String value) {
    WebElement input = driver.findElement(By.id("f-" + field));
    input.clear();
    input.sendKeys(value);
  }

  @Test
  @DisplayName("sign in, then the overview shows topics, groups, lag and dead letters")
  void signInShowsTheOverview() throws IOException {
    scene.failingGroup("orders", "billing").deadLetters("orders", "billing", 3, "c1");
    scene.closeGate();
    scene.gatedGroup("orders", "shipping");
    for (int i = 0; i < 3; i++) {
      scene.publish("orders", Scene.order("order.placed", "{\"n\":" + i + "}"));
    }
    driver.get(base + "/");
    driver.findElement(By.id("user")).sendKeys("olga");
    shot("sign-in");
    driver.findElement(By.id("password")).sendKeys(ConsoleContract.OPERATOR_PASSWORD);
    clickThrough(driver.findElement(By.id("sign-in")));
    await().atMost(Scene.PATIENCE).until(() -> !driver.findElements(By.id("who")).isEmpty());
    assertThat(driver.findElement(By.id("who")).getText()).isEqualTo("olga · operator");
    assertThat(driver.findElement(By.id("groups")).getText()).contains("billing")
        .contains("retries exhausted: 3");
    assertThat(driver.findElement(By.id("health")).getText()).isEqualTo("UP");
    driver.navigate().refresh(); // a second measurement draws the lag history
    shot("overview");
  }

  @Test
  @DisplayName("a group's lag grows while its handler waits and shrinks when it goes on")
  void lagGrowsAndShrinks() throws IOException {
    signIn("olga", ConsoleContract.OPERATOR_PASSWORD);
    scene.closeGate();
    scene.gatedGroup("orders", "shipping");
    driver.get(base + "/topic?topic=orders&group=shipping");
    for (int i = 1; i <= 6; i++) {
      scene.publish("orders", Scene.order("order.placed", "{\"n\":" + i + "}"));
      int published = i;
      await().atMost(Scene.PATIENCE).until(() -> {
        driver.navigate().refresh();
        return lag() == published;
      });
    }
    assertThat(driver.findElements(By.cssSelector("table.members tbody tr")))
        .as("the group's one member").hasSize(1);
    shot("group-lag");
    scene.openGate();
    await().atMost(Scene.PATIENCE).until(() -> {
      driver.navigate().refresh();
      return lag() == 0;
    });
    assertThat(driver.findElement(By.cssSelector("svg.spark"))).isNotNull();
  }

  private static long lag() {
    return Long.parseLong(driver.findElement(By.cssSelector(".lag-depth")).getText());
  }

  @Test
  @DisplayName("find a dead letter by its event id and open it")
  void findADeadLetterById() throws IOException {
    scene.failingGroup("orders", "billing");
    List<Event> events = scene.deadLetters("orders", "billing", 5, "c1");
    String id = events.get(2).id();
    signIn("olga", ConsoleContract.OPERATOR_PASSWORD);
    clickThrough(driver.findElement(By.linkText("Dead letters")));
    search("topic", "orders");
    search("id", id);
    clickThrough(driver.findElement(By.id("search")));
    List<WebElement> rows = driver.findElements(By.cssSelector("tr.dead-letter"));
    assertThat(rows).hasSize(1);
    shot("dead-letters");
    clickThrough(rows.get(0).findElement(By.linkText(id)));
    assertThat(driver.findElement(By.id("data")).getText()).contains("\"customer\" : {");
    assertThat(driver.findElement(By.id("last-error")).getText()).contains("card declined");
    shot("dead-letter");
  }

  @Test
  @DisplayName("replay by filter: the confirmation counts, the events are delivered")
  void replayByFilter() throws IOException {
    scene.failingGroup("orders", "billing");
    List<Event> events = scene.deadLetters("orders", "billing", 4, "c1");
    signIn("olga", ConsoleContract.OPERATOR_PASSWORD);
    driver.get(base + "/dead-letters?topic=orders&group=billing");
    clickThrough(driver.findElement(By.linkText("Replay all matching…")));
    assertThat(driver.findElement(By.id("count")).getText()).isEqualTo("4");
    shot("confirm-replay");
    scene.failing.set(false);
    clickThrough(driver.findElement(By.id("confirm")));
    await().atMost(Scene.PATIENCE).until(() -> !driver.findElements(By.cssSelector(".done"))
        .isEmpty());
    assertThat(driver.findElement(By.cssSelector(".done")).getText())
        .isEqualTo("Replayed 4 dead letters.");
    await().atMost(Scene.PATIENCE).until(() -> scene.delivered.containsAll(
        ConsoleContract.ids(events)));
    assertThat(scene.count("orders", "billing")).isZero();
  }

  @Test
  @DisplayName("a read-only user has no replay button, and a replay posted with their "
      + "session and CSRF token is refused with 403")
  void readOnlyCannotReplay() throws Exception {
    scene.failingGroup("orders", "billing").deadLetters("orders", "billing", 2, "c1");
    signIn("rita", ConsoleContract.VIEWER_PASSWORD);
    driver.get(base + "/dead-letters?topic=orders");
    assertThat(driver.findElements(By.cssSelector("tr.dead-letter"))).hasSize(2);
    assertThat(driver.findElements(By.partialLinkText("Replay"))).isEmpty();
    assertThat(driver.findElements(By.partialLinkText("Purge"))).isEmpty();
    shot("read-only");
    String csrf = driver.findElement(By.cssSelector("input[name=csrf]")).getAttribute("value");
    String cookie = driver.manage().getCookieNamed("relaybus_console").getValue();
    HttpURLConnection post = (HttpURLConnection) URI.create(base + "/dead-letters/replay")
        .toURL().openConnection();
    post.setRequestMethod("POST");
    post.setDoOutput(true);
    post.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
    post.setRequestProperty("Origin", "http://" + server.uri().getAuthority());
    post.setRequestProperty("Cookie", "relaybus_console=" + cookie);
    try (OutputStream os = post.getOutputStream()) {
      os.write(("topic=orders&csrf=" + csrf).getBytes(StandardCharsets.UTF_8));
    }
    int status = post.getResponseCode();
    post.disconnect();
    assertThat(status).isEqualTo(403);
    assertThat(scene.count("orders", "billing")).isEqualTo(2);
  }

  @Test
  @DisplayName("a hostile payload renders as text: no script runs, no element is injected")
  void hostilePayloadRendersAsText() throws IOException {
    scene.failingGroup("orders", "billing");
    String script = "</pre><script>alert('data')</script>";
    scene.publish("orders", Event.builder().source("/shop").type("order.failed")
        .subject("<script>alert('subject')</script>")
        .header("note", "\"><img src=x onerror=alert(1)>")
        .data(("{\"url\":\"javascript:alert(1)\",\"html\":\"" + script + "\"}")
            .getBytes(StandardCharsets.UTF_8))
        .build());
    await().atMost(Scene.PATIENCE).until(() -> scene.count("orders", "billing") == 1);
    signIn("olga", ConsoleContract.OPERATOR_PASSWORD);
    driver.get(base + "/dead-letters?topic=orders");
    clickThrough(driver.findElement(By.cssSelector("tr.dead-letter a")));
    assertThat(driver.findElement(By.id("data")).getText()).contains(script)
        .contains("javascript:alert(1)");
    assertThat(driver.findElement(By.id("headers")).getText())
        .contains("\"><img src=x onerror=alert(1)>");
    assertThat(driver.findElements(By.tagName("img"))).isEmpty();
    assertThat(driver.findElements(By.tagName("script"))).isEmpty();
    assertThat(driver.findElements(By.cssSelector("a[href^='javascript']"))).isEmpty();
    boolean alerted;
    try {
      driver.switchTo().alert();
      alerted = true;
    } catch (NoAlertPresentException e) {
      alerted = false;
    }
    assertThat(alerted).isFalse();
    new Actions(driver).scrollToElement(driver.findElement(By.id("data"))).perform();
    shot("hostile-payload");
  }

  @Test
  @DisplayName("a form on another site that posts to the console while the user is signed in "
      + "is refused")
  void forgedCrossSitePostIsRefused() throws Exception {
    scene.failingGroup("orders", "billing").deadLetters("orders", "billing", 2, "c1");
    signIn("olga", ConsoleContract.OPERATOR_PASSWORD);
    URI console = URI.create(base);
    String page = "<!DOCTYPE html><html><body><form method=\"post\" action=\"" + base
        + "/dead-letters/purge\"><input name=\"topic\" value=\"orders\"></form><script>"
        + "document.forms[0].submit()</script></body></html>";
    HttpServer evil = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    evil.createContext("/", exchange -> {
      byte[] body = page.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(body);
      }
    });
    evil.start();
    try {
      // localhost is another site than 127.0.0.1: the browser sends a foreign Origin and no
      // SameSite=Strict cookie
      driver.get("http://localhost:" + evil.getAddress().getPort() + "/");
      await().atMost(Scene.PATIENCE).until(() -> driver.getCurrentUrl()
          .startsWith(base + "/dead-letters/purge"));
      assertThat(driver.findElement(By.tagName("h1")).getText()).isEqualTo("Refused");
      shot("forged-post");
    } finally {
      evil.stop(0);
    }
    assertThat(scene.count("orders", "billing")).isEqualTo(2);
    assertThat(console.getHost()).isEqualTo("127.0.0.1");
  }

  @Test
  @DisplayName("an operator sends a test event to a webhook endpoint and sees its status and "
      + "latency, and the attempt among the recent attempts")
  void sendTestEventToAnEndpoint() throws IOException {
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hook", exchange -> {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        exchange.sendResponseHeaders(204, -1);
      }
    });
    receiver.start();
    EventBus webhooks = EventBus.create(Map.of(
        "relaybus.transport", "webhook",
        "relaybus.webhook.outbox", "memory",
        "relaybus.webhook.ssrf.allow-categories", "loopback"));
    ConsoleServer webhookConsole = null;
    try {
      webhooks.unwrap(WebhookTransport.class).endpoints().add(WebhookEndpoint.builder("crm")
          .url("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook")
          .topics("orders").secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").build());
      webhookConsole = ConsoleServer.start(Console.builder(webhooks)
          .user("olga", Role.OPERATOR, ConsoleContract.OPERATOR_PASSWORD).build(),
          new InetSocketAddress("127.0.0.1", 0));
      base = webhookConsole.uri().toString().replaceAll("/$", "");
      signIn("olga", ConsoleContract.OPERATOR_PASSWORD);
      driver.get(base + "/endpoints");
      clickThrough(driver.findElement(By.cssSelector("button.endpoint-test")));
      WebElement result = driver.findElement(By.id("test-result"));
      assertThat(result.getText()).contains("Test event sent to crm").contains("204")
          .contains(" ms");
      assertThat(driver.findElement(By.cssSelector("section.endpoint")).getText())
          .contains("204");
      shot("send-test-event");
    } finally {
      if (webhookConsole != null) {
        webhookConsole.close();
      }
      webhooks.close();
      receiver.stop(0);
    }
  }
}
