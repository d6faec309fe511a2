package io.relaybus.kafka.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.kafka.schema.testing.ApicurioRegistry;
import io.relaybus.tck.TestInfrastructureException;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our wire format against a standard Confluent-compatible JSON Schema serializer and deserializer
 * (Apicurio's, configured for the Confluent layout: 4-byte content ids in the payload, no
 * headers), both talking to the same real Apicurio Registry: a frame we write is read by their
 * deserializer, and a frame their serializer writes is decoded by ours, with the same schema id.
 *
 * <p>Apicurio's serdes are compiled against json-schema-validator 1.x while we use 2.x, so they
 * run in their own class loader (the test class path with 1.5.9 in place of our version) and are
 * driven through reflection.
 */
class ApicurioSerdesInteropTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static ApicurioRegistry server;
  private static URLClassLoader serdesLoader;
  private static ConfluentSchemaRegistryClient client;

  @BeforeAll
  static void start() throws Exception {
    server = ApicurioRegistry.shared();
    Assumptions.assumeTrue(server.apicurioApiUrl().isPresent(),
        "the interop test needs the embedded Apicurio Registry, not an external registry");
    client = ConfluentSchemaRegistryClient.builder(server.ccompatUrl()).build();
    serdesLoader = isolatedSerdesLoader();
  }

  @AfterAll
  static void closeLoader() throws Exception {
    if (serdesLoader != null) {
      serdesLoader.close();
    }
  }

  @Test
  void aFrameWeWriteIsReadByTheirDeserializer() throws Exception {
    String topic = "interop-ours-" + System.nanoTime();
    int id = client.register(topic + "-value", TestSchemas.ORDER_V2_OPTIONAL_QUANTITY);
    String payload = "{\"id\":\"o-1\",\"name\":\"Widget\",\"quantity\":3}";
    byte[] frame = WireFormat.encode(id, payload.getBytes(StandardCharsets.UTF_8));

    Object deserializer = serde("io.apicurio.registry.serde.jsonschema.JsonSchemaKafkaDeserializer",
        false);
    try {
      Object value = invoke(deserializer, "deserialize", new Class<?>[] {String.class,
          byte[].class}, topic, frame);
      assertThat(JSON.readTree(value.toString())).isEqualTo(JSON.readTree(payload));
    } finally {
      invoke(deserializer, "close", new Class<?>[0]);
    }
  }

  @Test
  void aFrameTheirSerializerWritesIsDecodedByOursWithTheSameId() throws Exception {
    String topic = "interop-theirs-" + System.nanoTime();
    int id = client.register(topic + "-value", TestSchemas.ORDER_V2_OPTIONAL_QUANTITY);
    Map<String, Object> order = new LinkedHashMap<>();
    order.put("id", "o-2");
    order.put("name", "Gadget");
    order.put("quantity", 5);

    Object serializer = serde("io.apicurio.registry.serde.jsonschema.JsonSchemaKafkaSerializer",
        true);
    byte[] frame;
    try {
      frame = (byte[]) invoke(serializer, "serialize", new Class<?>[] {String.class,
          Object.class}, topic, order);
    } finally {
      invoke(serializer, "close", new Class<?>[0]);
    }

    WireFormat.Frame decoded = WireFormat.decode(frame);
    assertThat(frame[0]).isEqualTo(WireFormat.MAGIC_BYTE);
    assertThat(decoded.schemaId()).isEqualTo(id);
    JsonNode payload = JSON.readTree(decoded.payloadBytes());
    assertThat(payload).isEqualTo(JSON.valueToTree(order));
    assertThat(new JsonSchemaValidator().validate(client.schemaById(decoded.schemaId()),
        payload)).isEmpty();
  }

  private static Object serde(String className, boolean serializer) throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put("apicurio.registry.url", server.apicurioApiUrl().orElseThrow());
    config.put("apicurio.registry.headers.enabled", false);
    config.put("apicurio.registry.use-id", "contentId");
    config.put("apicurio.registry.id-handler", "io.apicurio.registry.serde.Default4ByteIdHandler");
    config.put("apicurio.registry.serde.validation-enabled", true);
    if (serializer) {
      config.put("apicurio.registry.find-latest", true);
      config.put("apicurio.registry.auto-register", false);
    }
    Object serde = serdesLoader.loadClass(className).getConstructor().newInstance();
    invoke(serde, "configure", new Class<?>[] {Map.class, boolean.class}, config, false);
    return serde;
  }

  private static Object invoke(Object target, String name, Class<?>[] types, Object... args)
      throws Exception {
    Method method = target.getClass().getMethod(name, types);
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    Thread.currentThread().setContextClassLoader(serdesLoader);
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }

  private static URLClassLoader isolatedSerdesLoader() throws MalformedURLException {
    Path validator1 = Path.of("target/interop-lib/json-schema-validator-1.5.9.jar");
    if (!Files.isRegularFile(validator1)) {
      throw new TestInfrastructureException(validator1.toAbsolutePath() + " is missing; run the"
          + " tests through Maven, whose process-test-resources phase copies it there");
    }
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      if (!entry.isBlank() && !Path.of(entry).getFileName().toString()
          .startsWith("json-schema-validator-")) {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    urls.add(validator1.toUri().toURL());
    return new URLClassLoader("apicurio-serdes", urls.toArray(URL[]::new),
        ClassLoader.getPlatformClassLoader());
  }
}
