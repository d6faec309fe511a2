package io.relaybus.test;

import java.util.Set;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The JUnit 5 extension behind {@link WithRelaybusServers}: resolves parameters of type
 * {@link PostgresServer}, {@link KafkaServer} and {@link SchemaRegistryServer} with the servers
 * of {@link RelaybusServers}, and stops the servers it started when the test run ends (with
 * JUnit 5.13 or later; the JVM's exit stops them in any case).
 */
public final class RelaybusServersExtension implements ParameterResolver {
  private static final Set<Class<?>> SERVER_TYPES = Set.of(PostgresServer.class,
      KafkaServer.class, SchemaRegistryServer.class);
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(RelaybusServersExtension.class);

  /** Creates the extension; JUnit does, through {@link WithRelaybusServers}. */
  public RelaybusServersExtension() {}

  /**
   * Whether the parameter is one of the three server types.
   *
   * @param parameterContext the parameter
   * @param extensionContext the test's context
   * @return true for {@link PostgresServer}, {@link KafkaServer} and {@link SchemaRegistryServer}
   */
  @Override
  public boolean supportsParameter(ParameterContext parameterContext,
      ExtensionContext extensionContext) {
    return SERVER_TYPES.contains(parameterContext.getParameter().getType());
  }

  /**
   * The shared server of the parameter's type, started if it is not running yet.
   *
   * @param parameterContext the parameter
   * @param extensionContext the test's context
   * @return the server
   * @throws ParameterResolutionException if the server cannot be started, with the reason
   */
  @Override
  public Object resolveParameter(ParameterContext parameterContext,
      ExtensionContext extensionContext) {
    // The root context's store closes its values when the whole run ends: stop the servers then.
    extensionContext.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent(ServersOfThisRun.class, key -> new ServersOfThisRun(),
            ServersOfThisRun.class);
    Class<?> type = parameterContext.getParameter().getType();
    try {
      if (type == PostgresServer.class) {
        return RelaybusServers.postgres();
      }
      if (type == KafkaServer.class) {
        return RelaybusServers.kafka();
      }
      return RelaybusServers.schemaRegistry();
    } catch (TestServerException e) {
      throw new ParameterResolutionException("no " + type.getSimpleName() + " for "
          + parameterContext.getDeclaringExecutable() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Stops the shared servers when JUnit (5.13 and later) closes the root store, at the end of
   * the run.
   */
  private static final class ServersOfThisRun implements AutoCloseable {
    @Override
    public void close() {
      RelaybusServers.stopAll();
    }
  }
}
