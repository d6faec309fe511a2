package io.relaybus.webhook.testing;

import io.relaybus.Event;
import io.relaybus.webhook.payload.WebhookPayloads;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP/1.1 receiver whose answers a test scripts: a status with headers (for example
 * 500, 429 with {@code Retry-After}, 410, 301 with {@code Location}), a hang (no answer until
 * {@link #releaseHangs()} or close), a connection reset (RST, no answer) or a delay. Raw sockets,
 * so resets and hangs are real. Records every request. Thread-safe; close it.
 *
 * <pre>{@code
 * try (ScriptedReceiver r = ScriptedReceiver.start()) {
 *   r.script(Answer.status(500), Answer.status(500));   // then the default, 200
 *   String url = r.url("/hook");
 * }
 * }</pre>
 */
public final class ScriptedReceiver implements AutoCloseable {

  /** What the receiver does with one request. */
  public static final class Answer {
    final int status;
    final Map<String, String> headers;
    final boolean hang;
    final boolean reset;
    final Duration delay;

    private Answer(int status, Map<String, String> headers, boolean hang, boolean reset,
        Duration delay) {
      this.status = status;
      this.headers = headers;
      this.hang = hang;
      this.reset = reset;
      this.delay = delay;
    }

    /**
     * Answers with a status.
     *
     * @param status the HTTP status
     * @return the answer
     */
    public static Answer status(int status) {
      return new Answer(status, Map.of(), false, false, Duration.ZERO);
    }

    /**
     * Answers with a status and one header.
     *
     * @param status the HTTP status
     * @param header the header name
     * @param value its value
     * @return the answer
     */
    public static Answer status(int status, String header, String value) {
      return new Answer(status, Map.of(header, value), false, false, Duration.ZERO);
    }

    /**
     * Never answers (until {@link ScriptedReceiver#releaseHangs()} or close).
     *
     * @return the answer
     */
    public static Answer hang() {
      return new Answer(0, Map.of(), true, false, Duration.ZERO);
    }

    /**
     * Resets the connection (TCP RST) after reading the request.
     *
     * @return the answer
     */
    public static Answer reset() {
      return new Answer(0, Map.of(), false, true, Duration.ZERO);
    }

    /**
     * Answers with a status after a delay.
     *
     * @param status the HTTP status
     * @param delay the delay
     * @return the answer
     */
    public static Answer delayed(int status, Duration delay) {
      return new Answer(status, Map.of(), false, false, delay);
    }
  }

  /**
   * One received request.
   *
   * @param method the method
   * @param path the path
   * @param headers lower-cased header names to values
   * @param body the body
   * @param at when it arrived
   * @param answer the scripted status (0 for hang or reset)
   */
  public record Request(String method, String path, Map<String, String> headers, byte[] body,
      Instant at, int answer) {
    /**
     * The {@code webhook-id} header.
     *
     * @return the id, or {@code null}
     */
    public String webhookId() {
      return headers.get("webhook-id");
    }

    /**
     * The event the request carries, decoded as a Relaybus receiver would.
     *
     * @return the event
     */
    public Event event() {
      Map<String, List<String>> h = new LinkedHashMap<>();
      headers.forEach((k, v) -> h.put(k, List.of(v)));
      return WebhookPayloads.decode(h, body).event();
    }

    /**
     * The event id the request carries.
     *
     * @return the id
     */
    public String eventId() {
      return event().id();
    }
  }

  private final ServerSocket server;
  private final Thread acceptor;
  private final Deque<Answer> script = new ArrayDeque<>();
  private volatile Answer fallback = Answer.status(200);
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger hanging = new AtomicInteger();
  private volatile CountDownLatch hangs = new CountDownLatch(1);
  private volatile boolean closed;

  private ScriptedReceiver() throws IOException {
    server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    acceptor = new Thread(this::accept, "scripted-receiver-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Starts a receiver on a free loopback port, answering 200 until scripted otherwise.
   *
   * @return the receiver
   */
  public static ScriptedReceiver start() {
    try {
      return new ScriptedReceiver();
    } catch (IOException e) {
      throw new IllegalStateException("cannot bind a loopback port", e);
    }
  }

  /**
   * The URL of a path on this receiver.
   *
   * @param path a path starting with {@code /}
   * @return {@code http://127.0.0.1:port/path}
   */
  public String url(String path) {
    return "http://127.0.0.1:" + server.getLocalPort() + path;
  }

  /**
   * Queues answers for the next requests, in order; afterwards the fallback answer is used.
   *
   * @param answers the answers
   * @return this receiver
   */
  public ScriptedReceiver script(Answer... answers) {
    synchronized (script) {
      Collections.addAll(script, answers);
    }
    return this;
  }

  /**
   * Sets the answer used when the script is empty (initially 200).
   *
   * @param answer the answer
   * @return this receiver
   */
  public ScriptedReceiver always(Answer answer) {
    this.fallback = answer;
    return this;
  }

  /** Lets every hanging request go (they then get the fallback status, or 200). */
  public void releaseHangs() {
    CountDownLatch old = hangs;
    hangs = new CountDownLatch(1);
    old.countDown();
  }

  /**
   * Every request so far.
   *
   * @return a snapshot
   */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /**
   * Requests answered with 2xx.
   *
   * @return a snapshot
   */
  public List<Request> accepted() {
    return requests.stream().filter(r -> r.answer() >= 200 && r.answer() < 300).toList();
  }

  /**
   * Requests being held by a hang answer now.
   *
   * @return the count
   */
  public int hangingNow() {
    return hanging.get();
  }

  private Answer next() {
    synchronized (script) {
      Answer a = script.poll();
      return a != null ? a : fallback;
    }
  }

  private void accept() {
    while (!closed) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Thread t = new Thread(() -> serve(s), "scripted-receiver-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s; InputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream()) {
      while (!closed) {
        String requestLine = line(in);
        if (requestLine == null || requestLine.isEmpty()) {
          return;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
          int c = h.indexOf(':');
          if (c > 0) {
            headers.put(h.substring(0, c).trim().toLowerCase(Locale.ROOT),
                h.substring(c + 1).trim());
          }
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        String[] parts = requestLine.split(" ");
        Answer a = next();
        requests.add(new Request(parts[0], parts.length > 1 ? parts[1] : "/", headers, body,
            Instant.now(), a.hang || a.reset ? 0 : a.status));
        if (a.reset) {
          s.setSoLinger(true, 0);
          return; // close with RST
        }
        int status = a.status;
        if (a.hang) {
          hanging.incrementAndGet();
          try {
            hangs.await();
          } finally {
            hanging.decrementAndGet();
          }
          if (closed) {
            return;
          }
          status = fallback.hang || fallback.reset ? 200 : fallback.status;
        }
        if (!a.delay.isZero()) {
          Thread.sleep(a.delay.toMillis()); // the scripted slowness itself
        }
        StringBuilder resp = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n");
        a.headers.forEach((k, v) -> resp.append(k).append(": ").append(v).append("\r\n"));
        resp.append("Content-Length: 2\r\n\r\nok");
        out.write(resp.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
    } catch (IOException | RuntimeException e) {
      // client went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      sockets.remove(s);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        String l = b.toString(StandardCharsets.ISO_8859_1);
        return l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    closed = true;
    hangs.countDown();
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
