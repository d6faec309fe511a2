package io.relaybus.webhook.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.relaybus.ConfigurationException;
import io.relaybus.spi.Settings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SsrfGuardTest {

  HttpServer server;
  final AtomicInteger requests = new AtomicInteger();

  @BeforeEach
  void startLoopbackServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      requests.incrementAndGet();
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "100.64.0.1",
      "[::ffff:127.0.0.1]", "[fd00:ec2::254]", "0.0.0.0", "localhost", "api.localhost"})
  void internalTargetsAreRefusedAtRegistrationByDefault(String host) {
    assertThatThrownBy(() -> SsrfPolicy.defaults().checkUrl("https://" + host + ":8443/hook"))
        .isInstanceOf(BlockedEndpointException.class)
        .hasMessageContaining(host.replace("[", "").replace("]", "").split(":")[0])
        .hasMessageContaining("relaybus.webhook.ssrf.allow-categories=");
  }

  @Test
  void registrationAcceptsAllowedTargetsAndPublicNames() {
    SsrfPolicy.defaults().checkUrl("https://hooks.example.com/x");
    SsrfPolicy.defaults().checkUrl("https://93.184.216.34/x");
    SsrfPolicy loopback = SsrfPolicy.builder().allow(AddressCategory.LOOPBACK).build();
    loopback.checkUrl("http://127.0.0.1:8080/x");
    loopback.checkUrl("http://[::1]:8080/x");
    loopback.checkUrl("http://[::ffff:127.0.0.1]:8080/x");
    loopback.checkUrl("http://localhost:8080/x");
    SsrfPolicy.builder().allowCidr("10.0.0.0/8").build().checkUrl("http://10.0.0.1/x");
    SsrfPolicy.builder().allow(AddressCategory.CGNAT).build().checkUrl("http://100.64.0.1/x");
    SsrfPolicy.builder().allow(AddressCategory.METADATA).build()
        .checkUrl("http://169.254.169.254/latest");
    // Allowing link-local does not open the metadata service.
    assertThatThrownBy(() -> SsrfPolicy.builder().allow(AddressCategory.LINK_LOCAL).build()
        .checkUrl("http://169.254.169.254/latest")).hasMessageContaining("metadata");
    assertThatThrownBy(() -> SsrfPolicy.defaults().checkUrl("file:///etc/passwd"))
        .isInstanceOf(BlockedEndpointException.class).hasMessageContaining("http or https");
  }

  @Test
  void dnsRefusesANameResolvingToLoopbackNamingHostAddressCategoryAndKey() {
    SsrfGuardDns dns = new SsrfGuardDns(SsrfPolicy.defaults());
    assertThatThrownBy(() -> dns.lookup("localhost"))
        .isInstanceOf(BlockedAddressException.class)
        .hasMessageContaining("'localhost'")
        .hasMessageContaining("loopback")
        .hasMessageContaining("relaybus.webhook.ssrf.allow-categories=loopback")
        .hasMessageContaining("relaybus.webhook.ssrf.allow-hosts=localhost")
        .satisfies(e -> assertThat(((BlockedAddressException) e).category())
            .isEqualTo(AddressCategory.LOOPBACK));
  }

  @Test
  void dnsRefusesWhenAnyResolvedAddressIsRefused() throws Exception {
    InetAddress publicAddress = InetAddress.getByName("93.184.216.34");
    InetAddress privateAddress = InetAddress.getByName("10.1.2.3");
    SsrfGuardDns dns = new SsrfGuardDns(SsrfPolicy.defaults(),
        host -> List.of(publicAddress, privateAddress));
    assertThatThrownBy(() -> dns.lookup("rebound.example.com"))
        .isInstanceOf(BlockedAddressException.class)
        .hasMessageContaining("10.1.2.3").hasMessageContaining("private");
    SsrfGuardDns allowedByName = new SsrfGuardDns(
        SsrfPolicy.builder().allowHost("*.example.com").build(),
        host -> List.of(publicAddress, privateAddress));
    assertThat(allowedByName.lookup("rebound.example.com")).hasSize(2);
  }

  @Test
  void connectTimeCheckRefusesLoopbackByDefaultThroughOkHttp() {
    OkHttpClient client = guardedClient(SsrfPolicy.defaults());
    try {
      int port = server.getAddress().getPort();
      assertThatThrownBy(() -> call(client, "http://localhost:" + port + "/"))
          .isInstanceOf(BlockedAddressException.class).hasMessageContaining("localhost");
      // IP literals bypass DNS in OkHttp; the socket factory refuses them at connect.
      assertThatThrownBy(() -> call(client, "http://127.0.0.1:" + port + "/"))
          .isInstanceOf(BlockedAddressException.class).hasMessageContaining("127.0.0.1");
      assertThat(requests).hasValue(0);
    } finally {
      close(client);
    }
  }

  @Test
  void connectTimeCheckLetsLoopbackThroughWhenAllowed() throws IOException {
    int port = server.getAddress().getPort();
    for (SsrfPolicy policy : List.of(
        SsrfPolicy.builder().allow(AddressCategory.LOOPBACK).build(),
        SsrfPolicy.builder().allowCidr("127.0.0.0/8").allowCidr("::1/128").build())) {
      OkHttpClient client = guardedClient(policy);
      try {
        assertThat(call(client, "http://localhost:" + port + "/")).isEqualTo(204);
        assertThat(call(client, "http://127.0.0.1:" + port + "/")).isEqualTo(204);
      } finally {
        close(client);
      }
    }
    OkHttpClient byName = guardedClient(SsrfPolicy.builder().allowHost("localhost").build());
    try {
      assertThat(call(byName, "http://localhost:" + port + "/")).isEqualTo(204);
    } finally {
      close(byName);
    }
    assertThat(requests).hasValue(5);
  }

  @Test
  void policyIsReadFromSettingsAndBadValuesNameTheirKeys() {
    Settings settings = Settings.of(Map.of(
        "relaybus.webhook.ssrf.allow-categories", "loopback, private",
        "relaybus.webhook.ssrf.allow-cidrs", "100.64.0.0/10",
        "relaybus.webhook.ssrf.allow-hosts", "hooks.internal"));
    Settings.Reader reader = settings.reader();
    SsrfPolicy policy = SsrfPolicy.fromSettings(reader, SsrfPolicy.DEFAULT_KEY_PREFIX);
    reader.validate();
    policy.checkUrl("http://127.0.0.1/");
    policy.checkUrl("http://192.168.0.1/");
    policy.checkUrl("http://100.64.0.1/");
    assertThat(policy.isHostAllowed("HOOKS.internal.")).isTrue();
    assertThatThrownBy(() -> policy.checkUrl("http://169.254.169.254/"))
        .isInstanceOf(BlockedEndpointException.class);

    Settings.Reader bad = Settings.of(Map.of(
        "relaybus.webhook.ssrf.allow-categories", "intranet",
        "relaybus.webhook.ssrf.allow-cidrs", "10.0.0.0/99")).reader();
    SsrfPolicy.fromSettings(bad, SsrfPolicy.DEFAULT_KEY_PREFIX);
    assertThatThrownBy(bad::validate).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.webhook.ssrf.allow-categories")
        .hasMessageContaining("relaybus.webhook.ssrf.allow-cidrs");
  }

  private static OkHttpClient guardedClient(SsrfPolicy policy) {
    return new OkHttpClient.Builder()
        .dns(new SsrfGuardDns(policy))
        .socketFactory(new SsrfGuardSocketFactory(policy))
        .retryOnConnectionFailure(false)
        .build();
  }

  private static int call(OkHttpClient client, String url) throws IOException {
    try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
      return response.code();
    }
  }

  private static void close(OkHttpClient client) {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }
}
