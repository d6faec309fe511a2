package io.relaybus.console.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last depths the console measured per topic and group (whenever a page measured them),
 * drawn as a small line: the operations API answers lag now, the history is the console's.
 */
final class LagHistory {
  static final int SAMPLES = 30;
  private final Map<String, Deque<Long>> depths = new ConcurrentHashMap<>();

  void record(String topic, String group, long depth) {
    Deque<Long> d = depths.computeIfAbsent(topic + "\u0000" + group, k -> new ArrayDeque<>());
    synchronized (d) {
      d.addLast(depth);
      while (d.size() > SAMPLES) {
        d.removeFirst();
      }
    }
  }

  List<Long> of(String topic, String group) {
    Deque<Long> d = depths.get(topic + "\u0000" + group);
    if (d == null) {
      return List.of();
    }
    synchronized (d) {
      return new ArrayList<>(d);
    }
  }

  /** An inline SVG line of the samples (numbers only: nothing from a request or event). */
  String sparkline(String topic, String group) {
    List<Long> s = of(topic, group);
    if (s.size() < 2) {
      return "";
    }
    long max = Math.max(1, s.stream().mapToLong(Long::longValue).max().orElse(1));
    StringBuilder points = new StringBuilder();
    int w = 120;
    int h = 22;
    for (int i = 0; i < s.size(); i++) {
      double x = (double) i * w / (s.size() - 1);
      double y = h - 1 - (double) s.get(i) * (h - 2) / max;
      points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
    }
    return "<svg class=\"spark\" width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w
        + " " + h + "\" role=\"img\" aria-label=\"lag history\"><polyline fill=\"none\" "
        + "stroke=\"#2563eb\" stroke-width=\"1.5\" points=\"" + points.toString().trim()
        + "\"/></svg>";
  }
}
