package io.relaybus.kafka;

/**
 * A partition count derived by {@link PartitionAdvisor}, with the numbers behind it.
 *
 * @param partitions the advised partition count, at least 1
 * @param offeredLoad Little's law {@code L = λ·W}: how many events are in service at once on
 *     average at the measured rate and handling time
 * @param utilisation the expected utilisation of each partition's handling capacity at the
 *     advised count: {@code L / (partitions · eventsInServicePerPartition)}, at most the target
 * @param explanation a one-line explanation with the inputs, for logs and reviews
 */
public record PartitionAdvice(int partitions, double offeredLoad, double utilisation,
    String explanation) {}
