package io.relaybus.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.DecodingException;
import io.relaybus.Event;
import io.relaybus.spi.MalformedCloudEventException.Problem;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CloudEventsJsonTest {

  private static Event read(String json, String key) {
    return CloudEventsJson.read(json.getBytes(StandardCharsets.UTF_8), key);
  }

  private static MalformedCloudEventException failure(String json) {
    try {
      read(json, null);
    } catch (MalformedCloudEventException e) {
      return e;
    }
    throw new AssertionError("read " + json);
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/cloudevents+json", "Application/CloudEvents+JSON",
      "application/cloudevents+json; charset=UTF-8", "application/cloudevents+json ;x=y"})
  void theStructuredJsonMediaTypeIsRecognisedInAnyCaseWithParameters(String contentType) {
    assertThat(CloudEventsJson.isStructured(contentType)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/json", "application/cloudevents+jsonx",
      "application/cloudevents-batch+json", "application/cloudevents+avro", ""})
  void otherMediaTypesAreNotStructuredJson(String contentType) {
    assertThat(CloudEventsJson.isStructured(contentType)).isFalse();
    assertThat(CloudEventsJson.isStructured(null)).isFalse();
  }

  @Test
  void everyAttributeBecomesTheEventsAndOtherMembersAreExtensionHeaders() {
    Event read = read("""
        {"specversion":"1.0","id":"order-7","type":"order.placed","source":"urn:shop",
         "subject":"order/7","time":"2026-01-31T12:00:00.123456-02:00",
         "dataschema":"urn:schema:order","datacontenttype":"text/csv","data":"7,2",
         "partitionkey":"customer-3","region":"eu","attempt":2,"vip":false,"note":null}
        """, null);
    Event expected = Event.builder().id("order-7").type("order.placed").source("urn:shop")
        .subject("order/7").time(Instant.parse("2026-01-31T14:00:00.123456Z"))
        .dataSchema("urn:schema:order").dataContentType("text/csv").key("customer-3")
        .header("region", "eu").header("attempt", "2").header("vip", "false")
        .data("7,2".getBytes(StandardCharsets.UTF_8)).build();
    assertThat(read).isEqualTo(expected);
  }

  @Test
  void theCarriersKeyWinsOverThePartitionKey() {
    String json = """
        {"specversion":"1.0","id":"e-1","source":"urn:s","type":"t","partitionkey":"pk"}""";
    assertThat(read(json, "record-key").key()).contains("record-key");
    assertThat(read(json, null).key()).contains("pk");
    assertThat(read("{\"specversion\":\"1.0\",\"id\":\"e\",\"source\":\"urn:s\",\"type\":\"t\"}",
        null).key()).isEmpty();
  }

  @Test
  void dataIsJsonTextUnlessAStringOfANonJsonTypeAndDataBase64IsDecoded() {
    String head = "{\"specversion\":\"1.0\",\"id\":\"e\",\"source\":\"urn:s\",\"type\":\"t\",";
    assertThat(read(head + "\"data\":{\"a\":[1,\"x\"]}}", null).dataAsText())
        .isEqualTo("{\"a\":[1,\"x\"]}");
    assertThat(read(head + "\"data\":\"quoted\"}", null).dataAsText()).isEqualTo("\"quoted\"");
    assertThat(read(head + "\"datacontenttype\":\"application/vnd.x+json; v=1\","
        + "\"data\":\"quoted\"}", null).dataAsText()).isEqualTo("\"quoted\"");
    assertThat(read(head + "\"datacontenttype\":\"text/csv\",\"data\":\"a,b\"}", null)
        .dataAsText()).isEqualTo("a,b");
    assertThat(read(head + "\"data_base64\":\"AAH/\",\"data\":null}", null).data())
        .containsExactly(0, 1, 0xff);
    assertThat(read(head + "\"data\":null}", null).data()).isEmpty();
  }

  @Test
  void failuresAreDecodingExceptionsNamingTheProblemAndTheMember() {
    MalformedCloudEventException noId =
        failure("{\"specversion\":\"1.0\",\"source\":\"urn:s\",\"type\":\"t\"}");
    assertThat(noId).isInstanceOf(DecodingException.class)
        .hasMessage("structured-mode CloudEvent has no 'id'");
    assertThat(noId.problem()).isEqualTo(Problem.MISSING_ATTRIBUTE);
    assertThat(noId.member()).isEqualTo("id");

    MalformedCloudEventException version =
        failure("{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"urn:s\",\"type\":\"t\"}");
    assertThat(version).hasMessage("CloudEvents spec version '0.3' is not supported; "
        + "expected 1.0");
    assertThat(version.problem()).isEqualTo(Problem.UNSUPPORTED_SPEC_VERSION);
    assertThat(version.value()).isEqualTo("0.3");

    assertThat(failure("[1]").problem()).isEqualTo(Problem.NOT_AN_OBJECT);
    assertThat(failure("{\"id\":").problem()).isEqualTo(Problem.NOT_JSON);
    assertThatThrownBy(() -> CloudEventsJson.read(null, null))
        .isInstanceOf(MalformedCloudEventException.class)
        .hasMessage("structured-mode CloudEvent is not a JSON object");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "\"tenant\":{\"a\":1}                  | NOT_A_SCALAR         | tenant      | OBJECT",
      "\"time\":\"yesterday\"                | BAD_TIME             | time        | yesterday",
      "\"data\":1,\"data_base64\":\"AA==\"   | DATA_AND_DATA_BASE64 | data_base64 |",
      "\"data_base64\":\"not base64!\"       | NOT_BASE64           | data_base64 |"})
  void aBadMemberIsNamed(String member, Problem problem, String name, String value) {
    MalformedCloudEventException e = failure("{\"specversion\":\"1.0\",\"id\":\"e\","
        + "\"source\":\"urn:s\",\"type\":\"t\"," + member + "}");
    assertThat(e.problem()).isEqualTo(problem);
    assertThat(e.member()).isEqualTo(name);
    assertThat(e.value()).isEqualTo(value);
    assertThat(e).hasMessageContaining("'" + name + "'");
  }
}
