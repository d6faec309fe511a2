package io.relaybus.kafka.schema;

import static io.relaybus.kafka.schema.TestSchemas.MALFORMED;
import static io.relaybus.kafka.schema.TestSchemas.ORDER_V1;
import static io.relaybus.kafka.schema.TestSchemas.ORDER_V2_ID_INTEGER;
import static io.relaybus.kafka.schema.TestSchemas.ORDER_V2_NAME_REMOVED;
import static io.relaybus.kafka.schema.TestSchemas.ORDER_V2_OPTIONAL_QUANTITY;
import static io.relaybus.kafka.schema.TestSchemas.ORDER_V2_REQUIRED_QUANTITY;
import static io.relaybus.kafka.schema.TestSchemas.UNRELATED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * What every {@link SchemaRegistry} must do, run against the in-memory registry and against the
 * REST client talking to a real registry. Each test uses its own subjects, so one registry serves
 * the whole run.
 */
abstract class SchemaRegistryContract {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The registry under test; the same instance for every call of one test. */
  protected abstract SchemaRegistry registry();

  private String subject;

  @BeforeEach
  void nameSubject(TestInfo test) {
    subject = "relaybus-" + test.getTestMethod().orElseThrow().getName() + "-"
        + UUID.randomUUID().toString().substring(0, 8) + "-value";
  }

  private String subject(String suffix) {
    return subject.replace("-value", "-" + suffix + "-value");
  }

  @Test
  void registerIsIdempotent() {
    int first = registry().register(subject, ORDER_V1);
    int again = registry().register(subject, ORDER_V1);
    assertThat(again).isEqualTo(first);
    assertThat(registry().versions(subject)).containsExactly(1);
  }

  @Test
  void registeringTheSameJsonWithOtherWhitespaceKeepsTheId() {
    int first = registry().register(subject, ORDER_V1);
    Schema reformatted = Schema.json(ORDER_V1.text().replace("\n", " ").replace("  ", " "));
    assertThat(registry().register(subject, reformatted)).isEqualTo(first);
    assertThat(registry().versions(subject)).containsExactly(1);
  }

  @Test
  void idsResolveToTheRegisteredSchema() throws Exception {
    int id = registry().register(subject, ORDER_V1);
    Schema found = registry().schemaById(id);
    assertThat(found.type()).isEqualTo(SchemaType.JSON);
    assertThat(JSON.readTree(found.text())).isEqualTo(JSON.readTree(ORDER_V1.text()));
  }

  @Test
  void theSameSchemaUnderTwoSubjectsKeepsItsId() {
    int first = registry().register(subject("a"), ORDER_V1);
    int second = registry().register(subject("b"), ORDER_V1);
    assertThat(second).isEqualTo(first);
  }

  @Test
  void versionsCountFromOneAndLatestIsTheNewest() {
    registry().setCompatibility(subject, CompatibilityLevel.BACKWARD);
    int v1 = registry().register(subject, ORDER_V1);
    int v2 = registry().register(subject, ORDER_V2_OPTIONAL_QUANTITY);
    assertThat(v2).isNotEqualTo(v1);
    assertThat(registry().versions(subject)).containsExactly(1, 2);
    RegisteredSchema latest = registry().latest(subject);
    assertThat(latest.version()).isEqualTo(2);
    assertThat(latest.id()).isEqualTo(v2);
    assertThat(latest.subject()).isEqualTo(subject);
    assertThat(registry().version(subject, 1).id()).isEqualTo(v1);
    assertThat(registry().subjects()).contains(subject);
  }

  @Test
  void lookupFindsTheRegisteredVersionOrNothing() {
    int id = registry().register(subject, ORDER_V1);
    RegisteredSchema found = registry().lookup(subject, ORDER_V1).orElseThrow();
    assertThat(found.id()).isEqualTo(id);
    assertThat(found.version()).isEqualTo(1);
    assertThat(registry().lookup(subject, UNRELATED)).isEmpty();
    assertThat(registry().lookup(subject("missing"), ORDER_V1)).isEmpty();
  }

  @Test
  void addingAnOptionalPropertyIsBackwardCompatible() {
    registry().setCompatibility(subject, CompatibilityLevel.BACKWARD);
    registry().register(subject, ORDER_V1);
    assertThat(registry().testCompatibility(subject, ORDER_V2_OPTIONAL_QUANTITY).compatible())
        .isTrue();
    registry().register(subject, ORDER_V2_OPTIONAL_QUANTITY);
    assertThat(registry().versions(subject)).containsExactly(1, 2);
  }

  @Test
  void addingARequiredPropertyIsRejectedNamingTheSubject() {
    registry().setCompatibility(subject, CompatibilityLevel.BACKWARD);
    registry().register(subject, ORDER_V1);
    assertThat(registry().testCompatibility(subject, ORDER_V2_REQUIRED_QUANTITY).compatible())
        .isFalse();
    assertThatThrownBy(() -> registry().register(subject, ORDER_V2_REQUIRED_QUANTITY))
        .isInstanceOfSatisfying(IncompatibleSchemaException.class, e -> {
          assertThat(e.subject()).isEqualTo(subject);
          assertThat(e.httpStatus()).isEqualTo(409);
          assertThat(e.errorCode()).isIn(409, 40901);
        })
        .hasMessageContaining(subject);
    assertThat(registry().versions(subject)).containsExactly(1);
  }

  @Test
  void removingARequiredPropertyIsRejected() {
    registry().setCompatibility(subject, CompatibilityLevel.BACKWARD);
    registry().register(subject, ORDER_V1);
    assertThatThrownBy(() -> registry().register(subject, ORDER_V2_NAME_REMOVED))
        .isInstanceOf(IncompatibleSchemaException.class)
        .hasMessageContaining(subject);
    assertThat(registry().versions(subject)).containsExactly(1);
  }

  @Test
  void changingATypeIsRejected() {
    registry().setCompatibility(subject, CompatibilityLevel.BACKWARD);
    registry().register(subject, ORDER_V1);
    assertThatThrownBy(() -> registry().register(subject, ORDER_V2_ID_INTEGER))
        .isInstanceOf(IncompatibleSchemaException.class)
        .hasMessageContaining(subject);
  }

  @Test
  void noneAllowsAnything() {
    registry().setCompatibility(subject, CompatibilityLevel.NONE);
    registry().register(subject, ORDER_V1);
    registry().register(subject, ORDER_V2_NAME_REMOVED);
    registry().register(subject, UNRELATED);
    assertThat(registry().versions(subject)).containsExactly(1, 2, 3);
    assertThat(registry().testCompatibility(subject, ORDER_V2_ID_INTEGER).compatible()).isTrue();
  }

  @Test
  void transitiveLevelsCheckEveryEarlierVersion() {
    Schema ab = status("\"A\", \"B\"");
    Schema c = status("\"C\"");
    Schema cd = status("\"C\", \"D\"");
    registry().setCompatibility(subject, CompatibilityLevel.NONE);
    registry().register(subject, ab);
    registry().register(subject, c);
    registry().setCompatibility(subject, CompatibilityLevel.BACKWARD_TRANSITIVE);
    assertThatThrownBy(() -> registry().register(subject, cd))
        .isInstanceOf(IncompatibleSchemaException.class)
        .hasMessageContaining(subject);
    registry().setCompatibility(subject, CompatibilityLevel.BACKWARD);
    registry().register(subject, cd);
    assertThat(registry().versions(subject)).containsExactly(1, 2, 3);
  }

  @Test
  void forwardRejectsWhatTheLatestVersionCannotRead() {
    registry().setCompatibility(subject, CompatibilityLevel.FORWARD);
    registry().register(subject, ORDER_V2_OPTIONAL_QUANTITY);
    // removing an optional property: the closed earlier version still reads the new data
    registry().register(subject, ORDER_V1);
    // adding a property: the closed latest version would reject it
    assertThatThrownBy(() -> registry().register(subject, ORDER_V2_REQUIRED_QUANTITY))
        .isInstanceOf(IncompatibleSchemaException.class)
        .hasMessageContaining(subject);
    assertThat(registry().versions(subject)).containsExactly(1, 2);
  }

  private static Schema status(String values) {
    return Schema.json("{\"type\": \"object\", \"properties\": {\"status\": {\"enum\": ["
        + values + "]}}, \"required\": [\"status\"], \"additionalProperties\": false}");
  }

  @Test
  void aSubjectWithoutVersionsAcceptsAnySchema() {
    assertThat(registry().testCompatibility(subject, UNRELATED).compatible()).isTrue();
  }

  @Test
  void invalidSchemaIsRejectedWithItsOwnException() {
    assertThatThrownBy(() -> registry().register(subject, MALFORMED))
        .isInstanceOfSatisfying(InvalidSchemaException.class, e -> {
          assertThat(e.errorCode()).isEqualTo(42201);
          assertThat(e.subject()).isEqualTo(subject);
        })
        .hasMessageContaining(subject);
  }

  @Test
  void unknownSubjectIsSubjectNotFound() {
    String missing = subject("missing");
    assertThatThrownBy(() -> registry().latest(missing))
        .isInstanceOfSatisfying(SubjectNotFoundException.class,
            e -> assertThat(e.errorCode()).isEqualTo(40401))
        .hasMessageContaining(missing);
    assertThatThrownBy(() -> registry().versions(missing))
        .isInstanceOf(SubjectNotFoundException.class);
    assertThatThrownBy(() -> registry().deleteSubject(missing))
        .isInstanceOf(SubjectNotFoundException.class);
  }

  @Test
  void unknownVersionIsVersionNotFound() {
    registry().register(subject, ORDER_V1);
    assertThatThrownBy(() -> registry().version(subject, 99))
        .isInstanceOfSatisfying(VersionNotFoundException.class,
            e -> assertThat(e.errorCode()).isEqualTo(40402))
        .hasMessageContaining(subject);
  }

  @Test
  void unknownIdIsSchemaNotFound() {
    int unknown = 987_654_321;
    assertThatThrownBy(() -> registry().schemaById(unknown))
        .isInstanceOfSatisfying(SchemaNotFoundException.class,
            e -> assertThat(e.errorCode()).isEqualTo(40403))
        .hasMessageContaining(String.valueOf(unknown));
  }

  @Test
  void compatibilityIsConfigurablePerSubjectAndGlobally() {
    registry().setCompatibility(subject, CompatibilityLevel.FULL_TRANSITIVE);
    assertThat(registry().compatibility(subject)).isEqualTo(CompatibilityLevel.FULL_TRANSITIVE);
    registry().setCompatibility(subject, CompatibilityLevel.FORWARD);
    assertThat(registry().compatibility(subject)).isEqualTo(CompatibilityLevel.FORWARD);

    CompatibilityLevel global = registry().compatibility();
    CompatibilityLevel other = global == CompatibilityLevel.BACKWARD
        ? CompatibilityLevel.FULL : CompatibilityLevel.BACKWARD;
    try {
      registry().setCompatibility(other);
      assertThat(registry().compatibility()).isEqualTo(other);
      registry().register(subject("global"), ORDER_V1);
      assertThat(registry().compatibility(subject("global"))).isEqualTo(other);
    } finally {
      registry().setCompatibility(global);
    }
  }

  @Test
  void deletingASubjectRemovesItsVersions() {
    registry().register(subject, ORDER_V1);
    assertThat(registry().deleteSubject(subject)).containsExactly(1);
    assertThatThrownBy(() -> registry().latest(subject))
        .isInstanceOf(SubjectNotFoundException.class);
    assertThat(registry().subjects()).doesNotContain(subject);
  }
}
