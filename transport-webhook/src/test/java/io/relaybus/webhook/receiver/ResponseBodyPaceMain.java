package io.relaybus.webhook.receiver;

import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookVerifier;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Run by {@link ResponseBodyPaceTest} in a JVM of its own, where no other HTTP server has
 * started before the {@link EmbeddedWebhookServer}: asks for {@code args[0]} answers that have a
 * body (405 to a GET), one after another on one connection, and prints {@code ELAPSED <ms>}.
 */
public final class ResponseBodyPaceMain {
  private ResponseBodyPaceMain() {}

  public static void main(String[] args) throws Exception {
    int requests = Integer.parseInt(args[0]);
    WebhookReceiver receiver = WebhookReceiver.builder()
        .verifier(WebhookVerifier.builder().secret(WebhookSecret.generate()).build())
        .handler(w -> { }).build();
    try (EmbeddedWebhookServer server = EmbeddedWebhookServer.builder().port(0)
        .route("/hook", receiver).start()) {
      OkHttpClient client = new OkHttpClient();
      Request get = new Request.Builder().url(server.uri("/hook").toString()).get().build();
      long start = System.nanoTime();
      for (int i = 0; i < requests; i++) {
        try (Response response = client.newCall(get).execute()) {
          if (response.code() != 405 || response.body().string().isEmpty()) {
            throw new IllegalStateException("expected a 405 with a body, got " + response);
          }
        }
      }
      System.out.println("ELAPSED " + (System.nanoTime() - start) / 1_000_000);
      System.out.println("NODELAY " + System.getProperty("sun.net.httpserver.nodelay"));
      client.connectionPool().evictAll();
      client.dispatcher().executorService().shutdown();
    }
  }
}
