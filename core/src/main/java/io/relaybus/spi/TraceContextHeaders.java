package io.relaybus.spi;

import java.util.regex.Pattern;

/**
 * The W3C trace context event headers, for transports that also carry them in their own
 * protocol's headers (a Kafka record header, an HTTP header) where other tools read them. A
 * value read from such a header, written by a client that is not Relaybus, becomes an event
 * header only when it has the W3C form, so that a malformed one cannot make a message
 * undecodable.
 */
public final class TraceContextHeaders {

  /** The W3C {@code traceparent} header name. */
  public static final String TRACEPARENT = "traceparent";

  /** The W3C {@code tracestate} header name. */
  public static final String TRACESTATE = "tracestate";

  /** Version, trace id, parent id, flags; later versions may append fields. */
  private static final Pattern TRACEPARENT_FORM =
      Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[\\x21-\\x7e]*)?");

  /** Printable ASCII, within the 4,096 characters of an event header value. */
  private static final Pattern TRACESTATE_FORM = Pattern.compile("[\\x20-\\x7e]{0,4096}");

  private TraceContextHeaders() {}

  /**
   * Tells whether a {@code traceparent} value has the W3C form.
   *
   * @param value the value, possibly {@code null}
   * @return {@code true} when it may become the event's {@code traceparent}
   */
  public static boolean isTraceparent(String value) {
    return value != null && value.length() <= 512 && TRACEPARENT_FORM.matcher(value).matches();
  }

  /**
   * Tells whether a {@code tracestate} value may go with a valid {@code traceparent}.
   *
   * @param value the value, possibly {@code null}
   * @return {@code true} when it may become the event's {@code tracestate}
   */
  public static boolean isTracestate(String value) {
    return value != null && TRACESTATE_FORM.matcher(value).matches();
  }
}
