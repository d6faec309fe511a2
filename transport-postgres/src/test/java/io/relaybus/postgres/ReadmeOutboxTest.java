package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.example.shop.Orders;
import io.relaybus.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's transactional outbox is {@code com.example.shop.Orders}, a whole class a reader
 * can copy: it runs here against a real server, and the README shows exactly its text.
 */
class ReadmeOutboxTest {
  private static final Path PROGRAM = Path.of("src", "test", "java", "com", "example", "shop", "Orders.java");

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_readme_outbox");

  @Test
  void anOrderAndItsEventAreStoredTogetherOrNotAtAll() throws Exception {
    DB.execute("CREATE TABLE orders (id text PRIMARY KEY, customer text NOT NULL, "
        + "cents int NOT NULL)");
    Queue<Event> billed = new ConcurrentLinkedQueue<>();
    try (Orders orders = new Orders(DB.dataSource())) {
      orders.bus().subscribe("orders", "billing", delivery -> billed.add(delivery.event()));

      orders.place("o-1", "customer-7", 4200);
      // The same order again breaks the primary key: the transaction rolls back, and the event
      // written in it is gone with the row.
      assertThatThrownBy(() -> orders.place("o-1", "customer-7", 4200))
          .isInstanceOf(SQLException.class).hasMessageContaining("orders_pkey");
      orders.place("o-2", "customer-8", 990);

      await().atMost(Duration.ofSeconds(30)).until(() -> billed.size() == 2);
      assertThat(billed).extracting(e -> e.key().orElseThrow())
          .containsExactlyInAnyOrder("customer-7", "customer-8");
      assertThat(DB.queryLong("SELECT count(*) FROM orders")).isEqualTo(2);
      assertThat(DB.queryLong("SELECT count(*) FROM relaybus.all_events WHERE topic = 'orders'"))
          .isEqualTo(2);
    }
  }

  @Test
  void theReadmeShowsExactlyThisClass() throws Exception {
    List<String> readme = Files.readAllLines(Path.of("..", "README.md"));
    int open = readme.indexOf("package com.example.shop;");
    assertThat(open).as("the README shows the Orders class, from its package line").isPositive();
    while (!readme.get(open).equals("```java")) {
      open--;
    }
    int close = readme.subList(open, readme.size()).indexOf("```") + open;
    assertThat(readme.subList(open + 1, close)).isEqualTo(Files.readAllLines(PROGRAM));
  }
}
