package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.ConfigurationException;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.UnknownTransportException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** One bus from {@code relaybus.*}, validated by the core, replaced by the application's own. */
class RelaybusAutoConfigurationTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(RelaybusAutoConfiguration.class));

  @Test
  void anEmptyConfigurationGivesAnInMemoryBusThatDelivers() {
    runner.run(context -> {
      EventBus bus = context.getBean(EventBus.class);
      assertThat(bus.transportName()).isEqualTo("memory");
      List<String> got = new CopyOnWriteArrayList<>();
      bus.subscribe("orders", "billing", d -> got.add(d.event().type()));
      bus.publish("orders", event()).join();
      await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
    });
  }

  @Test
  void theBusClosesWithTheContext() {
    AtomicReference<EventBus> bus = new AtomicReference<>();
    runner.run(context -> bus.set(context.getBean(EventBus.class)));
    assertThat(bus.get().isClosed()).isTrue();
  }

  @Test
  void everyRelaxedFormOfAKeyIsTheCoresKey() {
    // A value the core refuses shows which key it was read as.
    for (String form : List.of("relaybus.memory.max-event-size", "relaybus.memory.maxEventSize",
        "relaybus.memory.max_event_size", "relaybus.Memory.MaxEventSize")) {
      runner.withPropertyValues(form + "=12 parsecs").run(context ->
          assertThat(context).getFailure().rootCause()
              .isInstanceOf(ConfigurationException.class)
              .hasMessageContaining("relaybus.memory.max-event-size")
              .hasMessageContaining("12 parsecs"));
    }
  }

  @Test
  void environmentVariablesInBothFormsAreRead() {
    for (String variable : List.of("RELAYBUS_MEMORY_MAXEVENTSIZE", "RELAYBUS_MEMORY_MAX_EVENT_SIZE")) {
      runner.withInitializer(context -> context.getEnvironment().getPropertySources().addFirst(
              new SystemEnvironmentPropertySource("systemEnvironment",
                  Map.of(variable, "12 parsecs"))))
          .run(context -> assertThat(context).getFailure().rootCause()
              .hasMessageContaining("relaybus.memory.max-event-size"));
    }
  }

  @Test
  void aValidSettingInARelaxedFormIsApplied() {
    runner.withPropertyValues("relaybus.transport=memory", "relaybus.subscriber.closeTimeout=7s",
        "relaybus.subscriber.group=${app.group}", "app.group=billing").run(context -> {
          EventBus bus = context.getBean(EventBus.class);
          var subscription = bus.subscribe("orders", SubscribeOptions.builder().build(),
              d -> { });
          assertThat(subscription.group()).isEqualTo("billing");
          assertThat(subscription.options().closeTimeout()).isEqualTo(Duration.ofSeconds(7));
        });
  }

  @Test
  void anUnknownKeyFailsStartUpWithTheCoresDidYouMean() {
    runner.withPropertyValues("relaybus.memory.histroy-limit=5").run(context ->
        assertThat(context).getFailure().rootCause()
            .isInstanceOf(ConfigurationException.class)
            .hasMessageContaining("relaybus.memory.histroy-limit")
            .hasMessageContaining("did you mean relaybus.memory.history-limit?"));
  }

  @Test
  void anUnknownTransportFailsStartUpNamingTheArtifact() {
    runner.withPropertyValues("relaybus.transport=rabbit").run(context ->
        assertThat(context).getFailure().rootCause()
            .isInstanceOf(UnknownTransportException.class)
            .hasMessageContaining("relaybus.transport='rabbit' is not available"));
  }

  @Test
  void unknownEnvironmentVariablesAreLeftOutAsTheCoreDoes() {
    runner.withInitializer(context -> context.getEnvironment().getPropertySources().addFirst(
            new SystemEnvironmentPropertySource("systemEnvironment",
                Map.of("RELAYBUS_TEST_POSTGRES_URL", "jdbc:postgresql://x/y",
                    "RELAYBUS_SOMETHING_ELSE", "1"))))
        .run(context -> assertThat(context).hasSingleBean(EventBus.class));
  }

  @Test
  void theSettingsOfTheTestServersAreNoSettingsOfTheBus() {
    runner.withSystemProperties("relaybus.test.servers=embedded")
        .withPropertyValues("relaybus.test.other=1")
        .run(context -> assertThat(context).hasSingleBean(EventBus.class));
  }

  @Test
  void theApplicationsOwnBusReplacesTheStarters() {
    runner.withUserConfiguration(OwnBus.class).run(context -> {
      assertThat(context).hasSingleBean(EventBus.class);
      assertThat(context.getBean(EventBus.class)).isSameAs(context.getBean("ownBus"));
    });
  }

  @Test
  void customizersChangeTheBuilder() {
    runner.withBean(RelaybusBusCustomizer.class,
            () -> b -> b.property("relaybus.subscriber.group", "from-code"))
        .run(context -> assertThat(context.getBean(EventBus.class)
            .subscribe("orders", SubscribeOptions.builder().build(), d -> { })
            .group()).isEqualTo("from-code"));
  }

  static Event event() {
    return Event.builder().source("/test").type("order.created").text("hello").build();
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnBus {
    @Bean(destroyMethod = "close")
    EventBus ownBus() {
      return EventBus.create(Map.of("relaybus.transport", "memory"));
    }
  }
}
