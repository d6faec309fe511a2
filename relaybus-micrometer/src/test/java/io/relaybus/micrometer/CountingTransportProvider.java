package io.relaybus.micrometer;

import io.relaybus.Capabilities;
import io.relaybus.Capability;
import io.relaybus.DeadLetterReason;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import io.relaybus.SubscribeOptions;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.GroupMember;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import io.relaybus.spi.MessageSink;
import io.relaybus.spi.Settings;
import io.relaybus.spi.Transport;
import io.relaybus.spi.TransportContext;
import io.relaybus.spi.TransportProvider;
import io.relaybus.spi.TransportSubscription;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real transport (memory by default), with every call of its operations API counted, and
 * things a test may switch on: publishing fails, reading the lag fails, and webhook endpoints (a
 * list the test sets) are declared — the memory transport has none of its own.
 */
final class CountingTransportProvider implements TransportProvider {
  /** The transport's own provider, found as the bus finds it (memory's is not exported). */
  private final TransportProvider delegate;
  final AtomicInteger topicsCalls = new AtomicInteger();
  final AtomicInteger groupsCalls = new AtomicInteger();
  final AtomicInteger lagCalls = new AtomicInteger();
  final AtomicInteger endpointsCalls = new AtomicInteger();
  volatile RuntimeException publishFailure;
  volatile RuntimeException lagFailure;
  /** Declared as the webhook endpoints when not {@code null}. */
  volatile List<EndpointStatus> endpoints;

  CountingTransportProvider() {
    this("memory");
  }

  CountingTransportProvider(String transport) {
    delegate = ServiceLoader.load(TransportProvider.class).stream()
        .map(ServiceLoader.Provider::get).filter(p -> p.name().equals(transport)).findFirst()
        .orElseThrow();
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public Set<String> configKeys() {
    return delegate.configKeys();
  }

  @Override
  public boolean acceptsKey(String key) {
    return delegate.acceptsKey(key);
  }

  @Override
  public Optional<String> suggestKey(String key) {
    return delegate.suggestKey(key);
  }

  @Override
  public void validate(Settings settings) {
    delegate.validate(settings);
  }

  @Override
  public Transport create(TransportContext context) {
    return new Counting(delegate.create(context));
  }

  int operationCalls() {
    return topicsCalls.get() + groupsCalls.get() + lagCalls.get() + endpointsCalls.get();
  }

  private final class Counting implements Transport {
    private final Transport delegate;

    Counting(Transport delegate) {
      this.delegate = delegate;
    }

    @Override
    public Capabilities capabilities() {
      Capabilities own = delegate.capabilities();
      if (endpoints == null) {
        return own;
      }
      Set<Capability> all = EnumSet.of(Capability.WEBHOOK_ENDPOINTS);
      all.addAll(own.all());
      return Capabilities.of(all.toArray(Capability[]::new));
    }

    @Override
    public CompletableFuture<List<PublishReceipt>> publish(String topic, List<Event> events) {
      RuntimeException failure = publishFailure;
      return failure != null ? CompletableFuture.failedFuture(failure)
          : delegate.publish(topic, events);
    }

    @Override
    public TransportSubscription subscribe(String topic, SubscribeOptions options,
        MessageSink sink) {
      return delegate.subscribe(topic, options, sink);
    }

    @Override
    public DeadLetters deadLetters() {
      return delegate.deadLetters();
    }

    @Override
    public Operations operations() {
      return new CountingOperations(delegate);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  private final class CountingOperations implements Operations {
    private final Transport transport;

    CountingOperations(Transport transport) {
      this.transport = transport;
    }

    @Override
    public List<String> topics() {
      topicsCalls.incrementAndGet();
      return transport.operations().topics();
    }

    @Override
    public List<String> groups(String topic) {
      groupsCalls.incrementAndGet();
      return transport.operations().groups(topic);
    }

    @Override
    public List<GroupMember> members(String topic, String group) {
      return transport.operations().members(topic, group);
    }

    @Override
    public EndpointStatus.Attempt testEndpoint(String name) {
      return transport.operations().testEndpoint(name);
    }

    @Override
    public void enableEndpoint(String name) {
      transport.operations().enableEndpoint(name);
    }

    @Override
    public void disableEndpoint(String name) {
      transport.operations().disableEndpoint(name);
    }

    @Override
    public GroupLag lag(String topic, String group) {
      lagCalls.incrementAndGet();
      RuntimeException failure = lagFailure;
      if (failure != null) {
        throw failure;
      }
      return transport.operations().lag(topic, group);
    }

    @Override
    public DeadLetterPage deadLetters(DeadLetterQuery query) {
      return transport.operations().deadLetters(query);
    }

    @Override
    public Map<DeadLetterReason, Long> deadLetterCounts(String topic, String group) {
      return transport.operations().deadLetterCounts(topic, group);
    }

    @Override
    public long replayDeadLetters(DeadLetterQuery filter) {
      return transport.operations().replayDeadLetters(filter);
    }

    @Override
    public long purgeDeadLetters(DeadLetterQuery filter) {
      return transport.operations().purgeDeadLetters(filter);
    }

    @Override
    public Optional<EventStatus> event(String topic, String eventId) {
      return transport.operations().event(topic, eventId);
    }

    @Override
    public List<EndpointStatus> endpoints() {
      endpointsCalls.incrementAndGet();
      List<EndpointStatus> list = endpoints;
      return list != null ? list : transport.operations().endpoints();
    }

    @Override
    public Health health() {
      return transport.operations().health();
    }
  }
}
