package io.relaybus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code ./tour --console}: the console it starts answers at the printed address to the printed
 * token, and to nobody without it.
 */
class TourConsoleTest {

  @Test
  void printsAnAddressAndATokenThatSignIn() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      Console console = new Console(out, "console");
      try (PostgresServer server = PostgresServer.startOrConnect(console);
          TourConsole.Running running = TourConsole.start(server, console)) {
        String text = printed.toString(StandardCharsets.UTF_8);
        URI uri = URI.create(find(text, "operator console: (\\S+)"));
        String token = find(text, "sign in with the token (\\S+)");
        assertThat(uri).isEqualTo(running.server().uri());

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> signedIn = http.send(HttpRequest.newBuilder(uri)
            .header("Authorization", "Bearer " + token).build(),
            HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(uri).build(),
            HttpResponse.BodyHandlers.ofString());

        assertThat(signedIn.statusCode()).isEqualTo(200);
        assertThat(signedIn.body()).contains("Relaybus console");
        assertThat(anonymous.statusCode()).isEqualTo(303);
      }
    }
  }

  private static String find(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("printed: " + regex + " in%n%s", text).isTrue();
    return m.group(1);
  }
}
