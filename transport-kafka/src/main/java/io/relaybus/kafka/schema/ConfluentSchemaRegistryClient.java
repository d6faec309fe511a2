package io.relaybus.kafka.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;

/**
 * A client for the Confluent Schema Registry REST API (content type {@code
 * application/vnd.schemaregistry.v1+json}), which Confluent, Apicurio ({@code .../apis/ccompat/v7}),
 * Karapace and Redpanda serve. Built on the JDK's {@link HttpClient}: no dependency beyond the JDK.
 *
 * <p>Schemas by id are cached forever (an id never changes meaning), and so are ids by (subject,
 * schema) once registered, so the publish path asks the registry once per schema. Unless disabled
 * with {@link Builder#localCompatibilityCheck(boolean)}, JSON schemas are also checked locally
 * with the rules of {@link InMemorySchemaRegistry} before registering, which adds the Relaybus rule that
 * required properties stay required to whatever the server enforces.
 *
 * <p>Error codes map to exceptions: 40401 {@link SubjectNotFoundException}, 40402 {@link
 * VersionNotFoundException}, 40403 {@link SchemaNotFoundException}, 409 and 40901 (Confluent's
 * "incompatible schema") {@link IncompatibleSchemaException}, 42201 {@link
 * InvalidSchemaException}; other failures a {@link SchemaRegistryException} with the HTTP status,
 * the error code and the subject; an unreachable registry or a timeout {@link
 * RegistryUnavailableException} naming the URL. Credentials never appear in messages or {@link
 * #toString()}.
 *
 * <p>Thread-safe.
 */
public final class ConfluentSchemaRegistryClient implements SchemaRegistry {

  /** The registry API's content type, sent with every request body. */
  public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private static final String ACCEPT = CONTENT_TYPE
      + ", application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";

  private final String baseUrl;
  private final String authorization;
  private final Duration requestTimeout;
  private final Duration connectTimeout;
  private final boolean localCompatibilityCheck;
  private final JsonSchemaValidator validator;
  private final HttpClient http;
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();

  private record SubjectSchema(String subject, Schema schema) {}

  private ConfluentSchemaRegistryClient(Builder builder) {
    this.baseUrl = builder.baseUrl;
    this.authorization = builder.authorization;
    this.requestTimeout = builder.requestTimeout;
    this.connectTimeout = builder.connectTimeout;
    this.localCompatibilityCheck = builder.localCompatibilityCheck;
    this.validator = builder.validator != null ? builder.validator : new JsonSchemaValidator();
    this.http = HttpClient.newBuilder()
        .connectTimeout(builder.connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /**
   * Starts building a client.
   *
   * @param baseUrl the registry's base URL, e.g. {@code http://localhost:8081} or {@code
   *     http://localhost:8080/apis/ccompat/v7}
   * @return a builder
   * @throws IllegalArgumentException if the URL is not an absolute http or https URL
   */
  public static Builder builder(String baseUrl) {
    return new Builder(baseUrl);
  }

  /**
   * Builds a {@link ConfluentSchemaRegistryClient}. Not thread-safe; the built client is.
   */
  public static final class Builder {
    private final String baseUrl;
    private String authorization;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(10);
    private boolean localCompatibilityCheck = true;
    private JsonSchemaValidator validator;

    private Builder(String baseUrl) {
      Objects.requireNonNull(baseUrl, "baseUrl");
      String trimmed = baseUrl.trim();
      while (trimmed.endsWith("/")) {
        trimmed = trimmed.substring(0, trimmed.length() - 1);
      }
      URI uri;
      try {
        uri = URI.create(trimmed);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("Schema registry URL '" + baseUrl
            + "' is not a valid URL; expected e.g. http://localhost:8081", e);
      }
      if (uri.getScheme() == null || !(uri.getScheme().equals("http")
          || uri.getScheme().equals("https")) || uri.getHost() == null) {
        throw new IllegalArgumentException("Schema registry URL '" + baseUrl
            + "' must be an absolute http or https URL, e.g. http://localhost:8081");
      }
      if (uri.getUserInfo() != null) {
        throw new IllegalArgumentException("Schema registry URL must not carry credentials;"
            + " use basicAuth(user, password) instead");
      }
      this.baseUrl = trimmed;
    }

    /**
     * Authenticates with HTTP basic auth (Confluent Cloud API key and secret, Karapace users).
     *
     * @param user the user or API key
     * @param password the password or API secret
     * @return this builder
     */
    public Builder basicAuth(String user, String password) {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(password, "password");
      this.authorization = "Basic " + Base64.getEncoder().encodeToString(
          (user + ":" + password).getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /**
     * Authenticates with a bearer token (OAuth access tokens, e.g. Apicurio with Keycloak).
     *
     * @param token the token
     * @return this builder
     */
    public Builder bearerToken(String token) {
      Objects.requireNonNull(token, "token");
      this.authorization = "Bearer " + token;
      return this;
    }

    /**
     * How long to wait for a TCP connection. Default 5 seconds.
     *
     * @param timeout positive duration
     * @return this builder
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * How long to wait for each response. Default 10 seconds.
     *
     * @param timeout positive duration
     * @return this builder
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /**
     * Whether JSON schemas are also checked locally before registering (default true), adding
     * Relaybus's "required stays required" rule to the server's own checks.
     *
     * @param enabled false to rely on the server alone
     * @return this builder
     */
    public Builder localCompatibilityCheck(boolean enabled) {
      this.localCompatibilityCheck = enabled;
      return this;
    }

    /**
     * Shares a validator (and its cache of compiled schemas) with the rest of the application.
     *
     * @param validator the validator
     * @return this builder
     */
    public Builder validator(JsonSchemaValidator validator) {
      this.validator = Objects.requireNonNull(validator, "validator");
      return this;
    }

    /**
     * Builds the client. Does not contact the registry.
     *
     * @return the client
     */
    public ConfluentSchemaRegistryClient build() {
      return new ConfluentSchemaRegistryClient(this);
    }

    private static Duration positive(Duration timeout, String name) {
      Objects.requireNonNull(timeout, name);
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive, was " + timeout);
      }
      return timeout;
    }
  }

  /**
   * The base URL requests go to.
   *
   * @return the URL without a trailing slash
   */
  public String baseUrl() {
    return baseUrl;
  }

  @Override
  public int register(String subject, Schema schema) {
    InMemorySchemaRegistry.requireSubject(subject);
    Objects.requireNonNull(schema, "schema");
    SubjectSchema key = new SubjectSchema(subject, schema);
    Integer cached = idsBySubjectSchema.get(key);
    if (cached != null) {
      return cached;
    }
    if (schema.type() == SchemaType.JSON) {
      validator.check(schema, subject);
      if (localCompatibilityCheck && lookup(subject, schema).isEmpty()) {
        checkLocally(subject, schema);
      }
    }
    JsonNode answer = send("POST", "/subjects/" + encode(subject) + "/versions",
        body(schema), subject, null, "register a schema under subject '" + subject + "'");
    int id = answer.path("id").asInt();
    idsBySubjectSchema.put(key, id);
    schemasById.putIfAbsent(id, schema);
    return id;
  }

  private void checkLocally(String subject, Schema schema) {
    CompatibilityLevel level = compatibility(subject);
    if (level == CompatibilityLevel.NONE) {
      return;
    }
    List<Integer> versions;
    try {
      versions = versions(subject);
    } catch (SubjectNotFoundException e) {
      return;
    }
    List<Integer> checked = level.transitive() ? versions
        : List.of(versions.get(versions.size() - 1));
    List<RegisteredSchema> earlier = new ArrayList<>();
    for (int version : checked) {
      earlier.add(version(subject, version));
    }
    List<String> reasons = JsonSchemaCompatibility.check(level, schema, earlier);
    if (!reasons.isEmpty()) {
      throw new IncompatibleSchemaException(subject, level, reasons, 409);
    }
  }

  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = send("GET", "/schemas/ids/" + id, null, null, id,
        "fetch schema id " + id);
    Schema schema = schemaOf(answer);
    schemasById.putIfAbsent(id, schema);
    return schema;
  }

  @Override
  public RegisteredSchema latest(String subject) {
    InMemorySchemaRegistry.requireSubject(subject);
    return registeredOf(subject, send("GET", "/subjects/" + encode(subject)
        + "/versions/latest", null, subject, null, "fetch the latest version of subject '"
        + subject + "'"));
  }

  @Override
  public RegisteredSchema version(String subject, int version) {
    InMemorySchemaRegistry.requireSubject(subject);
    return registeredOf(subject, send("GET", "/subjects/" + encode(subject) + "/versions/"
        + version, null, subject, null, "fetch version " + version + " of subject '" + subject
        + "'"));
  }

  @Override
  public List<Integer> versions(String subject) {
    InMemorySchemaRegistry.requireSubject(subject);
    JsonNode answer = send("GET", "/subjects/" + encode(subject) + "/versions", null, subject,
        null, "list the versions of subject '" + subject + "'");
    List<Integer> versions = new ArrayList<>();
    answer.forEach(v -> versions.add(v.asInt()));
    versions.sort(null);
    return List.copyOf(versions);
  }

  @Override
  public List<String> subjects() {
    JsonNode answer = send("GET", "/subjects", null, null, null, "list subjects");
    List<String> subjects = new ArrayList<>();
    answer.forEach(s -> subjects.add(s.asText()));
    subjects.sort(null);
    return List.copyOf(subjects);
  }

  @Override
  public Optional<RegisteredSchema> lookup(String subject, Schema schema) {
    InMemorySchemaRegistry.requireSubject(subject);
    Objects.requireNonNull(schema, "schema");
    try {
      JsonNode answer = send("POST", "/subjects/" + encode(subject), body(schema), subject, null,
          "look up a schema under subject '" + subject + "'");
      return Optional.of(new RegisteredSchema(subject, answer.path("id").asInt(),
          answer.path("version").asInt(), schemaOf(answer, schema.type())));
    } catch (SubjectNotFoundException | SchemaNotFoundException e) {
      return Optional.empty();
    }
  }

  @Override
  public CompatibilityResult testCompatibility(String subject, Schema schema) {
    InMemorySchemaRegistry.requireSubject(subject);
    Objects.requireNonNull(schema, "schema");
    if (schema.type() == SchemaType.JSON) {
      validator.check(schema, subject);
    }
    JsonNode answer;
    try {
      answer = send("POST", "/compatibility/subjects/" + encode(subject)
          + "/versions/latest?verbose=true", body(schema), subject, null,
          "test compatibility with subject '" + subject + "'");
    } catch (SubjectNotFoundException | VersionNotFoundException e) {
      return CompatibilityResult.ok();
    }
    List<String> reasons = new ArrayList<>();
    answer.path("messages").forEach(m -> reasons.add(m.asText()));
    boolean compatible = answer.path("is_compatible").asBoolean(false);
    if (compatible && localCompatibilityCheck && schema.type() == SchemaType.JSON) {
      try {
        checkLocally(subject, schema);
      } catch (IncompatibleSchemaException e) {
        return CompatibilityResult.of(e.reasons());
      }
    }
    return new CompatibilityResult(compatible, compatible ? List.of() : reasons);
  }

  @Override
  public CompatibilityLevel compatibility() {
    return levelOf(send("GET", "/config", null, null, null, "read the global compatibility"),
        null);
  }

  @Override
  public void setCompatibility(CompatibilityLevel level) {
    Objects.requireNonNull(level, "level");
    send("PUT", "/config", config(level), null, null,
        "set the global compatibility to " + level);
  }

  @Override
  public CompatibilityLevel compatibility(String subject) {
    InMemorySchemaRegistry.requireSubject(subject);
    try {
      return levelOf(send("GET", "/config/" + encode(subject) + "?defaultToGlobal=true", null,
          subject, null, "read the compatibility of subject '" + subject + "'"), subject);
    } catch (SchemaRegistryException e) {
      // 40408: the subject has no level of its own, so the global one applies. Some servers
      // answer this way (or with 40401) even with defaultToGlobal=true.
      if (e.errorCode() == 40408 || e.errorCode() == 40401) {
        return compatibility();
      }
      throw e;
    }
  }

  @Override
  public void setCompatibility(String subject, CompatibilityLevel level) {
    InMemorySchemaRegistry.requireSubject(subject);
    Objects.requireNonNull(level, "level");
    send("PUT", "/config/" + encode(subject), config(level), subject, null,
        "set the compatibility of subject '" + subject + "' to " + level);
  }

  @Override
  public List<Integer> deleteSubject(String subject) {
    InMemorySchemaRegistry.requireSubject(subject);
    JsonNode answer = send("DELETE", "/subjects/" + encode(subject), null, subject, null,
        "delete subject '" + subject + "'");
    send("DELETE", "/subjects/" + encode(subject) + "?permanent=true", null, subject, null,
        "permanently delete subject '" + subject + "'");
    idsBySubjectSchema.keySet().removeIf(k -> k.subject().equals(subject));
    List<Integer> versions = new ArrayList<>();
    answer.forEach(v -> versions.add(v.asInt()));
    return List.copyOf(versions);
  }

  /**
   * Shows the base URL and whether credentials are set, never the credentials.
   *
   * @return a description
   */
  @Override
  public String toString() {
    return "ConfluentSchemaRegistryClient[" + baseUrl
        + (authorization == null ? "" : ", authenticated") + "]";
  }

  private JsonNode send(String method, String path, JsonNode body, String subject, Integer id,
      String what) {
    String url = baseUrl + path;
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .timeout(requestTimeout)
        .header("Accept", ACCEPT);
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    if (body != null) {
      request.header("Content-Type", CONTENT_TYPE);
      request.method(method, HttpRequest.BodyPublishers.ofString(body.toString(),
          StandardCharsets.UTF_8));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new RegistryUnavailableException("Schema registry at " + baseUrl
          + " unreachable: " + unreachable(e) + "; could not " + what + " (" + method + " "
          + url + "): " + describe(e), subject, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryUnavailableException("Interrupted while waiting for the schema registry"
          + " at " + baseUrl + " to " + what, subject, e);
    }
    JsonNode answer = parse(response.body());
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      if (answer == null) {
        throw new SchemaRegistryException("Schema registry at " + baseUrl + " answered " + method
            + " " + url + " with HTTP " + status + " but a body that is not JSON: "
            + abbreviate(response.body()), status, 0, subject, null);
      }
      return answer;
    }
    throw error(status, answer, response.body(), subject, id, what, method, url);
  }

  private SchemaRegistryException error(int status, JsonNode answer, String rawBody,
      String subject, Integer id, String what, String method, String url) {
    int code = answer == null ? 0 : answer.path("error_code").asInt(0);
    String serverMessage = answer == null ? abbreviate(rawBody)
        : answer.path("message").asText(abbreviate(rawBody));
    String detail = access(status, code) + "Could not " + what + ": HTTP " + status
        + (code == 0 ? "" : ", error code " + code) + ": " + serverMessage + " (" + method + " "
        + url + ")";
    switch (code) {
      case 40401:
        return new SubjectNotFoundException("Subject '" + subject + "' not found. " + detail,
            subject);
      case 40402:
        return new VersionNotFoundException("Version not found under subject '" + subject + "'. "
            + detail, subject);
      case 40403:
        return new SchemaNotFoundException((id != null ? "Schema id " + id + " not found. "
            : "Schema not found under subject '" + subject + "'. ") + detail, subject);
      case 409:
      case 40901:
        return new IncompatibleSchemaException(subject, null, List.of(serverMessage), code);
      case 42201:
        return new InvalidSchemaException(JsonSchemaDocuments.where(subject) + detail, subject,
            null);
      default:
        if (status == 409 && code == 0) {
          return new IncompatibleSchemaException(subject, null, List.of(serverMessage), 409);
        }
        return new SchemaRegistryException(detail + (subject == null ? ""
            : " [subject '" + subject + "']"), status, code, subject, null);
    }
  }

  /**
   * What a refused request says about the setup, before the details: wrong or missing
   * credentials, or a URL that is not the registry's API (a 404 without a registry error code).
   */
  private String access(int status, int code) {
    return switch (status) {
      case 401 -> "Schema registry at " + baseUrl + " rejected the request as unauthenticated "
          + "(HTTP 401): " + (authorization == null ? "no credentials are configured"
              : "check the credentials") + ". ";
      case 403 -> "Schema registry at " + baseUrl + " refused access (HTTP 403): the "
          + "credentials lack permission. ";
      case 404 -> code / 100 == 404 ? "" : "Schema registry at " + baseUrl + " answered "
          + "HTTP 404 without a registry error code: is " + baseUrl + " the registry's base "
          + "URL? ";
      default -> "";
    };
  }

  /**
   * Why no answer came, from the exception types under the client's: unknown host, TLS,
   * connect timeout, request timeout, refused connection.
   */
  private String unreachable(IOException e) {
    boolean unknownHost = false;
    boolean tls = false;
    boolean connectTimedOut = false;
    boolean timedOut = false;
    boolean refused = false;
    String tlsMessage = null;
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
        unknownHost = true;
      } else if (t instanceof SSLException) {
        tls = true;
        tlsMessage = tlsMessage == null ? t.getMessage() : tlsMessage;
      } else if (t instanceof HttpConnectTimeoutException) {
        connectTimedOut = true;
      } else if (t instanceof HttpTimeoutException) {
        timedOut = true;
      } else if (t instanceof ConnectException) {
        refused = true;
      }
    }
    if (unknownHost) {
      return "host '" + URI.create(baseUrl).getHost() + "' unknown";
    }
    if (tls) {
      return "TLS handshake failed" + (tlsMessage == null ? "" : " (" + tlsMessage + ")");
    }
    if (connectTimedOut) {
      return "no connection within " + seconds(connectTimeout) + " (connect timeout)";
    }
    if (timedOut) {
      return "no answer within " + seconds(requestTimeout) + " (request timeout)";
    }
    if (refused) {
      return "connection refused";
    }
    return e.getClass().getSimpleName();
  }

  private static String seconds(Duration d) {
    long tenths = Math.round(d.toMillis() / 100.0);
    return tenths % 10 == 0 ? tenths / 10 + "s" : tenths / 10 + "." + tenths % 10 + "s";
  }

  private static JsonNode parse(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      return JsonSchemaDocuments.MAPPER.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private static ObjectNode body(Schema schema) {
    ObjectNode body = JsonSchemaDocuments.MAPPER.createObjectNode();
    body.put("schema", schema.text());
    if (schema.type() != SchemaType.AVRO) {
      body.put("schemaType", schema.type().name());
    }
    return body;
  }

  private static ObjectNode config(CompatibilityLevel level) {
    return JsonSchemaDocuments.MAPPER.createObjectNode().put("compatibility", level.name());
  }

  private static CompatibilityLevel levelOf(JsonNode answer, String subject) {
    String value = answer.path("compatibilityLevel").asText(answer.path("compatibility")
        .asText(null));
    try {
      return CompatibilityLevel.parse(value);
    } catch (IllegalArgumentException e) {
      throw new SchemaRegistryException("Schema registry returned an unknown compatibility level"
          + (subject == null ? "" : " for subject '" + subject + "'") + ": " + answer, 200, 0,
          subject, e);
    }
  }

  private static Schema schemaOf(JsonNode answer) {
    return new Schema(SchemaType.fromRegistryField(answer.path("schemaType").asText(null)),
        answer.path("schema").asText());
  }

  /** Lookup answers may omit schemaType; the type asked about is the one found. */
  private static Schema schemaOf(JsonNode answer, SchemaType asked) {
    String type = answer.path("schemaType").asText(null);
    return new Schema(type == null ? asked : SchemaType.fromRegistryField(type),
        answer.path("schema").asText());
  }

  private RegisteredSchema registeredOf(String subject, JsonNode answer) {
    Schema schema = schemaOf(answer);
    int id = answer.path("id").asInt();
    schemasById.putIfAbsent(id, schema);
    return new RegisteredSchema(subject, id, answer.path("version").asInt(), schema);
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private static String abbreviate(String body) {
    if (body == null) {
      return "";
    }
    return body.length() <= 300 ? body : body.substring(0, 300) + "...";
  }
}
