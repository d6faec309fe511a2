package io.relaybus.spring.boot.internal;

import com.fasterxml.jackson.databind.JavaType;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventHandler;
import io.relaybus.RetryPolicy;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.spring.boot.RelaybusListener;
import io.relaybus.spring.boot.RelaybusSubscription;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.util.ReflectionUtils;
import org.springframework.util.StringValueResolver;

/** Turns a listener method into a subscription: its options and a handler that calls it. */
final class ListenerInvoker {

  private ListenerInvoker() {}

  static RelaybusSubscription subscription(ListenerMethods.Found found,
      StringValueResolver resolver, JsonPayloads json, IntFunction<RetryPolicy> retry) {
    Method method = found.method();
    String where = found.beanName() + "." + method.getName();
    RelaybusListener l = found.listener();
    String topic = resolve(resolver, l.topic());
    if (topic.isEmpty()) {
      throw new IllegalStateException("@RelaybusListener " + where + ": topic is empty");
    }
    SubscribeOptions.Builder options = SubscribeOptions.builder();
    set(resolver, where, "group", l.group(), g -> g, options::group);
    set(resolver, where, "concurrency", l.concurrency(), Integer::valueOf, options::concurrency);
    set(resolver, where, "maxInFlight", l.maxInFlight(), Integer::valueOf, options::maxInFlight);
    set(resolver, where, "maxAttempts", l.maxAttempts(), Integer::valueOf,
        n -> options.retryPolicy(retry.apply(n)));
    set(resolver, where, "startPosition", l.startPosition(),
        p -> StartPosition.valueOf(p.toUpperCase(Locale.ROOT)), options::startPosition);
    set(resolver, where, "deadLetters", l.deadLetters(), ListenerInvoker::bool,
        options::deadLetters);
    set(resolver, where, "closeTimeout", l.closeTimeout(), DurationStyle::detectAndParse,
        options::closeTimeout);
    return new RelaybusSubscription(topic, options.build(), handler(found, where, json));
  }

  private static EventHandler handler(ListenerMethods.Found found, String where,
      JsonPayloads json) {
    Method method = found.method();
    Parameter[] parameters = method.getParameters();
    List<Function<Delivery, Object>> arguments = new ArrayList<>(parameters.length);
    boolean payload = false;
    for (int i = 0; i < parameters.length; i++) {
      Class<?> type = parameters[i].getType();
      if (type == Delivery.class) {
        arguments.add(d -> d);
      } else if (type == Event.class) {
        arguments.add(Delivery::event);
      } else if (payload) {
        throw new IllegalStateException("@RelaybusListener " + where + ": more than one payload"
            + " parameter (" + parameters[i].getName() + "); the others may be Delivery, Event");
      } else {
        payload = true;
        JavaType javaType = json.type(parameters[i].getParameterizedType());
        arguments.add(d -> json.decode(d.event(), javaType));
      }
    }
    ReflectionUtils.makeAccessible(method);
    Object bean = found.bean();
    return delivery -> {
      Object[] args = new Object[arguments.size()];
      for (int i = 0; i < args.length; i++) {
        args[i] = arguments.get(i).apply(delivery);
      }
      try {
        method.invoke(bean, args);
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Exception ex) {
          throw ex;
        }
        throw (Error) cause;
      }
    };
  }

  private static boolean bool(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException("'" + s + "' is not true or false");
    }
    return Boolean.parseBoolean(v);
  }

  private static String resolve(StringValueResolver resolver, String value) {
    String resolved = resolver.resolveStringValue(value);
    return resolved == null ? "" : resolved.trim();
  }

  /** Sets one option; a value that does not parse or is refused names the attribute. */
  private static <T> void set(StringValueResolver resolver, String where, String attribute,
      String value, Function<String, T> parse, Consumer<T> setter) {
    String resolved = resolve(resolver, value);
    if (resolved.isEmpty()) {
      return;
    }
    try {
      setter.accept(parse.apply(resolved));
    } catch (RuntimeException e) {
      throw new IllegalStateException("@RelaybusListener " + where + ": " + attribute + "='"
          + resolved + "' is not allowed (" + e.getMessage() + ")");
    }
  }
}
