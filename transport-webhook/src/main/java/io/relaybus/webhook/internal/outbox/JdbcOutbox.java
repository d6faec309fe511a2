package io.relaybus.webhook.internal.outbox;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.spi.HealthGrace;
import io.relaybus.webhook.EndpointState;
import io.relaybus.webhook.WebhookEndpoint;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable outbox in PostgreSQL. Publishing inserts one delivery per matching route with one
 * statement for all events of a transaction ({@link OutboxPublisher}: the bus's publishes are
 * group-committed), so the set of routes is read where the rows are written (a route added by
 * another process counts at once).
 * Dispatchers claim due deliveries with {@code FOR UPDATE SKIP LOCKED} and a lease: several
 * sender processes share the work, and a crashed sender's claims come back when their lease
 * ends. The schema is created idempotently under an advisory lock.
 *
 * <p>Large publishes to unordered endpoints are stored as packs (ADR 0020): a {@code pack} row
 * of the events and a {@code route_pack} row per endpoint, claimed whole and finished by bits;
 * their deliveries have negative ids ({@link PackedIds}), which this class takes apart.
 *
 * <p>Lock order: every statement that may wait for several delivery rows locks them in id order
 * first ({@code lockedInIdOrder}), and a transaction that waits for a delivery row holds no
 * other, so two writers of this outbox cannot wait for each other in a cycle (claims skip what
 * is locked and never wait). Route packs come after delivery rows and before packs, each in id
 * order (the schema's functions lock all their route packs before any pack). Outcome writes
 * touch a delivery only while this sender's lease on it holds: a sender whose lease ran out
 * must not release or reschedule a delivery that another sender has claimed and is sending.
 */
public final class JdbcOutbox implements Outbox {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcOutbox.class);
  /** Schema names: lower-case identifiers. */
  public static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,49}");
  /**
   * Statements writing publishes at once when nothing is said: one in flight while the next
   * group forms, as the PostgreSQL transport's {@code publish-writers}.
   */
  public static final int DEFAULT_PUBLISH_WRITERS = 2;

  private static final int KEY_WINDOW = 2000;
  /** Live deliveries below which a wrong row estimate costs too little to correct. */
  private static final long ESTIMATE_MIN_ROWS = 1_000;
  private static final Long[] NO_IDS = new Long[0];
  /** Records an attempt of a delivery that still exists ({@code %s}: the schema). */
  private static final String ATTEMPT_COLUMNS = "INSERT INTO %s.attempt "
      + "(delivery_id, route, attempt, started_at, duration_ms, status, error, event_id, "
      + "webhook_id) ";
  /** An attempt of a delivery, under the delivery's route. */
  private static final String INSERT_ATTEMPT = ATTEMPT_COLUMNS
      + "SELECT ?, route, ?, ?, ?, ?, ?, ?, ? FROM %s.delivery WHERE id = ?";
  /**
   * An attempt of no stored delivery (a test event), under a route named by the caller: the
   * same parameters as {@link #INSERT_ATTEMPT}, the last one the route.
   */
  private static final String INSERT_ROUTE_ATTEMPT = ATTEMPT_COLUMNS
      + "SELECT ?, r.route, ?, ?, ?, ?, ?, ?, ? FROM (SELECT ?::text AS route) r";

  /**
   * Deletes successful deliveries ({@code %s}: the schema; parameter 1: their ids), locked in
   * id order first: a data-modifying CTE, which runs whether or not the statement reads it.
   */
  private static final String SUCCEEDED = "gone AS (DELETE FROM %s.delivery WHERE id = ANY("
      + "ARRAY(SELECT id FROM %s.delivery WHERE id = ANY(?) ORDER BY id FOR UPDATE)) "
      + "RETURNING id, route)";
  /**
   * Records the attempts of {@link #SUCCEEDED}'s deliveries (parameters 2 to 9: their columns
   * as arrays), for those it deleted, under their route: joined with what the delete returned,
   * not with the table, so that no delivery is looked up again.
   */
  private static final String SUCCEEDED_ATTEMPTS = ATTEMPT_COLUMNS + "SELECT a.delivery_id, "
      + "g.route, a.attempt, a.started_at::timestamptz, a.duration_ms, a.status, a.error, "
      + "a.event_id, a.webhook_id FROM unnest(?::bigint[], ?::int[], ?::text[], ?::bigint[], "
      + "?::int[], ?::text[], ?::text[], ?::text[]) AS a(delivery_id, attempt, started_at, "
      + "duration_ms, status, error, event_id, webhook_id) JOIN gone g ON g.id = a.delivery_id";

  /**
   * Records successes of pack events ({@code %s}: the schema): parameters 1 and 2 their route
   * packs and positions, 3 to 10 their attempts' columns, all in {@code pack_done}'s order; an
   * attempt is recorded for each event the function marked done, under its route.
   */
  private static final String PACKED_SUCCEEDED = "WITH pd AS (SELECT * FROM %s.pack_done(?, ?, "
      + "NULL)) " + ATTEMPT_COLUMNS + "SELECT a.delivery_id, pd.k_route, a.attempt, "
      + "a.started_at::timestamptz, a.duration_ms, a.status, a.error, a.event_id, a.webhook_id "
      + "FROM unnest(?::bigint[], ?::int[], ?::text[], ?::bigint[], ?::int[], ?::text[], "
      + "?::text[], ?::text[]) WITH ORDINALITY AS a(delivery_id, attempt, started_at, "
      + "duration_ms, status, error, event_id, webhook_id, k) JOIN pd ON pd.k = a.k";

  private final DataSource dataSource;
  private final JdbcTransactions tx;
  private final JdbcDeadLetters deadLetters;
  private final JdbcOperatorQueries queries;
  private final OutboxPublisher publisher;
  private final HikariDataSource ownPool;
  private final String s;
  private final String owner = UUID.randomUUID().toString();
  /** The claim statements, by {@link #claimIndex}: made once, not per claim. */
  private final String[] claims = new String[8];
  /** {@link #SUCCEEDED} and {@link #SUCCEEDED_ATTEMPTS} as one statement of their own. */
  private final String succeededSql;
  private final String packedSucceededSql;

  /**
   * Opens the outbox on a data source, writing packs (ADR 0020), and creates the schema if needed.
   *
   * @param dataSource where connections come from
   * @param ownPool a pool to close with the outbox, or {@code null} when the caller owns it
   * @param schema the schema name
   */
  public JdbcOutbox(DataSource dataSource, HikariDataSource ownPool, String schema) {
    this(dataSource, ownPool, schema, true);
  }

  /**
   * Opens the outbox on a data source and creates the schema if needed.
   *
   * @param dataSource where connections come from
   * @param ownPool a pool to close with the outbox, or {@code null} when the caller owns it
   * @param schema the schema name
   * @param packs whether large publishes to unordered endpoints are written as packs; packs
   *     already stored are delivered either way
   */
  public JdbcOutbox(DataSource dataSource, HikariDataSource ownPool, String schema,
      boolean packs) {
    this(dataSource, ownPool, schema, packs, DEFAULT_PUBLISH_WRITERS);
  }

  /**
   * Opens the outbox on a data source and creates the schema if needed.
   *
   * @param dataSource where connections come from
   * @param ownPool a pool to close with the outbox, or {@code null} when the caller owns it
   * @param schema the schema name
   * @param packs whether large publishes to unordered endpoints are written as packs; packs
   *     already stored are delivered either way
   * @param publishWriters how many statements may write publishes at once, for topics no
   *     ordered endpoint or consumer group takes (1: one at a time)
   */
  public JdbcOutbox(DataSource dataSource, HikariDataSource ownPool, String schema,
      boolean packs, int publishWriters) {
    this.dataSource = dataSource;
    this.tx = new JdbcTransactions(dataSource, schema);
    this.deadLetters = new JdbcDeadLetters(tx, schema);
    this.queries = new JdbcOperatorQueries(tx, schema);
    this.publisher = new OutboxPublisher(tx, schema, packs, publishWriters);
    this.ownPool = ownPool;
    this.s = schema;
    for (boolean ordered : new boolean[] {false, true}) {
      for (boolean byKey : new boolean[] {false, true}) {
        for (boolean records : new boolean[] {false, true}) {
          claims[claimIndex(ordered, byKey, records)] = claimSql(ordered, byKey, records);
        }
      }
    }
    this.succeededSql = "WITH " + SUCCEEDED.replace("%s", s) + " "
        + SUCCEEDED_ATTEMPTS.replace("%s", s);
    this.packedSucceededSql = PACKED_SUCCEEDED.replace("%s", s);
    try {
      OutboxSchema.create(tx, schema);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Builds the connection pool of the URL mode.
   *
   * @param url the JDBC URL
   * @param user the user, or {@code null}
   * @param password the password, or {@code null}
   * @param size the most connections
   * @return the pool
   */
  public static HikariDataSource pool(String url, String user, String password, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    if (user != null) {
      config.setUsername(user);
    }
    if (password != null) {
      config.setPassword(password);
    }
    config.setMaximumPoolSize(size);
    config.setPoolName("relaybus-webhook-outbox");
    config.addDataSourceProperty("ApplicationName", "relaybus-webhook");
    config.addDataSourceProperty("tcpKeepAlive", "true");
    config.addDataSourceProperty("logServerErrorDetail", "false");
    return new HikariDataSource(config);
  }

  @Override
  public int publish(String topic, List<Event> events) {
    return tx.run(c -> publisher.insert(c,
        List.of(new OutboxPublisher.Request(topic, events, 0, null))))[0];
  }

  /**
   * Writes a publish on the caller's connection, inside the caller's transaction: its
   * deliveries exist if and only if the caller commits. When there are any, a notification on
   * {@link #channel()} goes with them, which PostgreSQL delivers at commit to every listening
   * sender ({@link #listen}). The connection is neither committed nor closed.
   *
   * @param connection a connection to the outbox's database
   * @param topic the topic
   * @param events the events
   * @return how many deliveries were written (none for a topic no route takes)
   * @throws SQLException when the database refuses the insert; the caller should roll back
   */
  public int publish(Connection connection, String topic, List<Event> events)
      throws SQLException {
    if (events.isEmpty()) {
      return 0;
    }
    if (events.size() == 1) {
      return publisher.insertOneAndNotify(connection, topic, events.get(0), channel());
    }
    int deliveries = publisher.insert(connection,
        List.of(new OutboxPublisher.Request(topic, events, 0, null)))[0];
    if (deliveries > 0) {
      try (PreparedStatement ps = connection.prepareStatement("SELECT pg_notify(?, '')")) {
        ps.setString(1, channel());
        ps.executeQuery().close();
      }
    }
    return deliveries;
  }

  /**
   * The notification channel of deliveries committed by a caller's transaction: the schema's
   * name and {@code _deliveries} (at most 61 characters: a valid identifier).
   *
   * @return the channel
   */
  public String channel() {
    return s + "_deliveries";
  }

  /**
   * Starts listening on {@link #channel()} on a connection of its own: the data source's in the
   * DataSource mode (held while listening), outside the pool in the URL mode.
   *
   * @param wake called on every notification and after every (re)connect
   * @param health the {@code webhook.listen} component: passed while connected and checked
   * @param checkEvery how often the connection is checked with a query
   * @param threads makes the listening thread
   * @return what stops it
   */
  public AutoCloseable listen(Runnable wake, HealthGrace health, Duration checkEvery,
      ThreadFactory threads) {
    return new CommitListener(this::listenConnection, channel(), wake, health, checkEvery,
        threads);
  }

  private Connection listenConnection() throws SQLException {
    if (ownPool == null) {
      return dataSource.getConnection();
    }
    Properties props = new Properties();
    if (ownPool.getUsername() != null) {
      props.setProperty("user", ownPool.getUsername());
    }
    if (ownPool.getPassword() != null) {
      props.setProperty("password", ownPool.getPassword());
    }
    props.setProperty("ApplicationName", "relaybus-webhook-listener");
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("connectTimeout", "10");
    // A finite read timeout: a dead server must not block the check query forever.
    props.setProperty("socketTimeout", "60");
    return DriverManager.getConnection(ownPool.getJdbcUrl(), props);
  }

  /** Group-committed with concurrent publishes ({@link OutboxPublisher}). */
  @Override
  public CompletableFuture<Integer> publishAsync(String topic, List<Event> events) {
    return publisher.submit(topic, events);
  }

  @Override
  public void putEndpoint(WebhookEndpoint endpoint) {
    tx.run(c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + s + ".route "
          + "(name, topics, config, packs) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
          + "topics = excluded.topics, config = excluded.config, packs = excluded.packs, "
          + "updated_at = now() WHERE " + s + ".route.grp IS NULL")) {
        ps.setString(1, endpoint.name());
        ps.setArray(2, c.createArrayOf("text", endpoint.topics().toArray()));
        ps.setString(3, EndpointJson.write(endpoint));
        ps.setBoolean(4, !endpoint.ordered());
        if (ps.executeUpdate() == 0) {
          throw new IllegalArgumentException("'" + endpoint.name() + "' is a group route");
        }
      }
      if (endpoint.ordered()) { // its order is kept by claims of rows: its packs become rows
        dropRoutePacks(c, endpoint.name(), true);
      }
      return null;
    });
  }

  @Override
  public String putGroup(String group, String topic, String secret) {
    return tx.run(c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + s + ".route "
          + "(name, topics, grp, topic, secret) VALUES (?, ?, ?, ?, ?) "
          + "ON CONFLICT (name) DO NOTHING")) {
        ps.setString(1, Route.groupRoute(group, topic));
        ps.setArray(2, c.createArrayOf("text", new String[] {topic}));
        ps.setString(3, group);
        ps.setString(4, topic);
        ps.setString(5, secret);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT secret FROM " + s
          + ".route WHERE name = ?")) {
        ps.setString(1, Route.groupRoute(group, topic));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getString(1);
        }
      }
    });
  }

  @Override
  public boolean removeRoute(String name) {
    return tx.run(c -> {
      try (PreparedStatement del = c.prepareStatement("DELETE FROM " + s
          + ".delivery WHERE id IN (" + lockedInIdOrder("route = ?") + ")");
          PreparedStatement ps = c.prepareStatement("DELETE FROM " + s
              + ".route WHERE name = ?")) {
        del.setString(1, name);
        del.executeUpdate();
        dropRoutePacks(c, name, false);
        ps.setString(1, name);
        return ps.executeUpdate() > 0;
      }
    });
  }

  /** Removes a route's route packs, writing their events out as rows first when unpacking. */
  private void dropRoutePacks(Connection c, String route, boolean unpack) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + s + ".drop_route_packs(?, ?)")) {
      ps.setString(1, route);
      ps.setBoolean(2, unpack);
      ps.executeQuery().close();
    }
  }

  @Override
  public boolean setState(String name, EndpointState state, String reason) {
    return tx.run(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".route SET state = ?, "
          + "reason = ?, updated_at = now() WHERE name = ?")) {
        ps.setString(1, state.name());
        ps.setString(2, reason);
        ps.setString(3, name);
        return ps.executeUpdate() > 0;
      }
    });
  }

  @Override
  public void putMember(String route, String url, int capacity, Duration ttl) {
    tx.run(c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + s + ".member "
          + "(route, url, capacity, expires_at) VALUES (?, ?, ?, now() + ? * interval '1 ms') "
          + "ON CONFLICT (route, url) DO UPDATE SET capacity = excluded.capacity, "
          + "expires_at = excluded.expires_at")) {
        ps.setString(1, route);
        ps.setString(2, url);
        ps.setInt(3, capacity);
        ps.setLong(4, ttl.toMillis());
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void removeMember(String route, String url) {
    tx.run(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + s
          + ".member WHERE route = ? AND url = ?")) {
        ps.setString(1, route);
        ps.setString(2, url);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public List<Route> routes() {
    return tx.run(c -> {
      Map<String, List<Route.Member>> members = new LinkedHashMap<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT route, url, capacity FROM " + s
          + ".member WHERE expires_at > now() ORDER BY route, url");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          members.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
              .add(new Route.Member(rs.getString(2), rs.getInt(3)));
        }
      }
      List<Route> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT name, config, grp, topic, secret, "
          + "state, reason FROM " + s + ".route ORDER BY name");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(1);
          String config = rs.getString(2);
          out.add(new Route(name, config == null ? null : EndpointJson.read(name, config),
              rs.getString(4), rs.getString(3), rs.getString(5),
              EndpointState.valueOf(rs.getString(6)), rs.getString(7),
              List.copyOf(members.getOrDefault(name, List.of()))));
        }
      }
      return out;
    });
  }

  @Override
  public long pending(String route) {
    return tx.run(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM " + s
          + ".delivery WHERE route = ?) + (SELECT coalesce(sum(remaining), 0) FROM " + s
          + ".route_pack WHERE route = ?)")) {
        ps.setString(1, route);
        ps.setString(2, route);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
  }

  @Override
  public List<OutboxDelivery> claim(String route, int max, boolean ordered, boolean byKey,
      Duration lease) {
    return succeededAndClaim(List.of(), route, max, ordered, byKey, lease);
  }

  /**
   * One statement, in auto-commit: the successes' data-modifying CTEs ({@link #SUCCEEDED}) and
   * the claim. The claim's pick excludes the recorded deliveries (the statement's snapshot
   * still shows them: an ordered route's oldest delivery, a key's head) and starts only once
   * the successes are deleted (a one-time filter on the CTE), so the statement locks the
   * deliveries it waits for in id order before it locks any it claims (those it skips when
   * locked, never waits for).
   */
  @Override
  public List<OutboxDelivery> succeededAndClaim(List<AttemptRecord> succeeded, String route,
      int max, boolean ordered, boolean byKey, Duration lease) {
    List<AttemptRecord> rows = packedSucceeded(succeeded);
    SuccessArrays arrays = rows.isEmpty() ? null : new SuccessArrays(rows);
    // One statement: atomic on its own, one round trip.
    return tx.runStatement(c -> succeededAndClaim(c, arrays, route, max, ordered, byKey, lease));
  }

  /** {@link #succeededAndClaim} on a connection ({@code arrays}: {@code null} without any). */
  List<OutboxDelivery> succeededAndClaim(Connection c, SuccessArrays arrays, String route,
      int max, boolean ordered, boolean byKey, Duration lease) throws SQLException {
    boolean records = arrays != null;
    List<OutboxDelivery> out = new ArrayList<>();
    List<OutboxDelivery> packed = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(claims[claimIndex(ordered, byKey,
        records)])) {
      int i = records ? arrays.bind(c, ps) : 0;
      ps.setBoolean(++i, byKey);
      ps.setString(++i, owner);
      ps.setLong(++i, lease.toMillis());
      ps.setString(++i, route);
      ps.setArray(++i, c.createArrayOf("bigint", records ? arrays.ids : NO_IDS));
      if (!ordered) {
        ps.setInt(++i, max);
      }
      ps.setString(++i, route); // the route still enabled
      if (!ordered && !byKey) {
        ps.setString(++i, route);
        ps.setString(++i, owner);
        ps.setLong(++i, lease.toMillis());
        ps.setInt(++i, max);
        ps.setString(++i, route);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String done = ordered || byKey ? null : rs.getString(7);
          if (done == null) {
            out.add(OutboxDelivery.stored(rs.getLong(1), route, rs.getString(2),
                rs.getString(3), rs.getBytes(4), rs.getInt(5), rs.getInt(6)));
          } else {
            addPacked(packed, route, rs.getLong(1), done, rs);
          }
        }
      }
    }
    out.sort((a, b) -> Long.compare(a.id(), b.id()));
    out.addAll(packed); // in pack and position order: publish order
    return out;
  }

  /** The events of a claimed route pack that are not done, as deliveries. */
  private static void addPacked(List<OutboxDelivery> out, String route, long routePack,
      String done, ResultSet rs) throws SQLException {
    String[] topics = (String[]) rs.getArray(8).getArray();
    String[] attributes = (String[]) rs.getArray(10).getArray();
    byte[][] data = (byte[][]) rs.getArray(11).getArray();
    for (int i = 0; i < done.length(); i++) {
      if (done.charAt(i) == '0') {
        out.add(OutboxDelivery.stored(PackedIds.of(routePack, i), route, topics[i],
            attributes[i], data[i], 0, 1));
      }
    }
  }

  private static int claimIndex(boolean ordered, boolean byKey, boolean records) {
    return (ordered ? 4 : 0) | (byKey ? 2 : 0) | (records ? 1 : 0);
  }

  /**
   * A claim: with {@code records}, the successes' CTEs first ({@link #SUCCEEDED}); then the
   * lease on what {@link #pick} chooses, for routes still enabled.
   */
  private String claimSql(boolean ordered, boolean byKey, boolean records) {
    // A lease still set here has lapsed (outcomes clear it): its sender died with the request
    // in flight, so for a group the member may have run the handler — that counts an attempt.
    // The route must still be enabled: the dispatcher's list of routes may be stale. Checked
    // once for the route (a condition of the statement, not of each row): correlated with the
    // rows, the planner may join the route first and look the ids up in the route's due index.
    String successes = records ? SUCCEEDED.replace("%s", s) + ", recorded AS ("
        + SUCCEEDED_ATTEMPTS.replace("%s", s) + ")" : "";
    String update = "UPDATE " + s + ".delivery d SET "
        + "handler_attempt = d.handler_attempt + CASE WHEN ? AND d.lease_until IS NOT NULL "
        + "THEN 1 ELSE 0 END, lease_owner = ?, lease_until = now() + ? * interval '1 ms' "
        + "WHERE d.id = ANY(ARRAY(" + pick(s, ordered, byKey, records) + ")) AND EXISTS ("
        + "SELECT 1 FROM " + s + ".route r WHERE r.name = ? AND r.state = 'ENABLED') "
        + "RETURNING d.id, d.topic, d.attributes, d.data, d.attempts, d.handler_attempt";
    if (ordered || byKey) {
      return (records ? "WITH " + successes + " " : "") + update;
    }
    // An unordered endpoint also takes packs: its route packs, once the rows leave room (rows
    // first: failed pack events come back as rows, and must not wait behind newer packs).
    return "WITH " + (records ? successes + ", " : "") + "claimed AS (" + update + ") "
        + "SELECT id, topic, attributes, data, attempts, handler_attempt, NULL::text, "
        + "NULL::text[], NULL::text[], NULL::text[], NULL::bytea[] FROM claimed UNION ALL "
        + "SELECT c_id, NULL, NULL, NULL, 0, 1, c_done, c_topics, c_event_ids, c_attributes, "
        + "c_data FROM " + s + ".claim_packs(?, ?, ?, ? - (SELECT count(*)::int FROM claimed)) "
        // Not called at all (a one-time filter) while the route has no route pack to take: the
        // common case of an endpoint that only gets small publishes.
        + "WHERE EXISTS (SELECT 1 FROM " + s + ".route_pack rp WHERE rp.route = ? AND "
        + "(rp.lease_until IS NULL OR rp.lease_until < now()))";
  }

  /**
   * The claim's choice of deliveries: parameters the route, the recorded ids ({@code bigint[]},
   * empty without {@code records}), and the most to claim unless {@code ordered}. The route's
   * rows are walked by the schema's functions ({@code due_deliveries}, {@code route_window}),
   * whose plans do not depend on the table's statistics; the rows they choose are then found by
   * id ({@code = ANY(ARRAY(...))}, never a join that could read the table).
   */
  static String pick(String s, boolean ordered, boolean byKey, boolean records) {
    // The pick runs only after the recorded deliveries are deleted (a one-time filter: the CTE
    // runs to its end first), and leaves them out of the route's rows it looks at (its snapshot
    // may still show them: an ordered route's oldest delivery, a key's head).
    String afterRecorded = records ? " AND (SELECT count(*) FROM gone) >= 0" : "";
    if (ordered) {
      return "SELECT id FROM " + s + ".delivery WHERE id = (SELECT w_id FROM " + s
          + ".route_window(?, ?, 1)) AND due_at <= now() AND (lease_until IS NULL OR "
          + "lease_until < now())" + afterRecorded + " FOR UPDATE SKIP LOCKED";
    }
    if (byKey) {
      // Per-key order: a delivery with a key is claimable only as the oldest pending one of its
      // key. Looking at the route's oldest KEY_WINDOW deliveries makes that a row_number() over
      // the window instead of a probe per row (any older row of the same key is in the window
      // too); keys whose head lies beyond the window wait until older deliveries finish.
      return "SELECT d0.id FROM " + s + ".delivery d0 WHERE d0.id = ANY(ARRAY(SELECT h.w_id "
          + "FROM (SELECT w.*, row_number() OVER (PARTITION BY w.w_key ORDER BY w.w_id) AS rn "
          + "FROM " + s + ".route_window(?, ?, " + KEY_WINDOW + ") w) h WHERE (h.w_key IS NULL "
          + "OR h.rn = 1) AND h.w_due_at <= now() AND (h.w_lease_until IS NULL OR "
          + "h.w_lease_until < now()) ORDER BY h.w_due_at, h.w_id LIMIT ?)) AND d0.due_at <= "
          + "now() AND (d0.lease_until IS NULL OR d0.lease_until < now())" + afterRecorded
          + " FOR UPDATE SKIP LOCKED"; // re-checked on rows another claimer just leased
    }
    return "SELECT f.id FROM " + s + ".due_deliveries(?, ?, ?) AS f(id)"
        + (records ? " WHERE (SELECT count(*) FROM gone) >= 0" : "");
  }

  /**
   * Renews delivery rows' leases and route packs' (one lease for all of a pack's events). A
   * release ({@code lease} zero) of pack events writes them out as rows, claimable at once: the
   * pack's other events may still be in flight here, under its lease.
   */
  @Override
  public void renew(Collection<Long> leased, Duration lease) {
    Collection<Long> ids = leased;
    if (PackedIds.anyPacked(leased)) {
      List<Long> rows = new ArrayList<>(leased.size());
      TreeSet<Long> packed = new TreeSet<>(Comparator.reverseOrder()); // see writeOut
      for (long id : leased) {
        (PackedIds.packed(id) ? packed : rows).add(id);
      }
      if (lease.isZero() || lease.isNegative()) {
        writeOut(List.copyOf(packed), 0, 1, null);
      } else {
        renewRoutePacks(packed, lease);
      }
      ids = rows;
    }
    if (ids.isEmpty()) {
      return;
    }
    Long[] sorted = sortedIds(ids);
    tx.runStatement(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".delivery SET "
          + "lease_until = now() + ? * interval '1 ms' WHERE id = ANY(ARRAY("
          + lockedInIdOrder("id = ANY(?) AND lease_owner = ?") + "))")) {
        ps.setLong(1, lease.toMillis());
        ps.setArray(2, c.createArrayOf("bigint", sorted));
        ps.setString(3, owner);
        ps.executeUpdate();
      }
      return null;
    });
  }

  private void renewRoutePacks(Collection<Long> packedIds, Duration lease) {
    TreeSet<Long> routePacks = new TreeSet<>();
    for (long id : packedIds) {
      routePacks.add(PackedIds.routePack(id));
    }
    tx.runStatement(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".route_pack SET "
          + "lease_until = now() + ? * interval '1 ms' WHERE id = ANY(ARRAY(SELECT id FROM " + s
          + ".route_pack WHERE id = ANY(?) AND lease_owner = ? ORDER BY id FOR UPDATE))")) {
        ps.setLong(1, lease.toMillis());
        ps.setArray(2, c.createArrayOf("bigint", routePacks.toArray()));
        ps.setString(3, owner);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /**
   * Writes pack events this sender leases out as delivery rows (unleased, due at {@code due} or
   * now) and marks them done in their packs, recording {@code attempt} for them when given
   * (one event then). Events finished meanwhile, or whose pack another sender claimed after
   * this sender's lease ran out, are left alone.
   *
   * @param ids packed ids, by route pack and then position (descending ids)
   */
  private void writeOut(List<Long> ids, int attempts, int handlerAttempt, Instant due,
      AttemptRecord attempt) {
    tx.runStatement(c -> {
      try (PreparedStatement ps = c.prepareStatement("WITH w AS (SELECT * FROM " + s
          + ".pack_write_out(?, ?, ?, ?, ?, coalesce(?, now()))) " + (attempt == null
          ? "SELECT count(*) FROM w" : ATTEMPT_COLUMNS.replace("%s", s) + "SELECT ?, w.k_route, "
          + "?, ?, ?, ?, ?, ?, ? FROM w"))) {
        bindPackPositions(c, ps, ids);
        ps.setString(3, owner);
        ps.setInt(4, attempts);
        ps.setInt(5, handlerAttempt);
        ps.setTimestamp(6, due == null ? null : Timestamp.from(due));
        if (attempt == null) {
          ps.executeQuery().close();
        } else {
          bindAttemptFrom(ps, 7, attempt);
          ps.executeUpdate();
        }
      }
      return null;
    });
  }

  private void writeOut(List<Long> ids, int attempts, int handlerAttempt, Instant due) {
    if (!ids.isEmpty()) {
      writeOut(ids, attempts, handlerAttempt, due, null);
    }
  }

  private void insertAttempt(Connection c, AttemptRecord a) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT_ATTEMPT.replace("%s", s))) {
      bindAttempt(ps, a);
      ps.executeUpdate();
    }
  }

  private static void bindAttempt(PreparedStatement ps, AttemptRecord a) throws SQLException {
    bindAttemptFrom(ps, 1, a);
    ps.setLong(9, a.deliveryId());
  }

  /** Binds an attempt's eight columns from parameter {@code first}. */
  private static void bindAttemptFrom(PreparedStatement ps, int first, AttemptRecord a)
      throws SQLException {
    int i = first;
    ps.setLong(i, a.deliveryId());
    ps.setInt(++i, a.attempt());
    ps.setTimestamp(++i, Timestamp.from(a.startedAt()));
    ps.setLong(++i, a.duration().toMillis());
    ps.setInt(++i, a.status());
    ps.setString(++i, a.error());
    ps.setString(++i, a.eventId());
    ps.setString(++i, a.webhookId());
  }

  @Override
  public void succeeded(AttemptRecord attempt) {
    tx.run(c -> {
      insertAttempt(c, attempt);
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + s
          + ".delivery WHERE id = ?")) {
        ps.setLong(1, attempt.deliveryId());
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void recordAttempt(String route, AttemptRecord attempt) {
    tx.run(c -> {
      try (PreparedStatement ps = c.prepareStatement(INSERT_ROUTE_ATTEMPT.replace("%s", s))) {
        bindAttempt(ps, attempt);
        ps.setString(9, route);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /**
   * Records the outcomes of many successful deliveries with one statement in auto-commit
   * ({@link #SUCCEEDED}, {@link #SUCCEEDED_ATTEMPTS}): it locks the deliveries in id order,
   * deletes them and inserts their attempt records (for the deliveries that still existed, as
   * {@link #succeeded(AttemptRecord)} does). The dispatcher collects its successes, so a busy
   * sender pays one statement for many deliveries instead of one transaction per delivery.
   */
  @Override
  public void succeeded(List<AttemptRecord> attempts) {
    List<AttemptRecord> rows = packedSucceeded(attempts);
    if (rows.isEmpty()) {
      return;
    }
    SuccessArrays arrays = new SuccessArrays(rows);
    tx.runStatement(c -> { // one statement: atomic on its own, one round trip
      try (PreparedStatement ps = c.prepareStatement(succeededSql)) {
        arrays.bind(c, ps);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /**
   * Records the successes of pack events among {@code attempts} (marks them done and inserts
   * their attempt records, for those not done before), one statement in auto-commit.
   *
   * @return the successes of delivery rows, left to record
   */
  private List<AttemptRecord> packedSucceeded(List<AttemptRecord> attempts) {
    List<AttemptRecord> rows = new ArrayList<>(attempts.size());
    List<AttemptRecord> packed = new ArrayList<>();
    for (AttemptRecord a : attempts) {
      (PackedIds.packed(a.deliveryId()) ? packed : rows).add(a);
    }
    if (packed.isEmpty()) {
      return rows;
    }
    // By route pack, then position: the order pack_done walks them in.
    packed.sort((a, b) -> Long.compare(b.deliveryId(), a.deliveryId()));
    SuccessArrays arrays = new SuccessArrays(packed);
    tx.runStatement(c -> {
      try (PreparedStatement ps = c.prepareStatement(packedSucceededSql)) {
        bindPackPositions(c, ps, packed.stream().map(AttemptRecord::deliveryId).toList());
        arrays.bindColumns(c, ps, 3);
        ps.executeUpdate();
      }
      return null;
    });
    return rows;
  }

  /** Binds parameters 1 and 2: the route packs and positions of packed ids, in their order. */
  private static void bindPackPositions(Connection c, PreparedStatement ps, List<Long> ids)
      throws SQLException {
    Long[] routePacks = new Long[ids.size()];
    Integer[] positions = new Integer[ids.size()];
    for (int i = 0; i < routePacks.length; i++) {
      routePacks[i] = PackedIds.routePack(ids.get(i));
      positions[i] = PackedIds.position(ids.get(i));
    }
    ps.setArray(1, c.createArrayOf("bigint", routePacks));
    ps.setArray(2, c.createArrayOf("int4", positions));
  }

  /** The columns of successful attempts, as the arrays {@link #SUCCEEDED} binds. */
  static final class SuccessArrays {
    final Long[] ids;
    final Integer[] numbers;
    final String[] started;
    final Long[] millis;
    final Integer[] statuses;
    final String[] errors;
    final String[] eventIds;
    final String[] webhookIds;

    SuccessArrays(List<AttemptRecord> attempts) {
      int n = attempts.size();
      ids = new Long[n];
      numbers = new Integer[n];
      started = new String[n];
      millis = new Long[n];
      statuses = new Integer[n];
      errors = new String[n];
      eventIds = new String[n];
      webhookIds = new String[n];
      for (int i = 0; i < n; i++) {
        AttemptRecord a = attempts.get(i);
        ids[i] = a.deliveryId();
        numbers[i] = a.attempt();
        started[i] = a.startedAt().toString();
        millis[i] = a.duration().toMillis();
        statuses[i] = a.status();
        errors[i] = a.error();
        eventIds[i] = a.eventId();
        webhookIds[i] = a.webhookId();
      }
    }

    /** Binds the first nine parameters; returns how many it bound. */
    int bind(Connection c, PreparedStatement ps) throws SQLException {
      ps.setArray(1, c.createArrayOf("bigint", sortedIds(List.of(ids))));
      return bindColumns(c, ps, 2);
    }

    /** Binds the eight columns from parameter {@code first}; returns the last one bound. */
    int bindColumns(Connection c, PreparedStatement ps, int first) throws SQLException {
      int i = first;
      ps.setArray(i, c.createArrayOf("bigint", ids));
      ps.setArray(++i, c.createArrayOf("int4", numbers));
      ps.setArray(++i, c.createArrayOf("text", started));
      ps.setArray(++i, c.createArrayOf("bigint", millis));
      ps.setArray(++i, c.createArrayOf("int4", statuses));
      ps.setArray(++i, c.createArrayOf("text", errors));
      ps.setArray(++i, c.createArrayOf("text", eventIds));
      ps.setArray(++i, c.createArrayOf("text", webhookIds));
      return i;
    }
  }

  @Override
  public void failed(AttemptRecord attempt, Instant due, int handlerAttempt, boolean counted) {
    if (PackedIds.packed(attempt.deliveryId())) { // retried as a row from now on
      writeOut(List.of(attempt.deliveryId()), counted ? 1 : 0, handlerAttempt, due, attempt);
      return;
    }
    tx.run(c -> {
      insertAttempt(c, attempt);
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + s + ".delivery SET "
          + "attempts = attempts + ?, handler_attempt = ?, due_at = ?, lease_owner = NULL, "
          + "lease_until = NULL WHERE id = ? AND lease_owner = ?")) {
        ps.setInt(1, counted ? 1 : 0);
        ps.setInt(2, handlerAttempt);
        ps.setTimestamp(3, Timestamp.from(due));
        ps.setLong(4, attempt.deliveryId());
        ps.setString(5, owner);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void deadLetterDelivery(AttemptRecord attempt, OutboxDelivery delivery, String group,
      DeadLetterReason reason, int attempts, String lastError) {
    if (PackedIds.packed(delivery.id())) {
      deadLetterPacked(attempt, delivery, group, reason, attempts, lastError);
      return;
    }
    tx.run(c -> {
      if (attempt != null) {
        insertAttempt(c, attempt);
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + s
          + ".delivery WHERE id = ? AND lease_owner = ?")) {
        ps.setLong(1, delivery.id());
        ps.setString(2, owner);
        if (ps.executeUpdate() == 0) {
          return null; // finished or claimed by another sender after our lease ran out
        }
      }
      deadLetters.insert(c, delivery.topic(), group, delivery.event(), reason, attempts,
          lastError);
      return null;
    });
  }

  /** {@link #deadLetterDelivery} of a pack event: marked done, under this sender's lease. */
  private void deadLetterPacked(AttemptRecord attempt, OutboxDelivery delivery, String group,
      DeadLetterReason reason, int attempts, String lastError) {
    tx.run(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT k FROM " + s
          + ".pack_done(?, ?, ?)")) {
        bindPackPositions(c, ps, List.of(delivery.id()));
        ps.setString(3, owner);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return null; // finished or claimed by another sender after our lease ran out
          }
        }
      }
      if (attempt != null) {
        try (PreparedStatement ps = c.prepareStatement(INSERT_ROUTE_ATTEMPT.replace("%s", s))) {
          bindAttempt(ps, attempt);
          ps.setString(9, delivery.route());
          ps.executeUpdate();
        }
      }
      deadLetters.insert(c, delivery.topic(), group, delivery.event(), reason, attempts,
          lastError);
      return null;
    });
  }

  @Override
  public void deadLetter(String topic, String group, Event event, DeadLetterReason reason,
      int attempts, String lastError) {
    tx.run(c -> {
      deadLetters.insert(c, topic, group, event, reason, attempts, lastError);
      return null;
    });
  }

  @Override
  public List<DeadLetter> deadLetters(DeadLetterQuery filter, DeadLetterCursor after,
      int limit) {
    return deadLetters.search(filter, after, limit);
  }

  @Override
  public Map<DeadLetterReason, Long> deadLetterCounts(String topic, String group) {
    return deadLetters.counts(topic, group);
  }

  @Override
  public int replay(String topic, String group, List<String> ids, String route) {
    return deadLetters.replay(topic, group, ids, route);
  }

  @Override
  public int purge(DeadLetterQuery filter) {
    return deadLetters.purge(filter);
  }

  @Override
  public Backlog backlog(String route, String topic) {
    return queries.backlog(route, topic);
  }

  @Override
  public List<String> topics() {
    return queries.topics();
  }

  @Override
  public EventTrace trace(String topic, String eventId, Collection<String> routes) {
    return queries.trace(topic, eventId, routes);
  }

  /**
   * Analyzes the delivery table when PostgreSQL's recorded row count has fallen far below its
   * live rows. An outbox is often empty: when autovacuum analyzes it then, with its pages not
   * yet truncated, PostgreSQL records zero rows over those pages and estimates every scan of the
   * next backlog at one row until it analyzes again, which can be a minute or more away. Plans
   * made on that estimate (and cached generic plans) may read the whole backlog for each claim.
   * The claims' walks do not depend on it (the schema's functions); this keeps the rest of the
   * planning right. {@code SKIP_LOCKED}: never waits for autovacuum or another sender.
   */
  @Override
  public boolean correctRowEstimate() {
    return tx.run(c -> {
      long recorded;
      long live;
      try (PreparedStatement ps = c.prepareStatement("SELECT reltuples::bigint, "
          + "pg_stat_get_live_tuples(oid) FROM pg_class WHERE oid = ?::regclass")) {
        ps.setString(1, s + ".delivery");
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return false;
          }
          recorded = rs.getLong(1);
          live = rs.getLong(2);
        }
      }
      // -1: never analyzed, when PostgreSQL estimates from the table's size, which is right.
      if (recorded < 0 || live < ESTIMATE_MIN_ROWS || recorded * 4 >= live) {
        return false;
      }
      try (Statement st = c.createStatement()) {
        st.execute("ANALYZE (SKIP_LOCKED) " + s + ".delivery");
        if (st.getWarnings() != null) { // not the table's owner, or it was locked: skipped
          LOG.debug("Could not analyze {}.delivery: {}", s, st.getWarnings().getMessage());
          return false;
        }
      }
      LOG.debug("Analyzed {}.delivery: PostgreSQL recorded {} rows, {} are live", s, recorded,
          live);
      return true;
    });
  }

  /**
   * A publish that raced with an endpoint becoming ordered may have packed events for it after
   * its packs were written out as rows ({@link #putEndpoint}); ordered claims read only rows, so
   * those are written out here (one indexed lookup per route that takes no packs).
   */
  @Override
  public long writeOutStrayPacks() {
    return tx.run(c -> {
      long n = 0;
      try (PreparedStatement ps = c.prepareStatement("SELECT " + s + ".drop_route_packs(r.name, "
          + "true) FROM " + s + ".route r WHERE NOT r.packs AND EXISTS (SELECT 1 FROM " + s
          + ".route_pack rp WHERE rp.route = r.name)"); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          n += rs.getLong(1);
        }
      }
      return n;
    });
  }

  @Override
  public void check() {
    tx.run(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + s + ".route LIMIT 1")) {
        ps.setQueryTimeout(10);
        ps.executeQuery().close();
      }
      return null;
    });
  }

  @Override
  public List<AttemptRecord> attempts(String route, int limit, boolean newestFirst) {
    return tx.run(c -> {
      List<AttemptRecord> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT delivery_id, attempt, started_at, "
          + "duration_ms, status, error, event_id, webhook_id FROM " + s + ".attempt WHERE "
          + "route = ? ORDER BY started_at" + (newestFirst ? " DESC" : "") + " LIMIT ?")) {
        ps.setString(1, route);
        ps.setInt(2, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new AttemptRecord(rs.getLong(1), rs.getInt(2),
                rs.getTimestamp(3).toInstant(), Duration.ofMillis(rs.getLong(4)), rs.getInt(5),
                rs.getString(6), rs.getString(7), rs.getString(8)));
          }
        }
      }
      return out;
    });
  }

  @Override
  public int prune(Duration attemptRetention) {
    return tx.run(c -> {
      int n;
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + s
          + ".attempt WHERE started_at < now() - ? * interval '1 ms'")) {
        ps.setLong(1, attemptRetention.toMillis());
        n = ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + s
          + ".member WHERE expires_at < now() - interval '1 minute'")) {
        n += ps.executeUpdate();
      }
      return n;
    });
  }

  /**
   * A subquery locking the deliveries that match {@code filter} in id order: the one lock order
   * of every statement here that may wait for several delivery rows (see the class).
   */
  private String lockedInIdOrder(String filter) {
    return "SELECT id FROM " + s + ".delivery WHERE " + filter + " ORDER BY id FOR UPDATE";
  }

  private static Long[] sortedIds(Collection<Long> ids) {
    Long[] sorted = ids.toArray(Long[]::new);
    java.util.Arrays.sort(sorted);
    return sorted;
  }

  @Override
  public boolean durable() {
    return true;
  }

  @Override
  public void close() {
    publisher.close();
    if (ownPool != null) {
      ownPool.close();
    }
  }
}
