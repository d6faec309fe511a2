package io.relaybus.kafka.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WireFormatTest {

  private static final byte[] PAYLOAD = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);

  @Test
  void encodesExactHeaderBytesForKnownIds() {
    assertThat(header(WireFormat.encode(0, PAYLOAD))).containsExactly(0, 0, 0, 0, 0);
    assertThat(header(WireFormat.encode(1, PAYLOAD))).containsExactly(0, 0, 0, 0, 1);
    assertThat(header(WireFormat.encode(256, PAYLOAD))).containsExactly(0, 0, 0, 1, 0);
    assertThat(header(WireFormat.encode(Integer.MAX_VALUE, PAYLOAD)))
        .containsExactly(0, 0x7F, 0xFF, 0xFF, 0xFF);
  }

  @Test
  void payloadFollowsTheHeaderUnchanged() {
    byte[] frame = WireFormat.encode(7, PAYLOAD);
    assertThat(frame).hasSize(5 + PAYLOAD.length);
    byte[] tail = new byte[PAYLOAD.length];
    System.arraycopy(frame, 5, tail, 0, tail.length);
    assertThat(tail).isEqualTo(PAYLOAD);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 255, 256, 65_536, 16_777_216, Integer.MAX_VALUE, -1})
  void roundTripsIdAndPayload(int id) {
    WireFormat.Frame frame = WireFormat.decode(WireFormat.encode(id, PAYLOAD));
    assertThat(frame.schemaId()).isEqualTo(id);
    assertThat(frame.payloadBytes()).isEqualTo(PAYLOAD);
    assertThat(frame.payload().isReadOnly()).isTrue();
    assertThat(WireFormat.schemaId(WireFormat.encode(id, PAYLOAD))).isEqualTo(id);
  }

  @Test
  void decodesAnEmptyPayload() {
    WireFormat.Frame frame = WireFormat.decode(new byte[] {0, 0, 0, 0, 42});
    assertThat(frame.schemaId()).isEqualTo(42);
    assertThat(frame.payload().remaining()).isZero();
  }

  @Test
  void payloadViewDoesNotCopyButCannotWrite() {
    byte[] bytes = WireFormat.encode(3, PAYLOAD);
    ByteBuffer view = WireFormat.decode(bytes).payload();
    bytes[5] = 'X';
    assertThat(view.get(0)).isEqualTo((byte) 'X');
  }

  @Test
  void protobufShortcutForFirstMessageIsOneZeroByte() {
    byte[] frame = WireFormat.encodeProtobuf(5, List.of(0), PAYLOAD);
    assertThat(frame).startsWith(0, 0, 0, 0, 5, 0);
    assertThat(frame).hasSize(6 + PAYLOAD.length);
    WireFormat.ProtobufFrame decoded = WireFormat.decodeProtobuf(frame);
    assertThat(decoded.schemaId()).isEqualTo(5);
    assertThat(decoded.messageIndexes()).containsExactly(0);
    assertThat(bytes(decoded.payload())).isEqualTo(PAYLOAD);
  }

  @Test
  void protobufIndexArrayIsZigZagCountThenZigZagIndexes() {
    byte[] frame = WireFormat.encodeProtobuf(5, List.of(1, 2), PAYLOAD);
    // count 2 -> zig-zag 4; index 1 -> 2; index 2 -> 4
    assertThat(frame).startsWith(0, 0, 0, 0, 5, 4, 2, 4);
    WireFormat.ProtobufFrame decoded = WireFormat.decodeProtobuf(frame);
    assertThat(decoded.messageIndexes()).containsExactly(1, 2);
    assertThat(bytes(decoded.payload())).isEqualTo(PAYLOAD);
  }

  @Test
  void protobufDecodesHandWrittenFramesIncludingMultiByteVarints() {
    // count 1 (zig-zag 2), index 100 (zig-zag 200 = 0xC8 0x01), payload "x"
    byte[] frame = {0, 0, 0, 1, 0, 2, (byte) 0xC8, 0x01, 'x'};
    WireFormat.ProtobufFrame decoded = WireFormat.decodeProtobuf(frame);
    assertThat(decoded.schemaId()).isEqualTo(256);
    assertThat(decoded.messageIndexes()).containsExactly(100);
    assertThat(bytes(decoded.payload())).containsExactly('x');
    // an explicit [0] (count 1, index 0) means the same as the shortcut
    assertThat(WireFormat.decodeProtobuf(new byte[] {0, 0, 0, 0, 1, 2, 0}).messageIndexes())
        .containsExactly(0);
  }

  @Test
  void protobufRoundTripsLargeIndexes() {
    List<Integer> indexes = List.of(3, 0, 70_000, Integer.MAX_VALUE);
    WireFormat.ProtobufFrame decoded =
        WireFormat.decodeProtobuf(WireFormat.encodeProtobuf(9, indexes, PAYLOAD));
    assertThat(decoded.messageIndexes()).isEqualTo(indexes);
    assertThat(bytes(decoded.payload())).isEqualTo(PAYLOAD);
  }

  @Test
  void rejectsUnknownMagicByteNamingIt() {
    byte[] frame = WireFormat.encode(1, PAYLOAD);
    frame[0] = 1;
    assertThatThrownBy(() -> WireFormat.decode(frame))
        .isInstanceOf(InvalidFrameException.class)
        .hasMessageContaining("unknown magic byte 0x01 at byte 0")
        .hasMessageContaining("expected 0x00");
    assertThatThrownBy(() -> WireFormat.decode("{\"plain\":\"json\"}".getBytes(
        StandardCharsets.UTF_8))).isInstanceOf(InvalidFrameException.class)
        .hasMessageContaining("0x7B");
  }

  @Test
  void rejectsFramesShorterThanTheHeaderWithExpectedAndActualLength() {
    for (int length = 1; length < 5; length++) {
      byte[] frame = new byte[length];
      assertThatThrownBy(() -> WireFormat.decode(frame))
          .isInstanceOf(InvalidFrameException.class)
          .hasMessageContaining("truncated, " + length + " bytes")
          .hasMessageContaining("at least 5 bytes");
    }
    assertThatThrownBy(() -> WireFormat.decode(new byte[0]))
        .isInstanceOf(InvalidFrameException.class)
        .hasMessageContaining("empty (0 bytes)");
    assertThatThrownBy(() -> WireFormat.decodeProtobuf(new byte[] {0, 0, 1}))
        .isInstanceOf(InvalidFrameException.class)
        .hasMessageContaining("truncated, 3 bytes");
  }

  @Test
  void protobufRejectsMissingIndexArray() {
    assertThatThrownBy(() -> WireFormat.decodeProtobuf(new byte[] {0, 0, 0, 0, 1}))
        .isInstanceOf(InvalidFrameException.class)
        .hasMessageContaining("truncated varint for message-index count starting at byte 5")
        .hasMessageContaining("frame ends after 5 bytes");
  }

  @Test
  void protobufRejectsTruncatedVarint() {
    // count 1, then an index whose continuation bit promises another byte that is not there
    assertThatThrownBy(() -> WireFormat.decodeProtobuf(new byte[] {0, 0, 0, 0, 1, 2,
        (byte) 0x80})).isInstanceOf(InvalidFrameException.class)
        .hasMessageContaining("truncated varint for message index 0 starting at byte 6");
  }

  @Test
  void protobufRejectsOverlongVarint() {
    byte[] frame = {0, 0, 0, 0, 1, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, 0x01};
    assertThatThrownBy(() -> WireFormat.decodeProtobuf(frame))
        .isInstanceOf(InvalidFrameException.class)
        .hasMessageContaining("overlong varint for message-index count starting at byte 5")
        .hasMessageContaining("byte 9 is 0xFF");
  }

  @Test
  void protobufRejectsNegativeCountAndCountLargerThanTheFrame() {
    // zig-zag 1 = -1
    assertThatThrownBy(() -> WireFormat.decodeProtobuf(new byte[] {0, 0, 0, 0, 1, 1}))
        .isInstanceOf(InvalidFrameException.class)
        .hasMessageContaining("message-index count at byte 5 is -1");
    // zig-zag 20 = 10 indexes, but only one byte follows
    assertThatThrownBy(() -> WireFormat.decodeProtobuf(new byte[] {0, 0, 0, 0, 1, 20, 0}))
        .isInstanceOf(InvalidFrameException.class)
        .hasMessageContaining("count 10 at byte 5 needs at least 10 more bytes but only 1 remain");
  }

  @Test
  void protobufRejectsNegativeIndex() {
    assertThatThrownBy(() -> WireFormat.decodeProtobuf(new byte[] {0, 0, 0, 0, 1, 2, 3}))
        .isInstanceOf(InvalidFrameException.class)
        .hasMessageContaining("message index 0 at byte 6 is -2");
  }

  @Test
  void encodeRejectsEmptyOrNegativeIndexes() {
    assertThatThrownBy(() -> WireFormat.encodeProtobuf(1, List.of(), PAYLOAD))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0]");
    assertThatThrownBy(() -> WireFormat.encodeProtobuf(1, List.of(1, -1), PAYLOAD))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
  }

  private static int[] header(byte[] frame) {
    int[] header = new int[5];
    for (int i = 0; i < 5; i++) {
      header[i] = frame[i] & 0xFF;
    }
    return header;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] copy = new byte[buffer.remaining()];
    buffer.duplicate().get(copy);
    return copy;
  }
}
