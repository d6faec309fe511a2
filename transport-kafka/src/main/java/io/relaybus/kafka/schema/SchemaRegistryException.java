package io.relaybus.kafka.schema;

import io.relaybus.RelaybusException;

/**
 * A schema registry refused or failed a request. Carries the HTTP status and the registry's error
 * code (the Confluent codes such as 40401; the in-memory registry reports the same codes a REST
 * registry would) and the subject involved. Specific failures have subclasses; anything else
 * arrives as this class.
 */
public class SchemaRegistryException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  private final int httpStatus;
  private final int errorCode;
  private final String subject;

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the subject (and id or version where relevant)
   * @param httpStatus the HTTP status, or 0 when no response was received
   * @param errorCode the registry error code, or 0 when the response carried none
   * @param subject the subject involved, or null when the request had none (e.g. lookup by id)
   * @param cause the underlying failure, or null
   */
  public SchemaRegistryException(String message, int httpStatus, int errorCode, String subject,
      Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
    this.subject = subject;
  }

  /**
   * The HTTP status of the registry's answer.
   *
   * @return the status, or 0 when no response was received
   */
  public int httpStatus() {
    return httpStatus;
  }

  /**
   * The registry's error code, e.g. 40401 (subject not found) or 42201 (invalid schema).
   *
   * @return the code, or 0 when the response carried none
   */
  public int errorCode() {
    return errorCode;
  }

  /**
   * The subject the request was about.
   *
   * @return the subject, or null when the request had none
   */
  public String subject() {
    return subject;
  }
}
