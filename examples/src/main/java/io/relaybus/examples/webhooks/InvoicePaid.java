package io.relaybus.examples.webhooks;

/**
 * The event data the demo sends to its partner.
 *
 * @param invoice the invoice number
 * @param customer who paid
 * @param cents how much
 */
public record InvoicePaid(String invoice, String customer, long cents) {}
