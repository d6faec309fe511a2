/**
 * The transport compatibility kit.
 *
 * <p>{@link io.relaybus.tck.TransportCompatibilityKit} is the abstract JUnit 5 class a
 * transport's test extends: it supplies how to create a bus (and, where it can, how to cut
 * connections or restart the server), and JUnit runs every guarantee family the kit nests for
 * it, according to the transport's declared capabilities. Each family is its own class, named
 * for the part of {@code docs/semantics.md} it proves: {@code DeliveryGuarantees},
 * {@code RetryGuarantees}, {@code DeadLetterGuarantees}, {@code GroupAndOrderingGuarantees},
 * {@code LifecycleGuarantees}, {@code FaultGuarantees} and {@code OperationsGuarantees};
 * {@code GuaranteeFamily} holds what they share.
 *
 * <p>Transport tests beyond the kit use {@link io.relaybus.tck.Recorder} (what handlers saw),
 * {@link io.relaybus.tck.ChildJvm} (a member in another JVM, for crash tests that SIGKILL it)
 * and {@link io.relaybus.tck.TestInfrastructureException} (a test server or child process that
 * failed, rather than the code under test).
 */
package io.relaybus.tck;
