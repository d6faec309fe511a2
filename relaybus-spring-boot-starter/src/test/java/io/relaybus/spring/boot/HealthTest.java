package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;

/**
 * The Actuator health contributor of the auto-configured bus, on the Spring Boot the build runs
 * (Boot 3's health API by default, Boot 4's with {@code -Pboot4}): the test reads the
 * indicator's {@code Health} by its methods common to both.
 */
class HealthTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(RelaybusAutoConfiguration.class,
          RelaybusHealthAutoConfiguration.class));

  @Test
  void theHealthContributorReportsTheBusHealthWithItsComponents() {
    runner.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(status(context)).isEqualTo("UP");
      Map<?, ?> details = details(context);
      assertThat(details.get("transport")).isEqualTo("memory");
      assertThat((Map<?, ?>) details.get("components")).isNotEmpty();
    });
  }

  @Test
  void theHealthContributorCanBeSwitchedOff() {
    runner.withPropertyValues("management.health.relaybus.enabled=false").run(context ->
        assertThat(context).doesNotHaveBean("relaybusHealthIndicator"));
  }

  @Test
  void theContributorIsTheHealthIndicatorOfTheRunningBoot() {
    runner.run(context -> assertThat(context.getBean("relaybusHealthIndicator")).isInstanceOf(
        Class.forName(isBoot4() ? "org.springframework.boot.health.contributor.HealthIndicator"
            : "org.springframework.boot.actuate.health.HealthIndicator")));
  }

  static boolean isBoot4() {
    try {
      Class.forName("org.springframework.boot.health.contributor.HealthIndicator");
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private static String status(ApplicationContext context) throws Exception {
    Object status = call(health(context), "getStatus");
    return (String) call(status, "getCode");
  }

  private static Map<?, ?> details(ApplicationContext context) throws Exception {
    return (Map<?, ?>) call(health(context), "getDetails");
  }

  private static Object health(ApplicationContext context) throws Exception {
    return call(context.getBean("relaybusHealthIndicator"), "health");
  }

  private static Object call(Object target, String method) throws Exception {
    return target.getClass().getMethod(method).invoke(target);
  }
}
