package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.Test;

/**
 * The commit metadata format (ADR 0017): what a member writes, and that reading it never skips
 * an event it cannot vouch for.
 */
class CommitMetadataTest {

  private static String write(int attempts, long committed, int maxChars, long... offsets) {
    CommitMetadata.Writer w = new CommitMetadata.Writer(attempts, committed, maxChars);
    for (long o : offsets) {
      w.add(o, o);
    }
    return w.finish();
  }

  @Test
  void attemptsAndFinishedRangesRoundTrip() {
    String text = write(2, 1000, 4096, 1001, 1002, 1003, 1005, 1010, 1011);
    assertThat(text).isEqualTo("relaybus-attempts=2@1000;relaybus-ahead=1000:1+3,2+1,5+2");
    CommitMetadata m = CommitMetadata.parse(text, 1000);
    assertThat(m.attempts).isEqualTo(2);
    assertThat(m.attemptsOffset).isEqualTo(1000);
    assertThat(m.ahead).containsExactly(1001, 1003, 1005, 1005, 1010, 1011);
    assertThat(m.finishedWithin(1001, 2000)).isEqualTo(6);
  }

  @Test
  void withoutFinishedRangesTheOldFormatIsWrittenAndRead() {
    assertThat(write(3, 42, 4096)).isEqualTo("relaybus-attempts=3@42");
    assertThat(write(0, 42, 4096)).isEmpty();
    assertThat(write(0, 42, 4096, 43)).isEqualTo("relaybus-ahead=42:1+1");
    CommitMetadata m = CommitMetadata.parse("relaybus-attempts=3@42", 42);
    assertThat(m.attempts).isEqualTo(3);
    assertThat(m.ahead).isEmpty();
  }

  @Test
  void rangesThatDoNotFitAreLeftOutAndCounted() {
    CommitMetadata.Writer w = new CommitMetadata.Writer(2, 0, 56);
    for (long o = 1; o < 100; o += 2) {
      w.add(o, o);
    }
    String text = w.finish();
    assertThat(text.length()).isLessThanOrEqualTo(56);
    long kept = CommitMetadata.parse(text, 0).finishedWithin(1, 100);
    assertThat(kept).isPositive();
    assertThat(kept + w.left()).isEqualTo(50);

    CommitMetadata.Writer none = new CommitMetadata.Writer(2, 0, 22);
    none.add(5, 9);
    assertThat(none.finish()).isEqualTo("relaybus-attempts=2@0");
    assertThat(none.left()).isEqualTo(5);
  }

  @Test
  void theCommittedOffsetIsAuthoritative() {
    String text = write(1, 100, 4096, 101, 102);
    // A tool reset the offset and kept the metadata: the ranges name other events now.
    CommitMetadata reset = CommitMetadata.parse(text, 50);
    assertThat(reset.ahead).isEmpty();
    assertThat(reset.attemptsOffset).isEqualTo(100); // applies only to the record at 100
    // Ranges at or beyond the log end, or below the position, do not count.
    CommitMetadata m = CommitMetadata.parse(text, 100);
    assertThat(m.aheadWithin(101, 102)).containsExactly(101, 101);
    assertThat(OffsetCommitter.finishedAhead(new OffsetAndMetadata(100, text), 102, 200))
        .isEqualTo(1);
    assertThat(OffsetCommitter.finishedAhead(new OffsetAndMetadata(100, text), 100, 101))
        .isZero();
  }

  @Test
  void foreignOrDamagedMetadataIsIgnored() {
    assertThat(CommitMetadata.parse(null, 5).ahead).isEmpty();
    assertThat(CommitMetadata.parse("", 5).attempts).isZero();
    assertThat(CommitMetadata.parse("spring-kafka:whatever;relaybus-ahead=5:1+3", 5).ahead)
        .isEmpty();
    CommitMetadata damaged = CommitMetadata.parse(
        "relaybus-attempts=2@5;relaybus-ahead=5:1+x;relaybus-future=1", 5);
    assertThat(damaged.attempts).isEqualTo(2);
    assertThat(damaged.ahead).isEmpty();
    assertThat(CommitMetadata.parse("relaybus-ahead=5:0+3", 5).ahead).isEmpty();
    assertThat(CommitMetadata.parse("relaybus-ahead=5:1+0", 5).ahead).isEmpty();
  }
}
