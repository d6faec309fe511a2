package io.relaybus.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publish futures not yet joined. A publisher keeps up to a window of them outstanding, as an
 * application pipelining its publishes would, and joins the whole window when it is full: a
 * transport with a network round trip is then measured for throughput, not for one round trip
 * per event. Not thread-safe; one per publishing thread.
 */
final class PendingPublishes {
  private final CompletableFuture<?>[] window;
  private final Duration timeout;
  private int size;

  PendingPublishes(int capacity, Duration timeout) {
    this.window = new CompletableFuture<?>[capacity];
    this.timeout = timeout;
  }

  /** Adds a future; joins all outstanding ones when the window is full. */
  void add(CompletableFuture<?> future) {
    window[size++] = future;
    if (size == window.length) {
      joinAll(timeout);
    }
  }

  /** Joins every outstanding future, failing on the first error or when the timeout passes. */
  void joinAll(Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    try {
      for (int i = 0; i < size; i++) {
        CompletableFuture<?> f = window[i];
        if (!f.isDone()) {
          f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } else if (f.isCompletedExceptionally()) {
          f.join(); // throws the failure
        }
      }
    } catch (TimeoutException e) {
      throw new BenchmarkException("Publishes not accepted within " + limit, e);
    } catch (ExecutionException | RuntimeException e) {
      throw new BenchmarkException("Publish failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BenchmarkException("Interrupted while joining publishes", e);
    } finally {
      Arrays.fill(window, 0, size, null);
      size = 0;
    }
  }
}
