package io.relaybus.examples.boot;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /orders}. */
@RestController
public class OrderController {
  private final Orders orders;

  OrderController(Orders orders) {
    this.orders = orders;
  }

  /**
   * Places an order.
   *
   * @param order the order
   * @return 202 Accepted
   */
  @PostMapping("/orders")
  public ResponseEntity<Void> place(@RequestBody Order order) {
    orders.place(order);
    return ResponseEntity.accepted().build();
  }

  /**
   * A refused order.
   *
   * @param e why
   * @return 422 with the reason
   */
  @ExceptionHandler(IllegalArgumentException.class)
  public ResponseEntity<String> refused(IllegalArgumentException e) {
    return ResponseEntity.status(HttpStatus.UNPROCESSABLE_ENTITY).body(e.getMessage());
  }
}
