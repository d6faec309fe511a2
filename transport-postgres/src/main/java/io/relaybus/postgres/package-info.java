/**
 * The PostgreSQL transport ({@code relaybus.transport=postgres}): events in a table, delivery
 * woken by {@code LISTEN/NOTIFY} with a backlog scan on every (re)connect, consumer groups whose
 * members lease partitions, transactional publish and a plain-SQL publishing contract. See
 * {@link io.relaybus.postgres.PostgresTransportProvider} for the settings and
 * {@link io.relaybus.postgres.PostgresTransport} for the PostgreSQL-only operations; these two
 * are the package's API, everything else is package-private.
 *
 * <p>Where the mechanisms are:
 * <ul>
 *   <li>Publishing: {@code PublishPipeline} (writer threads, group commit) writes an
 *       {@code EventBatch} (one INSERT for rows and packs); {@code Partitioner} picks the
 *       partition, {@code Topics} registers topics and caches their partition counts;
 *       {@code NotifyCoalescer} and {@code NotifyPayload} tell other buses.
 *   <li>Waking members: {@code NotificationListener} (LISTEN) and {@code MemberRegistry} (this
 *       bus's members by topic, rebalance announcements).
 *   <li>A group member: {@code GroupMember} runs the member thread; {@code PartitionLeases} is
 *       the lease protocol; {@code FetchPlan} sizes and shares each fetch; {@code RowReader}
 *       and {@code PackReader} read rows and whole packs; {@code FetchPass} hands a fetch's
 *       events over as {@code PostgresInboundMessage}s, the rest going to {@code ReadAhead};
 *       {@code PartitionState} tracks a partition's positions on the SPI's
 *       {@code PositionTracker} (in flight, finished, finished ahead by an earlier owner);
 *       {@code CursorWriter} writes cursors and attempts rows; {@code DeadLetterWriter} stores
 *       the dead letters the delivery engine decides on; {@code MemberStatements} holds the
 *       member's SQL text. A member reaches its transport only through {@code MemberContext},
 *       the publish pipeline and the dead letters through {@code PublishContext}.
 *   <li>Rows: {@code EventRows} (event to row and back, salvaging invalid rows),
 *       {@code EventWindows} (the SQL that reads a partition from rows and packs),
 *       {@code HeadersJson}.
 *   <li>Operations: {@code PostgresOperations} (the operations API: topics, groups, lag, event
 *       lookup), {@code PostgresDeadLetters} with {@code DeadLetterFilter} (dead letters by
 *       filter, keyset pages), {@code PostgresHealth} with {@code PoolHealthCheck} and
 *       {@code MemberHealth} (health components), {@code RetentionJob}, {@code SchemaMigrator},
 *       {@code Database} (the pool or the application's DataSource), {@code PostgresSettings}.
 * </ul>
 */
package io.relaybus.postgres;
