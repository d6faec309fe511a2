package io.relaybus.spi;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.spi.PositionTracker.Entry;
import java.util.List;
import org.junit.jupiter.api.Test;

class PositionTrackerTest {

  @Test
  void theCommitPointMovesOnlyOverTheFinishedPrefix() {
    PositionTracker<Long> t = new PositionTracker<>();
    Entry<Long> a = t.add(10L);
    Entry<Long> b = t.add(11L);
    Entry<Long> c = t.add(12L);
    t.finish(b);
    assertThat(t.advance()).isNull();
    assertThat(t.finishedAhead()).containsExactly(11L);
    t.finish(a);
    assertThat(t.advance()).isEqualTo(11L);
    assertThat(t.first()).isSameAs(c);
    assertThat(t.finishedAhead()).isEmpty();
    t.finish(c);
    assertThat(t.advance()).isEqualTo(12L);
    assertThat(t.isEmpty()).isTrue();
  }

  @Test
  void positionsAnEarlierOwnerFinishedAreSkippedByTheCommitPoint() {
    PositionTracker<Long> t = new PositionTracker<>();
    Entry<Long> a = t.add(1L);
    t.addFinished(2L);
    t.addFinished(3L);
    t.add(4L);
    assertThat(t.unfinished(p -> true)).isEqualTo(2);
    t.finish(a);
    assertThat(t.advance()).isEqualTo(3L);
    assertThat(t.first().position()).isEqualTo(4L);
  }

  @Test
  void releasingAnEntryGivesBackItAndEveryLaterOne() {
    PositionTracker<Long> t = new PositionTracker<>();
    Entry<Long> a = t.add(1L);
    Entry<Long> b = t.add(2L);
    Entry<Long> c = t.add(3L);
    t.finish(c);
    List<Entry<Long>> removed = t.releaseFrom(b);
    assertThat(removed).containsExactly(b, c);
    assertThat(t.last()).isSameAs(a);
    assertThat(t.releaseFrom(c)).isEmpty();
  }

  @Test
  void unfinishedEntriesCanBeCountedByWhatTheirPositionSays() {
    PositionTracker<Long> t = new PositionTracker<>();
    t.add(1L);
    t.finish(t.add(2L));
    t.add(3L);
    t.add(4L);
    assertThat(t.unfinished(p -> true)).isEqualTo(3);
    assertThat(t.unfinished(p -> p % 2 == 1)).isEqualTo(2);
    assertThat(t.unfinished(p -> p == 2L)).isZero();
  }
}
