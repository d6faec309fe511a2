package io.relaybus.console.internal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Builds a page. Every value that did not come from this class's own literals goes through
 * {@link #esc}, the one escaping function, both in text and in quoted attribute values; links
 * are only ever built to the console's own paths, with parameters URL-encoded, so no value from
 * an event, an endpoint or a request becomes a URL the browser follows.
 */
final class Html {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final StringBuilder out = new StringBuilder(4096);

  /**
   * Escapes text for an HTML text node or a double- or single-quoted attribute value.
   *
   * @param value any value; {@code null} renders empty
   * @return the escaped text
   */
  static String esc(Object value) {
    if (value == null) {
      return "";
    }
    String s = value.toString();
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&': b.append("&amp;"); break;
        case '<': b.append("&lt;"); break;
        case '>': b.append("&gt;"); break;
        case '"': b.append("&quot;"); break;
        case '\'': b.append("&#39;"); break;
        case '`': b.append("&#96;"); break;
        default:
          if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
            b.append("\uFFFD");
          } else {
            b.append(c);
          }
      }
    }
    return b.toString();
  }

  static String url(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String time(Instant t) {
    return t == null ? "" : TIME.format(t);
  }

  static String duration(Duration d) {
    if (d.isZero()) {
      return "0 s";
    }
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    long s = d.getSeconds();
    if (s < 120) {
      return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }
    if (s < 7200) {
      return (s / 60) + " min " + (s % 60) + " s";
    }
    return (s / 3600) + " h " + (s % 3600 / 60) + " min";
  }

  /** Appends trusted markup (this package's literals only). */
  Html raw(String markup) {
    out.append(markup);
    return this;
  }

  /** Appends a value as text. */
  Html text(Object value) {
    out.append(esc(value));
    return this;
  }

  /** Appends an element with text content: {@code <tag class="cls">value</tag>}. */
  Html el(String tag, String cls, Object value) {
    out.append('<').append(tag);
    if (cls != null) {
      out.append(" class=\"").append(esc(cls)).append('"');
    }
    out.append('>').append(esc(value)).append("</").append(tag).append('>');
    return this;
  }

  /** Appends a link to one of the console's own pages. */
  Html link(String href, Object label) {
    out.append("<a href=\"").append(esc(href)).append("\">").append(esc(label)).append("</a>");
    return this;
  }

  Html hidden(String name, Object value) {
    out.append("<input type=\"hidden\" name=\"").append(esc(name)).append("\" value=\"")
        .append(esc(value)).append("\">");
    return this;
  }

  Html input(String label, String name, Object value, String placeholder) {
    out.append("<label>").append(esc(label)).append(" <input type=\"text\" name=\"")
        .append(esc(name)).append("\" id=\"f-").append(esc(name)).append("\" value=\"")
        .append(esc(value == null ? "" : value)).append("\" placeholder=\"")
        .append(esc(placeholder)).append("\"></label>");
    return this;
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
