package io.relaybus.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.InvalidNameException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

  static Stream<String> hostileNames() {
    return Stream.of(
        "it's",
        "a\"b",
        "a`b",
        "a;b",
        "a b",
        " orders",
        "orders ",
        "x'; DROP TABLE t;--",
        "orders); DELETE FROM events; --",
        "a/b?c#d",
        "../etc/passwd",
        "a\\b",
        "%2F",
        "a&b=c",
        "a:b",
        "a*",
        "a,b",
        "ordérs",
        "заказы",
        "订单",
        "emoji🎉",
        "ａｂｃ", // full-width letters look like ASCII
        "",
        "t".repeat(201),
        "t".repeat(10_000),
        "a\u0000b",
        "a\nb",
        "a\tb",
        "\u001b[31mred");
  }

  @ParameterizedTest
  @ValueSource(strings = {"orders", "Orders.v2", "order_events-2024", "a", "0", "...", "---",
      "A-Z.a-z_0-9"})
  void validNamesAreReturnedUnchanged(String name) {
    assertThat(Names.requireTopic(name)).isSameAs(name);
    assertThat(Names.requireGroup(name)).isSameAs(name);
  }

  @Test
  void nameOf200CharactersIsAccepted() {
    String name = "n".repeat(Names.MAX_LENGTH);

    assertThat(Names.requireTopic(name)).isEqualTo(name);
    assertThat(Names.requireGroup(name)).isEqualTo(name);
  }

  @ParameterizedTest
  @MethodSource("hostileNames")
  void hostileTopicNamesAreRefusedStatingTheRule(String name) {
    assertThatThrownBy(() -> Names.requireTopic(name))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageStartingWith("Invalid topic name '")
        .hasMessageContaining("use 1-200 characters from A-Z, a-z, 0-9, '.', '_' and '-'");
  }

  @ParameterizedTest
  @MethodSource("hostileNames")
  void hostileGroupNamesAreRefusedStatingTheRule(String name) {
    assertThatThrownBy(() -> Names.requireGroup(name))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageStartingWith("Invalid group name '")
        .hasMessageContaining("use 1-200 characters from A-Z, a-z, 0-9, '.', '_' and '-'");
  }

  @Test
  void shortRefusedNameIsQuotedInFull() {
    assertThatThrownBy(() -> Names.requireTopic("x'; DROP TABLE t;--"))
        .hasMessageContaining("'x'; DROP TABLE t;--'");
  }

  @Test
  void nameOf201CharactersIsRefusedWithItsLength() {
    assertThatThrownBy(() -> Names.requireTopic("t".repeat(201)))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageContaining("(201 chars)");
  }

  @Test
  void hugeNameIsAbbreviatedInTheMessageWhichShowsItsLength() {
    String huge = "t".repeat(10_000);

    assertThatThrownBy(() -> Names.requireGroup(huge))
        .isInstanceOf(InvalidNameException.class)
        .hasMessageContaining("(10000 chars)")
        .hasMessageNotContaining("t".repeat(61))
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\nb", "a\r\nINFO forged log line", "\u001b[31mred", "a\u0000b",
      "a\u007fb", "tab\there", "a\u0085b", "a\u009b31mb"})
  void refusedNamesAreShownWithoutControlCharacters(String name) {
    assertThatThrownBy(() -> Names.requireTopic(name))
        .isInstanceOf(InvalidNameException.class)
        .satisfies(e -> assertThat(e.getMessage().chars().filter(Character::isISOControl))
            .as("control characters in %s", e.getMessage().replaceAll("\\p{Cc}", "?"))
            .isEmpty());
  }

  @Test
  void nullNameIsRefusedNamingTheKind() {
    assertThatThrownBy(() -> Names.requireTopic(null))
        .isInstanceOf(NullPointerException.class).hasMessage("topic");
    assertThatThrownBy(() -> Names.requireGroup(null))
        .isInstanceOf(NullPointerException.class).hasMessage("group");
  }

  @Test
  void derivedNameAtTheLimitIsAccepted() {
    String derived = "d".repeat(249);

    assertThat(Names.requireDerived("Dead-letter topic", derived, "t", "g", 249, "Kafka",
        "shorten the topic or group name")).isSameAs(derived);
  }

  @Test
  void derivedNamePastTheLimitIsRefusedNamingItsOriginAndTheLimit() {
    String topic = "t".repeat(200);
    String group = "g".repeat(200);
    String derived = topic + "." + group + ".dlq";

    assertThatThrownBy(() -> Names.requireDerived("Dead-letter topic", derived, topic, group,
        249, "Kafka", "shorten the topic or group name"))
        .isInstanceOf(InvalidNameException.class)
        .hasMessage("Dead-letter topic '" + "t".repeat(60) + "... (405 chars)' for topic '"
            + "t".repeat(60) + "... (200 chars)' and group '" + "g".repeat(60)
            + "... (200 chars)' is longer than Kafka's 249 characters: shorten the topic or "
            + "group name");
  }

  @Test
  void derivedNameOfATopicAloneNamesOnlyTheTopic() {
    assertThatThrownBy(() -> Names.requireDerived("Channel", "c".repeat(64), "orders", null, 63,
        "PostgreSQL", "shorten the topic name"))
        .hasMessage("Channel '" + "c".repeat(60) + "... (64 chars)' for topic 'orders' is "
            + "longer than PostgreSQL's 63 characters: shorten the topic name");
  }
}
