package io.relaybus.kafka.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.kafka.schema.testing.ApicurioRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The registry contract against a real Apicurio Registry through its Confluent-compatible API,
 * plus what only the REST client does (caching, base URL handling).
 */
class ConfluentSchemaRegistryClientApicurioTest extends SchemaRegistryContract {

  private static ApicurioRegistry server;
  private final ConfluentSchemaRegistryClient client =
      ConfluentSchemaRegistryClient.builder(server.ccompatUrl() + "/").build();

  @BeforeAll
  static void startRegistry() {
    server = ApicurioRegistry.shared();
  }

  @Override
  protected SchemaRegistry registry() {
    return client;
  }

  @Test
  void schemaByIdIsCachedAfterTheFirstFetch() {
    int id = client.register("cache-" + System.nanoTime() + "-value", TestSchemas.ORDER_V1);
    ConfluentSchemaRegistryClient fresh =
        ConfluentSchemaRegistryClient.builder(server.ccompatUrl()).build();
    Schema first = fresh.schemaById(id);
    assertThat(fresh.schemaById(id)).isSameAs(first);
  }

  @Test
  void errorsCarryStatusCodeAndSubjectAndUrl() {
    String missing = "missing-" + System.nanoTime() + "-value";
    assertThatThrownBy(() -> client.latest(missing))
        .isInstanceOfSatisfying(SubjectNotFoundException.class, e -> {
          assertThat(e.httpStatus()).isEqualTo(404);
          assertThat(e.subject()).isEqualTo(missing);
        })
        .hasMessageContaining(server.ccompatUrl());
  }

  @Test
  void subjectsWithCharactersThatNeedEscapingWork() {
    String subject = "odd subject/" + System.nanoTime() + ":value";
    int id = client.register(subject, TestSchemas.ORDER_V1);
    assertThat(client.latest(subject).id()).isEqualTo(id);
  }

  @Test
  void serverSideIncompatibilityMapsToTheSpecificException() {
    ConfluentSchemaRegistryClient serverOnly = ConfluentSchemaRegistryClient
        .builder(server.ccompatUrl()).localCompatibilityCheck(false).build();
    String subject = "server-only-" + System.nanoTime() + "-value";
    serverOnly.setCompatibility(subject, CompatibilityLevel.BACKWARD);
    serverOnly.register(subject, TestSchemas.ORDER_V1);
    assertThatThrownBy(() -> serverOnly.register(subject, TestSchemas.ORDER_V2_REQUIRED_QUANTITY))
        .isInstanceOfSatisfying(IncompatibleSchemaException.class, e -> {
          assertThat(e.errorCode()).isIn(409, 40901);
          assertThat(e.reasons()).isNotEmpty();
        })
        .hasMessageContaining(subject);
  }

  @Test
  void toStringHidesCredentials() {
    ConfluentSchemaRegistryClient authenticated = ConfluentSchemaRegistryClient
        .builder(server.ccompatUrl()).basicAuth("user", "s3cret-pass").build();
    assertThat(authenticated.toString()).doesNotContain("s3cret-pass").contains("authenticated");
  }
}
