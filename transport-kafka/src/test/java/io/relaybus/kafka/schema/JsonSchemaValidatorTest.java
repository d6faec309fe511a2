package io.relaybus.kafka.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonSchemaValidatorTest {

  private final JsonSchemaValidator validator = new JsonSchemaValidator();

  private static byte[] utf8(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aValidPayloadHasNoViolations() throws Exception {
    assertThat(validator.validate(TestSchemas.ORDER_V1, utf8("{\"id\": \"o-1\", \"name\": \"A\"}")))
        .isEmpty();
    assertThat(validator.validate(TestSchemas.ORDER_V1,
        new ObjectMapper().readTree("{\"id\": \"o-1\", \"name\": \"A\"}"))).isEmpty();
  }

  @Test
  void violationsNameTheirPathsAndKeywords() {
    List<JsonSchemaValidator.Violation> violations = validator.validate(
        TestSchemas.ORDER_V2_OPTIONAL_QUANTITY,
        utf8("{\"id\": 5, \"quantity\": \"two\", \"extra\": true}"));
    assertThat(violations).extracting(JsonSchemaValidator.Violation::keyword)
        .contains("type", "required", "additionalProperties");
    assertThat(violations).anySatisfy(v -> {
      assertThat(v.path()).isEqualTo("$.id");
      assertThat(v.keyword()).isEqualTo("type");
      assertThat(v.message()).contains("$.id");
    });
    assertThat(violations).anySatisfy(v -> assertThat(v.path()).isEqualTo("$.quantity"));
    assertThat(violations).anySatisfy(v -> assertThat(v.message()).contains("name"));
  }

  @Test
  void bytesThatAreNotJsonAreOneViolation() {
    assertThat(validator.validate(TestSchemas.ORDER_V1, utf8("{not json")))
        .singleElement().satisfies(v -> {
          assertThat(v.path()).isEqualTo("$");
          assertThat(v.keyword()).isEqualTo("json");
          assertThat(v.message()).contains("not valid JSON");
        });
    assertThat(validator.validate(TestSchemas.ORDER_V1, new byte[0])).singleElement()
        .satisfies(v -> assertThat(v.message()).contains("empty"));
  }

  @Test
  void schemaTextThatIsNotJsonIsAnInvalidSchema() {
    assertThatThrownBy(() -> validator.check(TestSchemas.MALFORMED))
        .isInstanceOfSatisfying(InvalidSchemaException.class,
            e -> assertThat(e.errorCode()).isEqualTo(42201))
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> validator.check(Schema.json("[1, 2]")))
        .isInstanceOf(InvalidSchemaException.class)
        .hasMessageContaining("must be a JSON object or a boolean");
  }

  @Test
  void schemasBreakingTheMetaSchemaAreInvalid() {
    assertThatThrownBy(() -> validator.check(Schema.json("{\"type\": \"strnig\"}")))
        .isInstanceOf(InvalidSchemaException.class)
        .hasMessageContaining("$.type");
    assertThatThrownBy(() -> validator.check(Schema.json("{\"required\": \"id\"}")))
        .isInstanceOf(InvalidSchemaException.class)
        .hasMessageContaining("$.required");
    assertThatThrownBy(() -> validator.check(Schema.json(
        "{\"$schema\": \"https://example.com/my-dialect\"}")))
        .isInstanceOf(InvalidSchemaException.class)
        .hasMessageContaining("unknown $schema 'https://example.com/my-dialect'");
  }

  @Test
  void otherDraftsAreRecognised() {
    Schema draft2020 = Schema.json("{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\","
        + " \"type\": \"array\", \"prefixItems\": [{\"type\": \"string\"}], \"items\": false}");
    assertThat(validator.validate(draft2020, utf8("[\"a\"]"))).isEmpty();
    assertThat(validator.validate(draft2020, utf8("[\"a\", 1]"))).isNotEmpty();
  }

  @Test
  void remoteReferencesAreNeverFetched() throws Exception {
    java.util.concurrent.atomic.AtomicInteger fetches = new java.util.concurrent.atomic.AtomicInteger();
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      try (exchange) {
        fetches.incrementAndGet();
        byte[] body = utf8("{\"type\": \"string\"}");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
    });
    server.start();
    try {
      Schema remote = Schema.json("{\"type\": \"object\", \"properties\": {\"id\": {\"$ref\":"
          + " \"http://127.0.0.1:" + server.getAddress().getPort() + "/id.json\"}}}");
      assertThatThrownBy(() -> {
        validator.check(remote);
        validator.validate(remote, utf8("{\"id\": \"x\"}"));
      }).isInstanceOf(InvalidSchemaException.class).hasMessageContaining("id.json");
      assertThat(fetches).hasValue(0);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void nonJsonSchemasAreRefused() {
    assertThatThrownBy(() -> validator.check(new Schema(SchemaType.AVRO, "\"string\"")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AVRO");
  }

  @Test
  void aReaderSchemaReadsAndValidatesTheWritersPayloads() {
    Schema readerText = Schema.json("{\"type\": \"object\", \"properties\": {\"id\":"
        + " {\"type\": \"string\"}}, \"required\": [\"id\"]}");
    ReaderSchema reader = ReaderSchema.of(readerText, validator);
    assertThat(reader.canRead(1, TestSchemas.ORDER_V2_OPTIONAL_QUANTITY).compatible()).isTrue();
    assertThat(reader.validate(utf8("{\"id\": \"o-1\", \"name\": \"A\", \"quantity\": 2}")))
        .isEmpty();
    assertThat(reader.validate(utf8("{\"name\": \"A\"}"))).singleElement()
        .satisfies(v -> assertThat(v.keyword()).isEqualTo("required"));

    Schema unrelatedWriter = Schema.json("{\"type\": \"object\", \"properties\": {\"id\":"
        + " {\"type\": \"integer\"}}, \"required\": [\"id\"]}");
    assertThat(reader.canRead(2, unrelatedWriter).reasons()).singleElement().asString()
        .contains("$.id: type changed: writer writes integer");
  }
}
