package io.relaybus.examples.boot;

/**
 * An order as the shop receives and publishes it.
 *
 * @param id the order id
 * @param total the total in cents; negative totals are refused after the order was written,
 *     to show a rolled-back transaction publishes nothing
 */
public record Order(String id, long total) {}
