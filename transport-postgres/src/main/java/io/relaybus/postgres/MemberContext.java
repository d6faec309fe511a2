package io.relaybus.postgres;

import java.util.concurrent.ThreadFactory;
import java.util.function.Function;

/**
 * What a group member needs of its transport: connections, settings, the topics' partition
 * counts, a thread factory, the registry it announces membership changes to, and the health
 * components it reports to.
 *
 * @param settings the transport's settings
 * @param database where connections come from
 * @param topics the topics' partition counts
 * @param threads a thread factory by purpose (the bus names the threads)
 * @param registry this bus's members, told when a member leaves or hands partitions over
 * @param health the transport's health, which gives each member its component
 */
record MemberContext(PostgresSettings settings, Database database, Topics topics,
    Function<String, ThreadFactory> threads, MemberRegistry registry, PostgresHealth health) {}
