package io.relaybus.webhook.receiver;

import java.time.Duration;

/** {@link DedupeStore#none()}: every claim is acquired, nothing is remembered. */
enum NoDedupe implements DedupeStore {
  INSTANCE;

  @Override
  public Claim claim(String webhookId) {
    return Claim.ACQUIRED;
  }

  @Override
  public void complete(String webhookId) {}

  @Override
  public void release(String webhookId) {}

  @Override
  public Duration retention() {
    return Duration.ZERO;
  }

  @Override
  public String toString() {
    return "no dedupe";
  }
}
