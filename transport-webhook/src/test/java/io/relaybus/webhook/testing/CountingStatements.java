package io.relaybus.webhook.testing;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * Our JDBC wrapper around a real pool for tests that count round trips: every statement
 * prepared on its connections whose SQL matches is counted.
 */
public final class CountingStatements {

  private CountingStatements() {}

  /**
   * A data source over {@code pool} counting the statements prepared on its connections.
   *
   * @param pool the real pool
   * @param counted which SQL texts count
   * @param count the counter
   * @return the counting data source
   */
  public static DataSource counting(DataSource pool, Predicate<String> counted,
      AtomicInteger count) {
    return preparing(pool, sql -> {
      if (counted.test(sql)) {
        count.incrementAndGet();
      }
    });
  }

  /**
   * A data source over {@code pool} telling {@code before} of every SQL text prepared on its
   * connections, before it is prepared.
   *
   * @param pool the real pool
   * @param before what to tell
   * @return the observing data source
   */
  public static DataSource preparing(DataSource pool, Consumer<String> before) {
    return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (ds, dm, dargs) -> {
          Object result = invoke(dm, pool, dargs);
          if (!dm.getName().equals("getConnection")) {
            return result;
          }
          return observing((Connection) result, (c, m, args) -> {
            if (m.getName().equals("prepareStatement") && args != null
                && args[0] instanceof String sql) {
              before.accept(sql);
            }
          });
        });
  }

  /** What a test does before each call on an observed connection. */
  @FunctionalInterface
  public interface Observer {
    /**
     * Called before the call goes to the connection.
     *
     * @param c the real connection
     * @param m the method called
     * @param args its arguments, {@code null} for none
     * @throws SQLException to fail the call instead
     */
    void before(Connection c, Method m, Object[] args) throws SQLException;
  }

  /**
   * A connection that tells {@code observer} of every call before making it on {@code c}.
   *
   * @param c the real connection
   * @param observer what to tell
   * @return the observed connection
   */
  public static Connection observing(Connection c, Observer observer) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
        new Class<?>[] {Connection.class}, (proxy, m, args) -> {
          observer.before(c, m, args);
          return invoke(m, c, args);
        });
  }

  private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
