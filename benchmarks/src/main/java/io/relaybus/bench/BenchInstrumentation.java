package io.relaybus.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.relaybus.EventBus;
import io.relaybus.micrometer.RelaybusMetrics;
import io.relaybus.opentelemetry.RelaybusTelemetry;
import io.relaybus.spi.Instrumentation;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code --set relaybus.bench.instrumentation=metrics,tracing}: the Relaybus side's buses run
 * with {@code RelaybusMetrics} and/or {@code RelaybusTelemetry} registered, as an application
 * that watches its bus would; the raw baseline stays raw. {@code none} (the default) registers
 * nothing.
 *
 * <p>Like an application, the process has one meter registry (a {@link SimpleMeterRegistry},
 * which keeps counts and totals in memory) and one OpenTelemetry SDK whose tracer provider
 * samples every span and hands it to a {@link BatchSpanProcessor} (the SDK's defaults: queue of
 * 2048, batches of 512, every 5 s) in front of an exporter that only counts: the cost measured
 * is recording the spans and queueing them, not sending them anywhere.
 */
public final class BenchInstrumentation {
  /** The key: {@code none}, or a comma-separated list of {@code metrics} and {@code tracing}. */
  public static final String KEY = "relaybus.bench.instrumentation";

  /**
   * With {@code tracing}: the share of traces sampled, {@code 0} to {@code 1} (default {@code 1},
   * every span recorded). Below 1 the SDK samples by trace id, parent-based, as applications
   * commonly run it: unsampled spans are not recorded, and their trace context still travels.
   */
  public static final String SAMPLE_RATIO_KEY = "relaybus.bench.tracing.sample-ratio";

  /** What can be turned on. */
  enum Kind {
    METRICS, TRACING
  }

  private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();
  private static final LongAdder EXPORTED = new LongAdder();
  private static volatile OpenTelemetrySdk openTelemetry;

  private BenchInstrumentation() {}

  /**
   * Registers on {@code builder} what {@link #KEY} in {@code settings} asks for.
   *
   * @param builder the bus being built
   * @param settings the measurement's settings
   * @return the builder
   * @throws IllegalArgumentException naming the key and value when the value is not understood
   */
  static EventBus.Builder apply(EventBus.Builder builder, Map<String, String> settings) {
    create(settings).forEach(builder::instrumentation);
    return builder;
  }

  /**
   * The instrumentations {@link #KEY} in {@code settings} asks for, metrics first.
   *
   * @param settings the measurement's settings
   * @return the instrumentations, empty for {@code none}
   * @throws IllegalArgumentException naming the key and value when the value is not understood
   */
  static List<Instrumentation> create(Map<String, String> settings) {
    Set<Kind> kinds = parse(settings.get(KEY));
    List<Instrumentation> created = new ArrayList<>(2);
    if (kinds.contains(Kind.METRICS)) {
      created.add(new RelaybusMetrics(REGISTRY));
    }
    if (kinds.contains(Kind.TRACING)) {
      created.add(RelaybusTelemetry.create(openTelemetry(sampleRatio(settings))));
    }
    return created;
  }

  /** The instrumentations a value of {@link #KEY} names; none for {@code null} or {@code none}. */
  static Set<Kind> parse(String value) {
    Set<Kind> kinds = EnumSet.noneOf(Kind.class);
    if (value == null || value.trim().equals("none")) {
      return kinds;
    }
    for (String part : value.split(",")) {
      String name = part.trim();
      switch (name) {
        case "metrics" -> kinds.add(Kind.METRICS);
        case "tracing" -> kinds.add(Kind.TRACING);
        default -> throw new IllegalArgumentException(KEY + " must be none or a comma-separated "
            + "list of metrics and tracing, got '" + value + "' ('" + name + "' is neither)");
      }
    }
    return kinds;
  }

  /** The registry the metrics of every instrumented bus go to. */
  static SimpleMeterRegistry registry() {
    return REGISTRY;
  }

  /** How many spans the batch processor has handed to the exporter so far. */
  static long exportedSpans() {
    return EXPORTED.sum();
  }

  /** Forces the spans queued so far out to the exporter, waiting at most 10 s. */
  static void flushSpans() {
    OpenTelemetrySdk sdk = openTelemetry;
    if (sdk != null) {
      sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
    }
  }

  /** The value of {@link #SAMPLE_RATIO_KEY}, checked. */
  static double sampleRatio(Map<String, String> settings) {
    String value = settings.get(SAMPLE_RATIO_KEY);
    if (value == null) {
      return 1.0;
    }
    try {
      double ratio = Double.parseDouble(value.trim());
      if (ratio >= 0 && ratio <= 1) {
        return ratio;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(SAMPLE_RATIO_KEY + " must be a number from 0 to 1, got '"
        + value + "'");
  }

  /** The process's SDK, built by the first call with that call's sample ratio. */
  private static OpenTelemetrySdk openTelemetry(double sampleRatio) {
    OpenTelemetrySdk sdk = openTelemetry;
    if (sdk == null) {
      synchronized (BenchInstrumentation.class) {
        sdk = openTelemetry;
        if (sdk == null) {
          // The batch processor's worker is a daemon thread: the SDK lives as long as the
          // process, as an application's does.
          Sampler sampler = sampleRatio >= 1 ? Sampler.parentBased(Sampler.alwaysOn())
              : Sampler.parentBased(Sampler.traceIdRatioBased(sampleRatio));
          sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
              .setSampler(sampler)
              .addSpanProcessor(BatchSpanProcessor.builder(new CountingExporter()).build())
              .build()).build();
          openTelemetry = sdk;
        }
      }
    }
    return sdk;
  }

  /** Drops every span after counting it. */
  private static final class CountingExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      EXPORTED.add(spans.size());
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
