package io.relaybus.kafka.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.DecodingException;
import io.relaybus.EncodingException;
import io.relaybus.kafka.schema.internal.JsonSchemaFrames;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The publish and consume schema steps, against the in-memory registry. */
class JsonSchemaFramesTest {

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final JsonSchemaValidator validator = new JsonSchemaValidator();
  private final JsonSchemaFrames frames = new JsonSchemaFrames(registry, validator);

  private static byte[] utf8(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void encodeRegistersValidatesAndFrames() {
    byte[] json = utf8("{\"id\": \"o-1\", \"name\": \"A\"}");
    byte[] frame = frames.encode("orders-value", TestSchemas.ORDER_V1, json);
    int id = registry.lookup("orders-value", TestSchemas.ORDER_V1).orElseThrow().id();
    assertThat(WireFormat.decode(frame).schemaId()).isEqualTo(id);
    assertThat(WireFormat.decode(frame).payloadBytes()).isEqualTo(json);

    JsonSchemaFrames.Decoded decoded = frames.decode(frame);
    assertThat(decoded.schemaId()).isEqualTo(id);
    assertThat(decoded.writerSchema()).isEqualTo(TestSchemas.ORDER_V1);
    assertThat(decoded.payload()).isEqualTo(json);
  }

  @Test
  void anInvalidPayloadIsRefusedBeforeAnythingIsFramed() {
    assertThatThrownBy(() -> frames.encode("orders-value", TestSchemas.ORDER_V1,
        utf8("{\"id\": 1}")))
        .isInstanceOfSatisfying(InvalidPayloadException.class, e -> {
          assertThat(e.subject()).isEqualTo("orders-value");
          assertThat(e.violations()).extracting(JsonSchemaValidator.Violation::path)
              .contains("$.id");
        })
        .isInstanceOf(EncodingException.class)
        .hasMessageContaining("orders-value")
        .hasMessageContaining("nothing was sent")
        .hasMessageContaining("$.id");
  }

  @Test
  void anIncompatibleSchemaIsRefusedOnPublish() {
    frames.encode("orders-value", TestSchemas.ORDER_V1, utf8("{\"id\": \"o\", \"name\": \"n\"}"));
    assertThatThrownBy(() -> frames.encode("orders-value", TestSchemas.ORDER_V2_NAME_REMOVED,
        utf8("{\"id\": \"o\"}"))).isInstanceOf(IncompatibleSchemaException.class);
  }

  @Test
  void aConsumedPayloadBreakingTheWriterSchemaIsUndecodable() {
    int id = registry.register("orders-value", TestSchemas.ORDER_V1);
    byte[] frame = WireFormat.encode(id, utf8("{\"id\": \"o-1\"}"));
    assertThatThrownBy(() -> frames.decode(frame))
        .isInstanceOfSatisfying(UnreadablePayloadException.class,
            e -> assertThat(e.schemaId()).isEqualTo(id))
        .isInstanceOf(DecodingException.class)
        .hasMessageContaining("schema id " + id)
        .hasMessageContaining("name");
  }

  @Test
  void badFramesAndUnknownIdsFailClearly() {
    assertThatThrownBy(() -> frames.decode(utf8("{\"plain\": true}")))
        .isInstanceOf(InvalidFrameException.class)
        .isInstanceOf(DecodingException.class);
    assertThatThrownBy(() -> frames.decode(WireFormat.encode(4242, utf8("{}"))))
        .isInstanceOf(SchemaNotFoundException.class)
        .hasMessageContaining("4242");
  }

  @Test
  void aReaderSchemaReadsPayloadsWithMoreProperties() {
    byte[] frame = frames.encode("orders-value", TestSchemas.ORDER_V2_OPTIONAL_QUANTITY,
        utf8("{\"id\": \"o-1\", \"name\": \"A\", \"quantity\": 2}"));
    ReaderSchema reader = ReaderSchema.of(Schema.json("{\"type\": \"object\", \"properties\":"
        + " {\"quantity\": {\"type\": \"integer\", \"minimum\": 5}}}"), validator);
    assertThatThrownBy(() -> frames.decode(frame, reader))
        .isInstanceOf(UnreadablePayloadException.class)
        .hasMessageContaining("reader schema")
        .hasMessageContaining("$.quantity");
    ReaderSchema lenient = ReaderSchema.of(Schema.json("{\"type\": \"object\", \"properties\":"
        + " {\"id\": {\"type\": \"string\"}}, \"required\": [\"id\"]}"), validator);
    assertThat(frames.decode(frame, lenient).payload()).isNotEmpty();
  }

  @Test
  void aNonJsonWriterSchemaIsUndecodableForAJsonConsumer() {
    int id = registry.register("avro-value", new Schema(SchemaType.AVRO, "\"string\""));
    assertThatThrownBy(() -> frames.decode(WireFormat.encode(id, utf8("x"))))
        .isInstanceOf(UnreadablePayloadException.class)
        .hasMessageContaining("AVRO");
  }
  @Test
  void eachSubjectAndSchemaIsRegisteredOnceForManyEncodes() {
    CountingSchemaRegistry counting = new CountingSchemaRegistry(new InMemorySchemaRegistry());
    JsonSchemaFrames cached = new JsonSchemaFrames(counting, validator);
    byte[] json = utf8("{\"id\": \"o-1\", \"name\": \"A\"}");
    int first = WireFormat.decode(cached.encode("orders-value", TestSchemas.ORDER_V1, json))
        .schemaId();
    for (int i = 0; i < 1_000; i++) {
      assertThat(WireFormat.decode(cached.encode(i % 2 == 0 ? "orders-value" : "other-value",
          TestSchemas.ORDER_V1, json)).schemaId()).isEqualTo(i % 2 == 0 ? first
          : counting.lookup("other-value", TestSchemas.ORDER_V1).orElseThrow().id());
      // An equal schema built anew hits the cache as well.
      cached.encode("orders-value", Schema.json(TestSchemas.ORDER_V1.text()), json);
    }
    assertThat(counting.registers("orders-value", TestSchemas.ORDER_V1)).isEqualTo(1);
    assertThat(counting.registers("other-value", TestSchemas.ORDER_V1)).isEqualTo(1);
    assertThat(counting.registers()).isEqualTo(2);
  }

  @Test
  void aFailedRegistrationIsNotCachedAndFramesNothing() {
    CountingSchemaRegistry counting = new CountingSchemaRegistry(new InMemorySchemaRegistry());
    JsonSchemaFrames cached = new JsonSchemaFrames(counting, validator);
    cached.encode("orders-value", TestSchemas.ORDER_V1, utf8("{\"id\": \"o\", \"name\": \"n\"}"));
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> cached.encode("orders-value", TestSchemas.ORDER_V2_NAME_REMOVED,
          utf8("{\"id\": \"o\"}"))).isInstanceOf(IncompatibleSchemaException.class);
    }
    assertThat(counting.registers("orders-value", TestSchemas.ORDER_V2_NAME_REMOVED))
        .as("asked again after a refusal").isEqualTo(2);
    // Once the subject allows it, the same schema registers and is cached from then on.
    counting.setCompatibility("orders-value", CompatibilityLevel.NONE);
    for (int i = 0; i < 3; i++) {
      cached.encode("orders-value", TestSchemas.ORDER_V2_NAME_REMOVED, utf8("{\"id\": \"o\"}"));
    }
    assertThat(counting.registers("orders-value", TestSchemas.ORDER_V2_NAME_REMOVED))
        .isEqualTo(3);
  }
}
