package io.relaybus.spring.boot.internal;

import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.context.annotation.ImportSelector;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.util.ClassUtils;

/**
 * Imports the health contributor's configuration for the health API of the running Spring Boot,
 * by name: each is compiled against its own Boot, and the Boot 4 build of the starter has only
 * Boot 4's.
 */
public final class HealthContributors implements ImportSelector, BeanClassLoaderAware {

  private static final String BOOT3_API = "org.springframework.boot.actuate.health.HealthIndicator";
  private static final String BOOT4_API = "org.springframework.boot.health.contributor.HealthIndicator";

  private ClassLoader classLoader;

  /** Creates it; Spring does. */
  public HealthContributors() {}

  @Override
  public void setBeanClassLoader(ClassLoader classLoader) {
    this.classLoader = classLoader;
  }

  @Override
  public String[] selectImports(AnnotationMetadata metadata) {
    if (ClassUtils.isPresent(BOOT4_API, classLoader)) {
      return new String[] {Boot4HealthConfiguration.class.getName()};
    }
    if (ClassUtils.isPresent(BOOT3_API, classLoader)) {
      // By name: the Boot 4 build leaves that class out.
      return new String[] {"io.relaybus.spring.boot.internal.Boot3HealthConfiguration"};
    }
    return new String[0];
  }
}
