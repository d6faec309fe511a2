package io.relaybus.spring.boot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.relaybus.EventBus;
import io.relaybus.spring.boot.internal.DataSourceProviders;
import io.relaybus.spring.boot.internal.ListenerMethods;
import io.relaybus.spring.boot.internal.SubscriptionContainer;
import io.relaybus.spring.boot.internal.RelaybusEnvironment;
import io.relaybus.spring.boot.internal.TransactionalPublishing;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of one {@link EventBus} from the {@code relaybus.*} settings of the
 * application's environment ({@code application.yml}, properties, environment variables, in
 * Spring's relaxed forms), validated by the core with its own messages: a bad key or value fails
 * the context's start-up with the core's {@link io.relaybus.ConfigurationException}.
 *
 * <p>With {@code relaybus.transport=postgres} and no {@code relaybus.postgres.url}, the
 * PostgreSQL transport takes its connections from the application's {@link DataSource}; with
 * {@code relaybus.transport=webhook}, {@code relaybus.webhook.outbox=jdbc} and no
 * {@code relaybus.webhook.jdbc.url}, so does the webhook outbox. Every bean is
 * {@link ConditionalOnMissingBean}: an application's own {@link EventBus} replaces this one.
 * Exclude this class ({@code spring.autoconfigure.exclude}) to switch the starter off.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
    "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
    "org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration",
    "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration"})
public class RelaybusAutoConfiguration {

  private static final boolean TRANSACTIONS = present(
      "org.springframework.transaction.support.TransactionSynchronizationManager")
      && present("org.springframework.jdbc.datasource.DataSourceUtils");

  /** The bus this configuration built, and the data source it stores in (if any). */
  private volatile EventBus builtBus;
  private volatile DataSource busDataSource;
  private volatile Map<String, String> busSettings = Map.of();

  /** Creates the auto-configuration; Spring does. */
  public RelaybusAutoConfiguration() {}

  /**
   * The bus, closed when the context closes (after the subscriptions of the starter stopped).
   *
   * @param environment the settings
   * @param dataSource the application's data source, when it has one
   * @param customizers changes made in code, in order
   * @return the started bus
   * @throws io.relaybus.ConfigurationException naming every bad key
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public EventBus relaybusEventBus(Environment environment, ObjectProvider<DataSource> dataSource,
      ObjectProvider<RelaybusBusCustomizer> customizers) {
    Map<String, String> settings = RelaybusEnvironment.read(environment);
    EventBus.Builder builder = EventBus.builder().properties(settings);
    DataSource ds = dataSource.getIfUnique();
    boolean onDataSource = false;
    if (ds != null) {
      var provider = DataSourceProviders.forSettings(settings, ds);
      provider.ifPresent(builder::provider);
      onDataSource = provider.isPresent();
    }
    customizers.orderedStream().forEach(c -> c.customize(builder));
    EventBus bus = builder.build();
    busDataSource = onDataSource ? ds : null;
    busSettings = settings;
    builtBus = bus;
    return bus;
  }

  /**
   * The template: publishing with the application's {@link ObjectMapper}, joining Spring
   * transactions (see {@link RelaybusTemplate}).
   *
   * @param bus the bus
   * @param objectMapper the application's mapper, when it has one
   * @param environment for {@code spring.application.name}, the default event source
   * @return the template
   */
  @Bean
  @ConditionalOnMissingBean
  public RelaybusTemplate relaybusTemplate(EventBus bus, ObjectProvider<ObjectMapper> objectMapper,
      Environment environment) {
    ObjectMapper mapper = mapper(objectMapper);
    String source = "/" + environment.getProperty("spring.application.name", "application");
    TransactionalPublishing transactions = null;
    if (TRANSACTIONS) {
      // busDataSource is set only when the bus stores in it: the PostgreSQL transport or the
      // webhook transport's JDBC outbox, both of which can write into a caller's transaction.
      DataSource joinable = bus == builtBus ? busDataSource : null;
      transactions = new TransactionalPublishing(joinable, bus.transportName());
    }
    return new RelaybusTemplate(bus, mapper, source, transactions);
  }

  /**
   * Finds {@link RelaybusListener} methods on beans as they are created.
   *
   * @return the post-processor
   */
  @Bean
  @ConditionalOnMissingBean
  static ListenerMethods relaybusListenerMethods() {
    return new ListenerMethods();
  }

  /**
   * Subscribes {@link RelaybusListener} methods and {@link RelaybusSubscription} beans once the
   * context has started, and closes them gracefully first when it closes.
   *
   * @param bus the bus
   * @param subscriptions the subscription beans
   * @param methods the listener methods
   * @param beanFactory resolves placeholders in listener attributes
   * @param objectMapper the application's mapper, when it has one
   * @return the container
   */
  @Bean
  @ConditionalOnMissingBean
  SubscriptionContainer relaybusSubscriptionContainer(EventBus bus,
      ObjectProvider<RelaybusSubscription> subscriptions, ListenerMethods methods,
      ConfigurableBeanFactory beanFactory, ObjectProvider<ObjectMapper> objectMapper) {
    return new SubscriptionContainer(bus, subscriptions, methods,
        beanFactory::resolveEmbeddedValue, mapper(objectMapper),
        bus == builtBus ? busSettings : Map.of());
  }

  private static ObjectMapper mapper(ObjectProvider<ObjectMapper> objectMapper) {
    return objectMapper.getIfAvailable(() -> JsonMapper.builder().findAndAddModules().build());
  }

  private static boolean present(String className) {
    try {
      Class.forName(className, false, RelaybusAutoConfiguration.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
