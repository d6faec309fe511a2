package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class NotifyPayloadTest {

  private static BitSet bits(int... partitions) {
    BitSet b = new BitSet();
    for (int p : partitions) {
      b.set(p);
    }
    return b;
  }

  @Test
  void partitionsAreListedAndReadBack() {
    String text = NotifyPayload.format("orders.v1", "8f3a", bits(0, 3, 17));
    assertThat(text).isEqualTo("orders.v1 8f3a 0,3,17");
    assertThat(NotifyPayload.parse(text))
        .isEqualTo(new NotifyPayload("orders.v1", "8f3a", bits(0, 3, 17)));
  }

  @Test
  void unknownOrManyPartitionsMeanAll() {
    assertThat(NotifyPayload.format("t", "o", null)).isEqualTo("t o *");
    assertThat(NotifyPayload.format("t", "o", new BitSet())).isEqualTo("t o *");
    BitSet many = new BitSet();
    many.set(0, NotifyPayload.MAX_LISTED + 1);
    assertThat(NotifyPayload.format("t", "o", many)).isEqualTo("t o *");
    many.clear(0);
    assertThat(NotifyPayload.parse(NotifyPayload.format("t", "o", many)).partitions())
        .isEqualTo(many);
    assertThat(NotifyPayload.parse("t o *")).isEqualTo(new NotifyPayload("t", "o", null));
  }

  @Test
  void aBareTopicFromTheTableTriggerWakesEveryMember() {
    assertThat(NotifyPayload.parse("orders")).isEqualTo(new NotifyPayload("orders", null, null));
  }

  @Test
  void whatDoesNotParseWakesEveryMemberOfTheTopic() {
    assertThat(NotifyPayload.parse("orders o")).isEqualTo(new NotifyPayload("orders", null, null));
    for (String list : new String[] {"1,,2", "1,x", "-1", ",", "1,", "99999999999", ""}) {
      assertThat(NotifyPayload.parse("orders o " + list))
          .as(list).isEqualTo(new NotifyPayload("orders", "o", null));
    }
  }
}
