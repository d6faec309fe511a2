package io.relaybus.webhook.testing;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicInteger;
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
    return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (ds, dm, dargs) -> {
          Object result = invoke(dm, pool, dargs);
          if (!dm.getName().equals("getConnection")) {
            return result;
          }
          Connection c = (Connection) result;
          return Proxy.newProxyInstance(Connection.class.getClassLoader(),
              new Class<?>[] {Connection.class}, (proxy, m, args) -> {
                if (m.getName().equals("prepareStatement") && args != null
                    && args[0] instanceof String sql && counted.test(sql)) {
                  count.incrementAndGet();
                }
                return invoke(m, c, args);
              });
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
