package io.relaybus.tck;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The compiled {@code module-info} of a module under test, read from where its classes were
 * loaded (a {@code target/classes} folder or a jar's folder), so a transport's tests can assert
 * what the module exports and provides even when the tests themselves run on the class path.
 */
public final class ModuleBoundary {
  private final ModuleDescriptor descriptor;

  private ModuleBoundary(ModuleDescriptor descriptor) {
    this.descriptor = descriptor;
  }

  /**
   * Reads the module descriptor of the module a class belongs to.
   *
   * @param anyClassOfTheModule a class compiled into that module
   * @return its boundary
   * @throws TestInfrastructureException when the class's location has no
   *     {@code module-info.class}
   */
  public static ModuleBoundary of(Class<?> anyClassOfTheModule) {
    Path root;
    try {
      root = Path.of(anyClassOfTheModule.getProtectionDomain().getCodeSource().getLocation()
          .toURI());
    } catch (URISyntaxException e) {
      throw new TestInfrastructureException("Cannot locate the classes of "
          + anyClassOfTheModule.getName(), e);
    }
    try (InputStream in = Files.newInputStream(root.resolve("module-info.class"))) {
      return new ModuleBoundary(ModuleDescriptor.read(in));
    } catch (IOException e) {
      throw new TestInfrastructureException("No module-info.class at " + root + " (module of "
          + anyClassOfTheModule.getName() + ")", e);
    }
  }

  /**
   * The descriptor itself, for checks this class does not name.
   *
   * @return the module descriptor
   */
  public ModuleDescriptor descriptor() {
    return descriptor;
  }

  /**
   * The module's name.
   *
   * @return the name
   */
  public String name() {
    return descriptor.name();
  }

  /**
   * The exported packages, a qualified export written as {@code "package to [targets]"}.
   *
   * @return the exports
   */
  public Set<String> exports() {
    return descriptor.exports().stream()
        .map(e -> e.source() + (e.isQualified() ? " to " + e.targets() : ""))
        .collect(Collectors.toSet());
  }

  /**
   * The providers the module declares for a service.
   *
   * @param service the service type
   * @return the provider class names, empty when it provides none
   */
  public List<String> providers(Class<?> service) {
    return descriptor.provides().stream()
        .filter(p -> p.service().equals(service.getName()))
        .flatMap(p -> p.providers().stream())
        .collect(Collectors.toList());
  }
}
