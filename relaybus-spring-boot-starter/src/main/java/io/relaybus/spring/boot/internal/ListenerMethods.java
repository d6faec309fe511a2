package io.relaybus.spring.boot.internal;

import io.relaybus.RetryPolicy;
import io.relaybus.spring.boot.RelaybusListener;
import io.relaybus.spring.boot.RelaybusSubscription;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.StringValueResolver;

/**
 * Finds {@link RelaybusListener} methods on every bean as it is created; subscribes nothing
 * itself (the {@link SubscriptionContainer} does, once the context has started), so it needs no
 * bus and does not make the bus an early bean.
 */
public final class ListenerMethods implements BeanPostProcessor {

  /** A listener method of a bean. */
  record Found(Object bean, Method method, RelaybusListener listener, String beanName) {}

  private final List<Found> found = new ArrayList<>();

  /** Creates it; the auto-configuration does. */
  public ListenerMethods() {}

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName)
      throws BeansException {
    Class<?> type = AopUtils.getTargetClass(bean);
    Map<Method, RelaybusListener> methods = MethodIntrospector.selectMethods(type,
        (MethodIntrospector.MetadataLookup<RelaybusListener>) m ->
            AnnotatedElementUtils.findMergedAnnotation(m, RelaybusListener.class));
    if (!methods.isEmpty()) {
      synchronized (found) {
        methods.forEach((m, l) -> found.add(new Found(bean,
            AopUtils.selectInvocableMethod(m, bean.getClass()), l, beanName)));
      }
    }
    return bean;
  }

  /**
   * The subscriptions of every listener method found so far.
   *
   * @param resolver resolves {@code ${...}} placeholders
   * @param json decodes JSON payloads
   * @param retry the retry policy of a listener that sets {@code maxAttempts}
   * @return the subscriptions
   * @throws IllegalStateException naming the method and attribute of a bad listener
   */
  List<RelaybusSubscription> subscriptions(StringValueResolver resolver, JsonPayloads json,
      IntFunction<RetryPolicy> retry) {
    List<Found> snapshot;
    synchronized (found) {
      snapshot = List.copyOf(found);
    }
    List<RelaybusSubscription> result = new ArrayList<>();
    for (Found f : snapshot) {
      result.add(ListenerInvoker.subscription(f, resolver, json, retry));
    }
    return result;
  }
}
