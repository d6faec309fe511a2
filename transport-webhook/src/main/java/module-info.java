/**
 * The Relaybus webhook transport: the transport and its endpoint API ({@code
 * io.relaybus.webhook}), the receiver ({@code .receiver}), Standard Webhooks signatures ({@code
 * .signature}), the payload formats ({@code .payload}) and the SSRF guard ({@code .net}). The
 * outbox, the dispatcher and the group-member receiver ({@code io.relaybus.webhook.internal.*})
 * are not exported; the bus finds the transport through its {@code TransportProvider}.
 */
module io.relaybus.webhook {
  requires transitive io.relaybus;
  requires transitive java.sql;
  requires transitive okhttp3;
  requires com.fasterxml.jackson.databind;
  requires com.zaxxer.hikari;
  requires jdk.httpserver;
  requires org.postgresql.jdbc;
  requires org.slf4j;

  exports io.relaybus.webhook;
  exports io.relaybus.webhook.net;
  exports io.relaybus.webhook.payload;
  exports io.relaybus.webhook.receiver;
  exports io.relaybus.webhook.signature;

  provides io.relaybus.spi.TransportProvider with io.relaybus.webhook.WebhookTransportProvider;
}
