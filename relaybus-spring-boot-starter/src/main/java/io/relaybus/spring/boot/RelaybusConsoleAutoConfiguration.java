package io.relaybus.spring.boot;

import io.relaybus.ConfigurationException;
import io.relaybus.EventBus;
import io.relaybus.console.Console;
import io.relaybus.spring.boot.internal.ConsoleServlet;
import io.relaybus.spring.boot.internal.RelaybusEnvironment;
import java.util.Map;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * The operator console ({@code relaybus-console}) mounted in a servlet web application at
 * {@code relaybus.console.path} (such as {@code /relaybus}), over the application's {@link
 * EventBus}. Active only when {@code relaybus-console} is on the class path, the application is
 * a servlet web application and {@code relaybus.console.path} is set. The console's users,
 * tokens and other settings are its {@code relaybus.console.*} keys, read from the
 * application's environment; its sign-in, roles, CSRF and origin checks apply as anywhere else.
 */
@AutoConfiguration(after = RelaybusAutoConfiguration.class)
@ConditionalOnClass(name = {"io.relaybus.console.Console", "jakarta.servlet.http.HttpServlet"})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(name = RelaybusConsoleAutoConfiguration.PATH)
public class RelaybusConsoleAutoConfiguration {

  /** The key of the mount path. */
  static final String PATH = "relaybus.console.path";

  /** Creates the auto-configuration; Spring does. */
  public RelaybusConsoleAutoConfiguration() {}

  /**
   * The console, its links and cookie below the servlet context path and the mount path.
   *
   * @param bus the bus whose operations the console shows
   * @param environment the {@code relaybus.console.*} settings and {@code
   *     server.servlet.context-path}
   * @return the console
   * @throws ConfigurationException naming the bad key, or when nobody could sign in
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBean(EventBus.class)
  public Console relaybusConsole(EventBus bus, Environment environment) {
    Map<String, String> settings = RelaybusEnvironment.readConsole(environment);
    String path = mountPath(environment);
    String contextPath = environment.getProperty("server.servlet.context-path", "").trim();
    if (contextPath.equals("/")) {
      contextPath = "";
    }
    return Console.builder(bus).properties(settings).basePath(contextPath + path).build();
  }

  /**
   * The servlet serving the console at {@code relaybus.console.path} and below.
   *
   * @param console the console
   * @param environment the mount path
   * @return the registration
   */
  @Bean
  @ConditionalOnMissingBean(name = "relaybusConsoleServlet")
  @ConditionalOnBean(Console.class)
  public ServletRegistrationBean<ConsoleServlet> relaybusConsoleServlet(Console console,
      Environment environment) {
    String path = mountPath(environment);
    ServletRegistrationBean<ConsoleServlet> registration =
        new ServletRegistrationBean<>(new ConsoleServlet(console), path + "/*");
    registration.setName("relaybusConsole");
    return registration;
  }

  private static String mountPath(Environment environment) {
    String path = environment.getProperty(PATH, "").trim();
    if (!path.startsWith("/") || path.endsWith("/") || path.contains("*")) {
      throw new ConfigurationException(PATH + "='" + path
          + "' must start with / and not end with / (such as /relaybus)");
    }
    return path;
  }
}
