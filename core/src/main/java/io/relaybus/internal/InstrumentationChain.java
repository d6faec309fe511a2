package io.relaybus.internal;

import io.relaybus.DeadLetterReason;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.spi.Errors;
import io.relaybus.spi.Instrumentation;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instrumentations of one bus as one: calls each in the order registered and keeps an
 * exception in one from reaching the bus or the others. The bus holds {@code null} instead of
 * an empty chain ({@link #of(List)}), so a bus without instrumentation pays one null check per
 * publish and per attempt.
 *
 * <p>An instrumentation that throws is logged at WARN with its stack trace, {@link
 * #FULL_LOGS_PER_INTERVAL} times per {@link #LOG_INTERVAL} and bus, then at DEBUG: a broken
 * instrumentation throws on every event, and its trace once per event would bury the log.
 */
final class InstrumentationChain implements Instrumentation {
  private static final Logger LOG = LoggerFactory.getLogger(InstrumentationChain.class);

  /** Instrumentation failures logged in full per {@link #LOG_INTERVAL}. */
  static final int FULL_LOGS_PER_INTERVAL = 10;

  /** See {@link #FULL_LOGS_PER_INTERVAL}. */
  static final Duration LOG_INTERVAL = Duration.ofMinutes(1);

  private static final Scope NO_SCOPE = () -> { };

  private final Instrumentation[] links;
  private final FailureLogLimiter logs;

  private InstrumentationChain(List<Instrumentation> instrumentations) {
    this.links = instrumentations.toArray(new Instrumentation[0]);
    this.logs = new FailureLogLimiter(FULL_LOGS_PER_INTERVAL, LOG_INTERVAL, System::nanoTime);
  }

  /**
   * The chain of some instrumentations.
   *
   * @param instrumentations the instrumentations, in order
   * @return the chain, or {@code null} when there are none
   */
  static InstrumentationChain of(List<Instrumentation> instrumentations) {
    return instrumentations.isEmpty() ? null : new InstrumentationChain(instrumentations);
  }

  @Override
  public PublishObservation publishing(String system, String topic, List<Event> events) {
    PublishObservation[] observations = new PublishObservation[links.length];
    List<Event> current = events;
    for (int i = 0; i < links.length; i++) {
      try {
        PublishObservation o = links[i].publishing(system, topic, current);
        if (o == null) {
          continue;
        }
        observations[i] = o;
        List<Event> returned = o.events();
        if (returned != current) {
          requireSameEvents(current, returned);
          current = List.copyOf(returned);
        }
      } catch (RuntimeException e) {
        failed(links[i], "publishing to topic '" + topic + "'", e);
      }
    }
    return new ChainedPublish(observations, current, topic);
  }

  /** An instrumentation may add headers, never drop, add, reorder or replace events. */
  private static void requireSameEvents(List<Event> given, List<Event> returned) {
    if (returned == null || returned.size() != given.size()) {
      throw new IllegalStateException("returned " + (returned == null ? "no" : returned.size())
          + " events for " + given.size());
    }
    for (int i = 0; i < given.size(); i++) {
      Event e = returned.get(i);
      if (e == null || !e.id().equals(given.get(i).id())) {
        throw new IllegalStateException("returned a different event at index " + i);
      }
    }
  }

  @Override
  public AttemptObservation attempting(String system, String topic, String group,
      Delivery delivery) {
    AttemptObservation[] observations = new AttemptObservation[links.length];
    for (int i = 0; i < links.length; i++) {
      try {
        observations[i] = links[i].attempting(system, topic, group, delivery);
      } catch (RuntimeException e) {
        failed(links[i], "attempt " + delivery.attempt() + " of event " + delivery.event().id()
            + " (topic '" + topic + "', group '" + group + "')", e);
      }
    }
    return new ChainedAttempt(observations, topic, group);
  }

  @Override
  public void gaveUp(String system, String topic, String group, Event event,
      DeadLetterReason reason, int attempts, boolean stored) {
    for (Instrumentation link : links) {
      try {
        link.gaveUp(system, topic, group, event, reason, attempts, stored);
      } catch (RuntimeException e) {
        failed(link, "giving up on event " + (event == null ? "(unreadable)" : event.id())
            + " (topic '" + topic + "', group '" + group + "')", e);
      }
    }
  }

  private void failed(Object instrumentation, String when, RuntimeException e) {
    FailureLogLimiter.Decision decision = logs.acquire(e);
    if (decision == FailureLogLimiter.Decision.LOG) {
      LOG.warn("Instrumentation {} failed at {}; ignored: {}", instrumentation, when,
          Errors.describe(e), e);
    } else if (decision == FailureLogLimiter.Decision.SUPPRESS_FIRST) {
      LOG.warn("Instrumentation {} failed at {}; ignored: {}. More than {} instrumentation "
          + "failures in {} s: further ones are logged at DEBUG until the interval ends",
          instrumentation, when, Errors.describe(e), FULL_LOGS_PER_INTERVAL,
          LOG_INTERVAL.toSeconds());
    } else if (LOG.isDebugEnabled()) {
      LOG.debug("Instrumentation {} failed at {}; ignored", instrumentation, when, e);
    }
  }

  /** The observations of one publish; a slot is {@code null} where that link failed. */
  private final class ChainedPublish implements PublishObservation {
    private final PublishObservation[] observations;
    private final List<Event> events;
    private final String topic;

    ChainedPublish(PublishObservation[] observations, List<Event> events, String topic) {
      this.observations = observations;
      this.events = events;
      this.topic = topic;
    }

    @Override
    public List<Event> events() {
      return events;
    }

    @Override
    public void completed(Throwable failure) {
      for (PublishObservation o : observations) {
        if (o != null) {
          try {
            o.completed(failure);
          } catch (RuntimeException e) {
            failed(o, "completion of a publish to topic '" + topic + "'", e);
          }
        }
      }
    }
  }

  /** The observations of one attempt; a slot is {@code null} where that link failed. */
  private final class ChainedAttempt implements AttemptObservation {
    private final AttemptObservation[] observations;
    private final String topic;
    private final String group;

    ChainedAttempt(AttemptObservation[] observations, String topic, String group) {
      this.observations = observations;
      this.topic = topic;
      this.group = group;
    }

    @Override
    public Scope enter() {
      if (observations.length == 1) {
        return enter(observations[0]);
      }
      Scope[] scopes = new Scope[observations.length];
      for (int i = 0; i < observations.length; i++) {
        scopes[i] = enter(observations[i]);
      }
      return () -> {
        // Scopes nest: the last entered is closed first, as try-with-resources would.
        for (int i = scopes.length - 1; i >= 0; i--) {
          close(scopes[i]);
        }
      };
    }

    private Scope enter(AttemptObservation o) {
      if (o == null) {
        return NO_SCOPE;
      }
      try {
        Scope s = o.enter();
        if (s == null) {
          return NO_SCOPE;
        }
        return observations.length == 1 ? () -> close(s) : s;
      } catch (RuntimeException e) {
        failed(o, "entering an attempt (topic '" + topic + "', group '" + group + "')", e);
        return NO_SCOPE;
      }
    }

    private void close(Scope s) {
      try {
        s.close();
      } catch (RuntimeException e) {
        failed(s, "closing an attempt's scope (topic '" + topic + "', group '" + group + "')",
            e);
      }
    }

    @Override
    public void ended(Throwable failure, Next next) {
      for (AttemptObservation o : observations) {
        if (o != null) {
          try {
            o.ended(failure, next);
          } catch (RuntimeException e) {
            failed(o, "the end of an attempt (topic '" + topic + "', group '" + group + "')",
                e);
          }
        }
      }
    }
  }
}
