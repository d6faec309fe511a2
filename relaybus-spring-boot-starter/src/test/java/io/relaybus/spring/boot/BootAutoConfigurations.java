package io.relaybus.spring.boot;

/**
 * Spring Boot's own auto-configurations the tests start, by the names of the Boot the build
 * runs: Boot 4 moved them into modules of their own ({@code spring-boot-jdbc},
 * {@code spring-boot-transaction}, {@code spring-boot-jackson2}), so the same tests run on both.
 */
final class BootAutoConfigurations {

  private BootAutoConfigurations() {}

  static Class<?> dataSource() {
    return either("org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration");
  }

  static Class<?> dataSourceTransactionManager() {
    return either(
        "org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration");
  }

  static Class<?> transaction() {
    return either(
        "org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration",
        "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration");
  }

  static Class<?> jdbcTemplate() {
    return either("org.springframework.boot.autoconfigure.jdbc.JdbcTemplateAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration");
  }

  /** The auto-configuration of a Jackson 2 {@code ObjectMapper} bean. */
  static Class<?> jackson2() {
    return either("org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration",
        "org.springframework.boot.jackson2.autoconfigure.Jackson2AutoConfiguration");
  }

  private static Class<?> either(String boot3, String boot4) {
    try {
      return Class.forName(boot3);
    } catch (ClassNotFoundException e) {
      try {
        return Class.forName(boot4);
      } catch (ClassNotFoundException e4) {
        throw new IllegalStateException("Neither " + boot3 + " nor " + boot4
            + " is on the class path", e4);
      }
    }
  }
}
