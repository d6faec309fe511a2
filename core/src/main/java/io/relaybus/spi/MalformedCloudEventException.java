package io.relaybus.spi;

import io.relaybus.DecodingException;

/**
 * Thrown by {@link CloudEventsJson#read} when a document is not a CloudEvent 1.0 in the JSON
 * event format. The message names the offending member; {@link #problem()}, {@link #member()}
 * and {@link #value()} let a transport word the failure in its own terms.
 */
public final class MalformedCloudEventException extends DecodingException {
  private static final long serialVersionUID = 1L;

  /** What is wrong with the document. */
  public enum Problem {
    /** The document is not JSON; {@link #getCause()} is the parser's failure. */
    NOT_JSON,
    /** The document is JSON but not an object (or there is no document). */
    NOT_AN_OBJECT,
    /** A required attribute ({@link #member()}) is absent or {@code null}. */
    MISSING_ATTRIBUTE,
    /** A member ({@link #member()}) is an object or array; {@link #value()} is its JSON type. */
    NOT_A_SCALAR,
    /** {@code specversion} is not {@value CloudEventsJson#SPEC_VERSION}; {@link #value()}. */
    UNSUPPORTED_SPEC_VERSION,
    /** {@code time} ({@link #value()}) is not an RFC 3339 timestamp. */
    BAD_TIME,
    /** Both {@code data} and {@code data_base64} are present. */
    DATA_AND_DATA_BASE64,
    /** {@code data_base64} is not base64; {@link #getCause()} says where. */
    NOT_BASE64,
    /** {@code data} cannot be written as JSON text; {@link #getCause()} is the writer's. */
    DATA_NOT_WRITABLE
  }

  private final Problem problem;
  private final String member;
  private final String value;

  /**
   * Creates the exception.
   *
   * @param message explanation naming the member
   * @param problem what is wrong
   * @param member the offending member, or {@code null} when the whole document is
   * @param value the offending value as described by {@code problem}, or {@code null}
   * @param cause the parser's or decoder's failure, or {@code null}
   */
  public MalformedCloudEventException(String message, Problem problem, String member,
      String value, Throwable cause) {
    super(message, cause);
    this.problem = problem;
    this.member = member;
    this.value = value;
  }

  /**
   * What is wrong with the document.
   *
   * @return the problem
   */
  public Problem problem() {
    return problem;
  }

  /**
   * The offending member of the JSON object.
   *
   * @return its name, or {@code null} when the whole document is at fault
   */
  public String member() {
    return member;
  }

  /**
   * The offending value, as each {@link Problem} describes.
   *
   * @return the value, or {@code null} when the problem has none
   */
  public String value() {
    return value;
  }
}
