package io.relaybus.webhook.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.Event;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.testing.CountingStatements;
import io.relaybus.webhook.testing.OutboxDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Publishes into the JDBC outbox are group-committed: many publishes that wait together share
 * one statement and one commit (their statements counted by a JDBC wrapper of ours around a real
 * PostgreSQL pool), each completes only once its deliveries are committed (visible to another
 * connection), each gets its own delivery count, and delivery ids follow publish order for an
 * ordered endpoint.
 */
class OutboxPublisherTest {

  private static OutboxDatabase db;
  private HikariDataSource pool;

  @BeforeAll
  static void database() {
    db = OutboxDatabase.create("webhook_group_commit");
  }

  @BeforeEach
  void open() {
    pool = db.pool(4);
  }

  @AfterEach
  void close() {
    pool.close();
  }

  @Test
  void concurrentPublishesShareCommitsAndCompleteOnlyWhenStored() throws Exception {
    AtomicInteger commits = new AtomicInteger();
    int singles = 1000;
    try (JdbcOutbox outbox = new JdbcOutbox(countingCommits(commits), null, "group_commit")) {
      outbox.putEndpoint(WebhookEndpoint.builder("all").url("https://example.com/a")
          .topics("gc-t").build());
      // Ordered: every group is written in turn (unordered topics: OutboxPublisherWritersTest).
      outbox.putEndpoint(WebhookEndpoint.builder("also").url("https://example.com/b")
          .topics("gc-t").ordered(true).build());
      int before = commits.get();
      ConcurrentLinkedQueue<String> notYetVisible = new ConcurrentLinkedQueue<>();
      List<CompletableFuture<Integer>> futures = new ArrayList<>();
      for (int i = 0; i < singles; i++) {
        int published = i + 1;
        futures.add(outbox.publishAsync("gc-t", List.of(event(i))).thenApply(n -> {
          long visible = committedDeliveries("group_commit");
          if (visible < 2L * published) {
            notYetVisible.add("publish " + published + " completed with " + visible
                + " deliveries committed");
          }
          return n;
        }));
      }
      futures.add(outbox.publishAsync("nobody-t", List.of(event(-1))));
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
          .get(60, TimeUnit.SECONDS);
      assertThat(notYetVisible).as("completed before their commit").isEmpty();
      assertThat(futures.get(0).get()).as("one delivery per matching endpoint").isEqualTo(2);
      assertThat(futures.get(singles).get()).as("no matching endpoint").isZero();
      assertThat(commits.get() - before).as("commits for %d publishes", singles + 1)
          .isLessThan(singles / 4);
      List<Integer> all = new ArrayList<>();
      for (OutboxDelivery d : outbox.claim("also", 2 * singles, false, false,
          java.time.Duration.ofMinutes(1))) {
        all.add(Integer.parseInt(new String(d.event().data(),
            java.nio.charset.StandardCharsets.UTF_8)));
      }
      assertThat(all).as("claims follow publish order").hasSize(singles).isSorted();
    }
  }

  private long committedDeliveries(String schema) {
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT (SELECT count(*) FROM " + schema + ".delivery) + (SELECT coalesce(sum("
            + "remaining), 0) FROM " + schema + ".route_pack)"); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Event event(int i) {
    return Event.builder().source("/group-commit").type("group-commit").text(Integer.toString(i))
        .build();
  }

  /** The pool, counting the statements that write deliveries: a write of publishes is one. */
  private DataSource countingCommits(AtomicInteger commits) {
    return CountingStatements.counting(pool, sql -> sql.contains("INSERT INTO")
        && sql.contains(".delivery"), commits);
  }
}
