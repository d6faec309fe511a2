package io.relaybus.kafka.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * JSON Schema compatibility rules, checked structurally and conservatively: when in doubt a change
 * is reported as incompatible. {@code docs/kafka-schemas.md} lists exactly what is checked.
 *
 * <p>The core question is {@linkplain #canRead(Schema, Schema) can a reader schema read data
 * written with a writer schema}, i.e. is every payload valid under the writer also valid under the
 * reader. BACKWARD asks it with the new schema as reader, FORWARD with the new schema as writer.
 * On top, every level except NONE keeps required properties required: a property required in an
 * earlier version may not become optional or disappear (no "everything nullable" evolution).
 *
 * <p>Content models follow Confluent's rules: a writer with an open content model (no {@code
 * additionalProperties: false}) may write any undeclared property, so a reader declaring a new
 * property cannot read it safely. Adding an optional property is therefore BACKWARD compatible
 * when the earlier schema is closed, and a reader that is closed cannot read an open writer.
 *
 * <p>Stateless and thread-safe; reasons name data paths such as {@code $.address.zip} or
 * {@code $.lines[].sku}.
 */
final class JsonSchemaCompatibility {

  /** Keywords whose changes are not analysed: if the reader has one, it must be unchanged. */
  private static final List<String> UNANALYSED = List.of("$ref", "allOf", "anyOf", "oneOf", "not",
      "if", "then", "else", "patternProperties", "dependentSchemas", "dependentRequired",
      "dependencies", "propertyNames", "contains", "prefixItems", "unevaluatedProperties",
      "unevaluatedItems", "$defs", "definitions");

  private static final List<String> UPPER_BOUNDS = List.of("maximum", "exclusiveMaximum",
      "maxLength", "maxItems", "maxProperties");
  private static final List<String> LOWER_BOUNDS = List.of("minimum", "exclusiveMinimum",
      "minLength", "minItems", "minProperties");

  private JsonSchemaCompatibility() {}

  /**
   * Checks a candidate schema against earlier versions under a compatibility level: the latest
   * version for plain levels, every earlier version for {@code *_TRANSITIVE}. Besides the
   * direction checks, every level but NONE rejects a required property that became optional or
   * disappeared.
   *
   * @param level the subject's level
   * @param candidate the schema about to be registered
   * @param earlier the registered versions, oldest first (may be empty)
   * @return the reasons the candidate is incompatible, each prefixed with the version it breaks;
   *     empty when compatible
   * @throws InvalidSchemaException if a JSON schema's text is not a JSON Schema document
   */
  static List<String> check(CompatibilityLevel level, Schema candidate,
      List<RegisteredSchema> earlier) {
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(candidate, "candidate");
    Objects.requireNonNull(earlier, "earlier");
    if (level == CompatibilityLevel.NONE || earlier.isEmpty()) {
      return List.of();
    }
    List<RegisteredSchema> targets = level.transitive() ? earlier
        : List.of(earlier.get(earlier.size() - 1));
    List<String> reasons = new ArrayList<>();
    for (RegisteredSchema target : targets) {
      String prefix = "against version " + target.version() + ": ";
      if (target.schema().type() != candidate.type()) {
        reasons.add(prefix + "schema type changed from " + target.schema().type() + " to "
            + candidate.type());
        continue;
      }
      if (candidate.type() != SchemaType.JSON) {
        // Only JSON Schema is analysed here; other types are checked by a real registry.
        continue;
      }
      JsonNode next = JsonSchemaDocuments.parse(candidate.text(), null);
      JsonNode previous = JsonSchemaDocuments.parse(target.schema().text(), null);
      List<String> found = new ArrayList<>();
      requiredStaysRequired(previous, next, "$", found);
      if (level.backward()) {
        canRead(next, previous, "$", found, "new schema", "version " + target.version());
      }
      if (level.forward()) {
        canRead(previous, next, "$", found, "version " + target.version(), "new schema");
      }
      for (String reason : new LinkedHashSet<>(found)) {
        reasons.add(prefix + reason);
      }
    }
    return List.copyOf(reasons);
  }

  /**
   * Whether a reader schema reads every payload written with a writer schema. A consumer uses
   * this to declare a narrower schema than the producer's (fewer properties, open content) and
   * learn up front whether the writer's data will fit.
   *
   * @param reader the consumer's schema (JSON Schema)
   * @param writer the producer's schema (JSON Schema), e.g. from {@link
   *     SchemaRegistry#schemaById(int)}
   * @return compatible, or the reasons with data paths
   * @throws InvalidSchemaException if either text is not a JSON Schema document
   * @throws IllegalArgumentException if either schema is not of type JSON
   */
  static CompatibilityResult canRead(Schema reader, Schema writer) {
    requireJson(reader, "reader");
    requireJson(writer, "writer");
    List<String> found = new ArrayList<>();
    canRead(JsonSchemaDocuments.parse(reader.text(), null),
        JsonSchemaDocuments.parse(writer.text(), null), "$", found, "reader", "writer");
    return CompatibilityResult.of(List.copyOf(new LinkedHashSet<>(found)));
  }

  private static void requireJson(Schema schema, String name) {
    Objects.requireNonNull(schema, name);
    if (schema.type() != SchemaType.JSON) {
      throw new IllegalArgumentException(name + " schema must be of type JSON, was "
          + schema.type());
    }
  }

  private static void requiredStaysRequired(JsonNode previous, JsonNode next, String path,
      List<String> reasons) {
    if (!previous.isObject()) {
      return;
    }
    Set<String> nextRequired = strings(next.path("required"));
    JsonNode nextProperties = next.path("properties");
    for (String name : strings(previous.path("required"))) {
      if (!nextRequired.contains(name)) {
        String where = child(path, name);
        reasons.add(where + ": property '" + name + "' was required and "
            + (nextProperties.has(name) ? "is now optional" : "was removed")
            + "; required properties stay required (only compatibility NONE allows this)");
      }
    }
    JsonNode previousProperties = previous.path("properties");
    for (Map.Entry<String, JsonNode> property : previousProperties.properties()) {
      JsonNode counterpart = nextProperties.path(property.getKey());
      if (!counterpart.isMissingNode()) {
        requiredStaysRequired(property.getValue(), counterpart,
            child(path, property.getKey()), reasons);
      }
    }
    JsonNode previousItems = previous.path("items");
    JsonNode nextItems = next.path("items");
    if (previousItems.isObject() && nextItems.isObject()) {
      requiredStaysRequired(previousItems, nextItems, path + "[]", reasons);
    }
  }

  /**
   * Appends why data valid under {@code writer} may be invalid under {@code reader}.
   */
  private static void canRead(JsonNode reader, JsonNode writer, String path, List<String> reasons,
      String readerName, String writerName) {
    if (accepted(reader)) {
      return;
    }
    if (writer.isBoolean() && !writer.booleanValue()) {
      return;
    }
    if (reader.isBoolean()) {
      reasons.add(path + ": " + readerName + " accepts no value here (schema false), "
          + writerName + " does");
      return;
    }
    JsonNode w = writer.isBoolean() ? MissingNode.getInstance() : writer;
    for (String keyword : UNANALYSED) {
      if (reader.has(keyword) && !reader.get(keyword).equals(w.get(keyword))) {
        reasons.add(path + ": '" + keyword + "' differs between " + readerName + " and "
            + writerName + "; Relaybus does not analyse it, so any change to it counts as"
            + " incompatible");
      }
    }
    checkTypes(reader, w, path, reasons, readerName, writerName);
    checkValues(reader, w, path, reasons, readerName, writerName);
    checkBounds(reader, w, path, reasons, readerName, writerName);
    if (isObjectSchema(reader) || isObjectSchema(w)) {
      checkObject(reader, w, path, reasons, readerName, writerName);
    }
    JsonNode readerItems = reader.path("items");
    if (readerItems.isObject() || readerItems.isBoolean()) {
      JsonNode writerItems = w.path("items");
      if (writerItems.isObject() || writerItems.isBoolean()) {
        canRead(readerItems, writerItems, path + "[]", reasons, readerName, writerName);
      } else if (!accepted(readerItems)) {
        reasons.add(path + "[]: " + readerName + " constrains array items, " + writerName
            + " does not");
      }
    }
  }

  private static void checkTypes(JsonNode reader, JsonNode writer, String path,
      List<String> reasons, String readerName, String writerName) {
    Set<String> readerTypes = types(reader);
    if (readerTypes == null) {
      return;
    }
    Set<String> writerTypes = types(writer);
    if (writerTypes == null) {
      reasons.add(path + ": " + readerName + " requires type " + readerTypes + ", "
          + writerName + " allows any type");
      return;
    }
    for (String type : writerTypes) {
      boolean widened = type.equals("integer") && readerTypes.contains("number");
      if (!readerTypes.contains(type) && !widened) {
        reasons.add(path + ": type changed: " + writerName + " writes " + type + ", "
            + readerName + " accepts only " + readerTypes);
      }
    }
  }

  private static void checkValues(JsonNode reader, JsonNode writer, String path,
      List<String> reasons, String readerName, String writerName) {
    if (reader.has("enum")) {
      Set<JsonNode> allowed = new LinkedHashSet<>();
      reader.get("enum").forEach(allowed::add);
      List<JsonNode> written = new ArrayList<>();
      if (writer.has("enum")) {
        writer.get("enum").forEach(written::add);
      } else if (writer.has("const")) {
        written.add(writer.get("const"));
      } else {
        reasons.add(path + ": " + readerName + " accepts only the enum " + reader.get("enum")
            + ", " + writerName + " does not restrict the value");
        return;
      }
      for (JsonNode value : written) {
        if (!allowed.contains(value)) {
          reasons.add(path + ": " + writerName + " may write enum value " + value + ", which "
              + readerName + "'s enum " + reader.get("enum") + " does not contain");
        }
      }
    }
    if (reader.has("const") && !reader.get("const").equals(writer.get("const"))) {
      boolean singleEnum = writer.has("enum") && writer.get("enum").size() == 1
          && writer.get("enum").get(0).equals(reader.get("const"));
      if (!singleEnum) {
        reasons.add(path + ": " + readerName + " requires the constant " + reader.get("const")
            + ", " + writerName + " may write other values");
      }
    }
  }

  private static void checkBounds(JsonNode reader, JsonNode writer, String path,
      List<String> reasons, String readerName, String writerName) {
    for (String bound : UPPER_BOUNDS) {
      JsonNode r = reader.get(bound);
      if (r != null && r.isNumber()) {
        JsonNode w = writer.get(bound);
        if (w == null || !w.isNumber() || w.decimalValue().compareTo(r.decimalValue()) > 0) {
          reasons.add(path + ": " + readerName + " has " + bound + " " + r + ", " + writerName
              + " allows larger (" + (w == null ? "no " + bound : bound + " " + w) + ")");
        }
      }
    }
    for (String bound : LOWER_BOUNDS) {
      JsonNode r = reader.get(bound);
      if (r != null && r.isNumber()) {
        JsonNode w = writer.get(bound);
        if (w == null || !w.isNumber() || w.decimalValue().compareTo(r.decimalValue()) < 0) {
          reasons.add(path + ": " + readerName + " has " + bound + " " + r + ", " + writerName
              + " allows smaller (" + (w == null ? "no " + bound : bound + " " + w) + ")");
        }
      }
    }
    for (String exact : List.of("pattern", "multipleOf")) {
      if (reader.has(exact) && !reader.get(exact).equals(writer.get(exact))) {
        reasons.add(path + ": " + readerName + " requires " + exact + " " + reader.get(exact)
            + ", " + writerName + " has " + (writer.has(exact) ? writer.get(exact) : "none"));
      }
    }
    if (reader.path("uniqueItems").asBoolean(false)
        && !writer.path("uniqueItems").asBoolean(false)) {
      reasons.add(path + ": " + readerName + " requires uniqueItems, " + writerName
          + " does not");
    }
  }

  private static void checkObject(JsonNode reader, JsonNode writer, String path,
      List<String> reasons, String readerName, String writerName) {
    JsonNode readerProperties = reader.path("properties");
    JsonNode writerProperties = writer.path("properties");
    JsonNode readerExtra = reader.path("additionalProperties");
    JsonNode writerExtra = writer.path("additionalProperties");
    Set<String> writerRequired = strings(writer.path("required"));
    for (String name : strings(reader.path("required"))) {
      if (!writerRequired.contains(name) && !readerProperties.path(name).has("default")) {
        reasons.add(child(path, name) + ": " + readerName + " requires property '" + name
            + "' without a default, " + writerName + " does not require it");
      }
    }
    for (Map.Entry<String, JsonNode> property : writerProperties.properties()) {
      String name = property.getKey();
      String where = child(path, name);
      if (readerProperties.has(name)) {
        canRead(readerProperties.get(name), property.getValue(), where, reasons, readerName,
            writerName);
      } else if (isClosed(readerExtra)) {
        reasons.add(where + ": " + writerName + " may write property '" + name + "', which "
            + readerName + "'s closed content model (additionalProperties: false) rejects");
      } else if (readerExtra.isObject()) {
        canRead(readerExtra, property.getValue(), where, reasons, readerName, writerName);
      }
    }
    boolean writerOpen = !isClosed(writerExtra);
    for (Map.Entry<String, JsonNode> property : readerProperties.properties()) {
      String name = property.getKey();
      if (writerProperties.has(name)) {
        continue;
      }
      if (writerExtra.isObject()) {
        canRead(property.getValue(), writerExtra, child(path, name), reasons, readerName,
            writerName);
      } else if (writerOpen && !accepted(property.getValue())) {
        reasons.add(child(path, name) + ": " + readerName + " declares property '" + name
            + "' that " + writerName + " does not, and " + writerName + "'s content model is"
            + " open, so it may already carry '" + name + "' with any value; close "
            + writerName + "'s content model (additionalProperties: false) to add properties");
      }
    }
    if (isClosed(readerExtra) && writerOpen) {
      reasons.add(path + ": " + readerName + "'s content model is closed (additionalProperties:"
          + " false) but " + writerName + "'s is open, so " + writerName
          + " may write properties " + readerName + " rejects");
    } else if (readerExtra.isObject()) {
      if (writerExtra.isObject()) {
        canRead(readerExtra, writerExtra, path + ".*", reasons, readerName, writerName);
      } else if (writerOpen && !accepted(readerExtra)) {
        reasons.add(path + ".*: " + readerName + " constrains additional properties, "
            + writerName + " does not");
      }
    }
  }

  private static boolean isObjectSchema(JsonNode schema) {
    return schema.has("properties") || schema.has("required")
        || schema.has("additionalProperties") || types(schema) != null
        && types(schema).contains("object");
  }

  private static boolean isClosed(JsonNode additionalProperties) {
    return additionalProperties.isBoolean() && !additionalProperties.booleanValue();
  }

  /** Whether a schema accepts every value: {@code true} or an empty object. */
  private static boolean accepted(JsonNode schema) {
    return schema.isBoolean() ? schema.booleanValue() : schema.isObject() && schema.isEmpty();
  }

  /** The declared types, or null when the schema does not constrain the type. */
  private static Set<String> types(JsonNode schema) {
    JsonNode type = schema.get("type");
    if (type == null) {
      return null;
    }
    Set<String> types = new LinkedHashSet<>();
    if (type.isTextual()) {
      types.add(type.textValue());
    } else {
      type.forEach(t -> types.add(t.asText()));
    }
    return types;
  }

  private static Set<String> strings(JsonNode array) {
    Set<String> values = new LinkedHashSet<>();
    if (array.isArray()) {
      array.forEach(v -> values.add(v.asText()));
    }
    return values;
  }

  private static String child(String path, String name) {
    return name.matches("[A-Za-z_][A-Za-z0-9_]*") ? path + "." + name
        : path + "['" + name.replace("'", "\\'") + "']";
  }
}
