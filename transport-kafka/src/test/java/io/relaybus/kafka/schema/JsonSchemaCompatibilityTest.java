package io.relaybus.kafka.schema;

import static io.relaybus.kafka.schema.CompatibilityLevel.BACKWARD;
import static io.relaybus.kafka.schema.CompatibilityLevel.BACKWARD_TRANSITIVE;
import static io.relaybus.kafka.schema.CompatibilityLevel.FORWARD;
import static io.relaybus.kafka.schema.CompatibilityLevel.FORWARD_TRANSITIVE;
import static io.relaybus.kafka.schema.CompatibilityLevel.FULL;
import static io.relaybus.kafka.schema.CompatibilityLevel.FULL_TRANSITIVE;
import static io.relaybus.kafka.schema.CompatibilityLevel.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Schema evolution rules, one change per test, with the JSON path each reason must name. */
class JsonSchemaCompatibilityTest {

  private static List<String> check(CompatibilityLevel level, Schema candidate,
      Schema... earlier) {
    List<RegisteredSchema> versions = new ArrayList<>();
    for (int i = 0; i < earlier.length; i++) {
      versions.add(new RegisteredSchema("s-value", i + 1, i + 1, earlier[i]));
    }
    return JsonSchemaCompatibility.check(level, candidate, versions);
  }

  private static Schema object(String properties, String required, boolean closed) {
    return Schema.json("{\"type\": \"object\", \"properties\": {" + properties + "},"
        + " \"required\": [" + required + "]"
        + (closed ? ", \"additionalProperties\": false" : "") + "}");
  }

  @Test
  void addingAnOptionalPropertyToAClosedSchemaIsBackwardCompatible() {
    assertThat(check(BACKWARD, TestSchemas.ORDER_V2_OPTIONAL_QUANTITY, TestSchemas.ORDER_V1))
        .isEmpty();
  }

  @Test
  void addingAPropertyToAnOpenContentModelIsNotBackwardCompatible() {
    Schema v1 = object("\"id\": {\"type\": \"string\"}", "\"id\"", false);
    Schema v2 = object("\"id\": {\"type\": \"string\"}, \"qty\": {\"type\": \"integer\"}",
        "\"id\"", false);
    assertThat(check(BACKWARD, v2, v1)).singleElement().asString()
        .startsWith("against version 1: $.qty:").contains("open");
  }

  @Test
  void addingARequiredPropertyWithoutDefaultIsRejectedWithADefaultAccepted() {
    assertThat(check(BACKWARD, TestSchemas.ORDER_V2_REQUIRED_QUANTITY, TestSchemas.ORDER_V1))
        .singleElement().asString()
        .isEqualTo("against version 1: $.quantity: new schema requires property 'quantity'"
            + " without a default, version 1 does not require it");
    Schema withDefault = object("\"id\": {\"type\": \"string\"}, \"name\": {\"type\": \"string\"},"
        + " \"quantity\": {\"type\": \"integer\", \"default\": 1}",
        "\"id\", \"name\", \"quantity\"", true);
    assertThat(check(BACKWARD, withDefault, TestSchemas.ORDER_V1)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(value = CompatibilityLevel.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
  void removingARequiredPropertyIsRejectedUnderEveryLevelButNone(CompatibilityLevel level) {
    assertThat(check(level, TestSchemas.ORDER_V2_NAME_REMOVED, TestSchemas.ORDER_V1))
        .anySatisfy(reason -> assertThat(reason).isEqualTo("against version 1: $.name:"
            + " property 'name' was required and was removed; required properties stay required"
            + " (only compatibility NONE allows this)"));
  }

  @Test
  void aRequiredPropertyMayNotBecomeOptionalEvenInAnOpenSchema() {
    Schema v1 = object("\"id\": {\"type\": \"string\"}", "\"id\"", false);
    Schema v2 = object("\"id\": {\"type\": \"string\"}", "", false);
    assertThat(check(BACKWARD, v2, v1)).singleElement().asString()
        .contains("$.id: property 'id' was required and is now optional");
  }

  @Test
  void noneAllowsAnything() {
    assertThat(check(NONE, TestSchemas.UNRELATED, TestSchemas.ORDER_V1,
        TestSchemas.ORDER_V2_NAME_REMOVED)).isEmpty();
  }

  @Test
  void aTypeChangeIsRejectedNamingThePath() {
    assertThat(check(BACKWARD, TestSchemas.ORDER_V2_ID_INTEGER, TestSchemas.ORDER_V1))
        .singleElement().asString()
        .isEqualTo("against version 1: $.id: type changed: version 1 writes string, new schema"
            + " accepts only [integer]");
  }

  @Test
  void integerMayWidenToNumberForBackwardButNotForForward() {
    Schema integer = object("\"n\": {\"type\": \"integer\"}", "\"n\"", true);
    Schema number = object("\"n\": {\"type\": \"number\"}", "\"n\"", true);
    assertThat(check(BACKWARD, number, integer)).isEmpty();
    assertThat(check(FORWARD, number, integer)).singleElement().asString()
        .contains("$.n: type changed: new schema writes number");
    assertThat(check(FULL, number, integer)).hasSize(1);
  }

  @Test
  void nestedObjectsAreCheckedWithTheirPaths() {
    Schema v1 = object("\"address\": {\"type\": \"object\", \"properties\": {\"zip\":"
        + " {\"type\": \"string\"}, \"city\": {\"type\": \"string\"}},"
        + " \"required\": [\"zip\", \"city\"]}", "\"address\"", true);
    Schema v2 = object("\"address\": {\"type\": \"object\", \"properties\": {\"zip\":"
        + " {\"type\": \"integer\"}, \"city\": {\"type\": \"string\"}},"
        + " \"required\": [\"zip\"]}", "\"address\"", true);
    List<String> reasons = check(BACKWARD, v2, v1);
    assertThat(reasons).anySatisfy(r -> assertThat(r).contains("$.address.city: property 'city'"
        + " was required and is now optional"));
    assertThat(reasons).anySatisfy(r -> assertThat(r).contains("$.address.zip: type changed"));
    assertThat(reasons).hasSize(2);
  }

  @Test
  void arrayItemsAreChecked() {
    Schema v1 = object("\"lines\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
        + " \"properties\": {\"sku\": {\"type\": \"string\"}}, \"required\": [\"sku\"]}}",
        "\"lines\"", true);
    Schema v2 = object("\"lines\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
        + " \"properties\": {\"sku\": {\"type\": \"integer\"}}, \"required\": [\"sku\"]}}",
        "\"lines\"", true);
    assertThat(check(BACKWARD, v2, v1)).singleElement().asString()
        .contains("$.lines[].sku: type changed");
    Schema untyped = object("\"lines\": {\"type\": \"array\"}", "\"lines\"", true);
    assertThat(check(FORWARD, untyped, v1)).anySatisfy(r -> assertThat(r)
        .contains("$.lines[]: version 1 constrains array items, new schema does not"));
  }

  @Test
  void addingEnumValuesIsBackwardCompatibleButNotForward() {
    Schema v1 = object("\"status\": {\"enum\": [\"NEW\", \"PAID\"]}", "\"status\"", true);
    Schema v2 = object("\"status\": {\"enum\": [\"NEW\", \"PAID\", \"SHIPPED\"]}", "\"status\"",
        true);
    assertThat(check(BACKWARD, v2, v1)).isEmpty();
    assertThat(check(FORWARD, v2, v1)).singleElement().asString()
        .contains("$.status: new schema may write enum value \"SHIPPED\"");
    assertThat(check(FULL, v2, v1)).hasSize(1);
  }

  @Test
  void closingAnOpenContentModelIsNotBackwardCompatible() {
    Schema open = object("\"id\": {\"type\": \"string\"}", "\"id\"", false);
    Schema closed = object("\"id\": {\"type\": \"string\"}", "\"id\"", true);
    assertThat(check(BACKWARD, closed, open)).singleElement().asString()
        .contains("$: new schema's content model is closed");
    assertThat(check(FORWARD, closed, open)).isEmpty();
  }

  @Test
  void removingAnOptionalPropertyFromAClosedSchemaIsForwardButNotBackwardCompatible() {
    assertThat(check(FORWARD, TestSchemas.ORDER_V1, TestSchemas.ORDER_V2_OPTIONAL_QUANTITY))
        .isEmpty();
    assertThat(check(BACKWARD, TestSchemas.ORDER_V1, TestSchemas.ORDER_V2_OPTIONAL_QUANTITY))
        .singleElement().asString().contains("$.quantity: version 1 may write property"
            + " 'quantity', which new schema's closed content model");
  }

  @Test
  void fullAcceptsChangesThatBothSidesRead() {
    Schema v1 = object("\"id\": {\"type\": \"string\", \"description\": \"old\"}", "\"id\"",
        true);
    Schema v2 = object("\"id\": {\"type\": \"string\", \"description\": \"new\"}", "\"id\"",
        true);
    assertThat(check(FULL, v2, v1)).isEmpty();
    assertThat(check(FULL_TRANSITIVE, v2, v1, v1)).isEmpty();
  }

  @Test
  void transitiveLevelsCheckEveryEarlierVersionPlainLevelsOnlyTheLatest() {
    // v1 and v2 were registered under NONE; the candidate reads v2 but not v1.
    Schema v1 = object("\"status\": {\"enum\": [\"A\", \"B\"]}", "\"status\"", true);
    Schema v2 = object("\"status\": {\"enum\": [\"C\"]}", "\"status\"", true);
    Schema candidate = object("\"status\": {\"enum\": [\"C\", \"D\"]}", "\"status\"", true);
    assertThat(check(BACKWARD, candidate, v1, v2)).isEmpty();
    assertThat(check(BACKWARD_TRANSITIVE, candidate, v1, v2)).hasSize(2)
        .allSatisfy(r -> assertThat(r).startsWith("against version 1: $.status"));
    assertThat(check(FORWARD, candidate, v1, v2)).singleElement().asString()
        .startsWith("against version 2: $.status: new schema may write enum value \"D\"");
    assertThat(check(FORWARD_TRANSITIVE, candidate, v1, v2))
        .anySatisfy(r -> assertThat(r).startsWith("against version 1:"))
        .anySatisfy(r -> assertThat(r).startsWith("against version 2:"));
    assertThat(check(FULL_TRANSITIVE, candidate, v1, v2)).hasSizeGreaterThan(2);
  }

  @Test
  void changesToUnanalysedKeywordsCountAsIncompatible() {
    Schema v1 = Schema.json("{\"oneOf\": [{\"type\": \"string\"}, {\"type\": \"integer\"}]}");
    Schema v2 = Schema.json("{\"oneOf\": [{\"type\": \"string\"}]}");
    assertThat(check(BACKWARD, v2, v1)).singleElement().asString()
        .contains("$: 'oneOf' differs");
    assertThat(check(BACKWARD, v1, v1)).isEmpty();
  }

  @Test
  void tighterBoundsAreNotBackwardCompatible() {
    Schema v1 = object("\"name\": {\"type\": \"string\", \"maxLength\": 100}", "\"name\"", true);
    Schema v2 = object("\"name\": {\"type\": \"string\", \"maxLength\": 50}", "\"name\"", true);
    assertThat(check(BACKWARD, v2, v1)).singleElement().asString()
        .contains("$.name: new schema has maxLength 50, version 1 allows larger (maxLength 100)");
    assertThat(check(BACKWARD, v1, v2)).isEmpty();
  }

  @Test
  void aChangeOfSchemaTypeIsIncompatible() {
    Schema avro = new Schema(SchemaType.AVRO, "{\"type\": \"string\"}");
    assertThat(check(BACKWARD, avro, TestSchemas.ORDER_V1)).singleElement().asString()
        .contains("schema type changed from JSON to AVRO");
  }

  @Test
  void aNarrowerOpenReaderReadsTheWritersData() {
    Schema reader = object("\"id\": {\"type\": \"string\"}", "\"id\"", false);
    assertThat(JsonSchemaCompatibility.canRead(reader, TestSchemas.ORDER_V2_REQUIRED_QUANTITY)
        .compatible()).isTrue();
  }

  @Test
  void aReaderNeedingWhatTheWriterDoesNotGuaranteeCannotRead() {
    Schema reader = object("\"quantity\": {\"type\": \"integer\"}", "\"quantity\"", false);
    CompatibilityResult result =
        JsonSchemaCompatibility.canRead(reader, TestSchemas.ORDER_V2_OPTIONAL_QUANTITY);
    assertThat(result.compatible()).isFalse();
    assertThat(result.reasons()).singleElement().asString().isEqualTo("$.quantity: reader"
        + " requires property 'quantity' without a default, writer does not require it");
    Schema closedReader = object("\"id\": {\"type\": \"string\"}", "\"id\"", true);
    assertThat(JsonSchemaCompatibility.canRead(closedReader, TestSchemas.ORDER_V1).reasons())
        .singleElement().asString().contains("$.name: writer may write property 'name'");
  }

  @Test
  void invalidSchemaTextIsRejected() {
    assertThatThrownBy(() -> JsonSchemaCompatibility.canRead(TestSchemas.MALFORMED,
        TestSchemas.ORDER_V1)).isInstanceOf(InvalidSchemaException.class)
        .hasMessageContaining("not valid JSON");
  }
}
