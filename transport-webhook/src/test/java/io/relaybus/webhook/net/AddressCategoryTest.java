package io.relaybus.webhook.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class AddressCategoryTest {

  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource({
      "127.0.0.1, LOOPBACK",
      "127.255.255.254, LOOPBACK",
      "::1, LOOPBACK",
      "::ffff:127.0.0.1, LOOPBACK",
      "::ffff:7f00:1, LOOPBACK",
      "::127.0.0.1, LOOPBACK",
      "64:ff9b::7f00:1, LOOPBACK",
      "2002:7f00:1::, LOOPBACK",
      "10.0.0.1, PRIVATE",
      "172.16.0.1, PRIVATE",
      "172.31.255.255, PRIVATE",
      "192.168.1.1, PRIVATE",
      "::ffff:10.1.2.3, PRIVATE",
      "fc00::1, PRIVATE",
      "fd12:3456::1, PRIVATE",
      "fec0::1, PRIVATE",
      "169.254.1.1, LINK_LOCAL",
      "fe80::1, LINK_LOCAL",
      "100.64.0.1, CGNAT",
      "100.127.255.255, CGNAT",
      "169.254.169.254, METADATA",
      "::ffff:169.254.169.254, METADATA",
      "fd00:ec2::254, METADATA",
      "169.254.170.2, METADATA",
      "100.100.100.200, METADATA",
      "0.0.0.0, UNSPECIFIED",
      "0.1.2.3, UNSPECIFIED",
      "::, UNSPECIFIED",
      "224.0.0.1, MULTICAST",
      "ff02::1, MULTICAST",
      "255.255.255.255, RESERVED",
      "240.0.0.1, RESERVED",
      "192.0.2.1, RESERVED",
      "2001:db8::1, RESERVED",
      "8.8.8.8, PUBLIC",
      "172.32.0.1, PUBLIC",
      "100.128.0.1, PUBLIC",
      "169.253.1.1, PUBLIC",
      "2606:4700:4700::1111, PUBLIC",
      "::ffff:8.8.8.8, PUBLIC",
  })
  void classifies(String literal, AddressCategory expected) throws Exception {
    assertThat(AddressCategory.of(InetAddress.getByName(literal))).isEqualTo(expected);
  }

  @Test
  void configNamesRoundTripAndUnknownNamesListTheAllowedOnes() {
    for (AddressCategory c : AddressCategory.values()) {
      assertThat(AddressCategory.fromConfigName(c.configName())).isEqualTo(c);
    }
    assertThat(AddressCategory.fromConfigName(" Link_Local ")).isEqualTo(
        AddressCategory.LINK_LOCAL);
    assertThatThrownBy(() -> AddressCategory.fromConfigName("intranet"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("intranet").hasMessageContaining("link-local");
  }

  @Test
  void cidrRangesMatchPrefixesOfBothFamilies() throws Exception {
    CidrRange v4 = CidrRange.parse("10.20.0.0/16");
    assertThat(v4.contains(InetAddress.getByName("10.20.255.1"))).isTrue();
    assertThat(v4.contains(InetAddress.getByName("10.21.0.1"))).isFalse();
    assertThat(v4.contains(InetAddress.getByName("::1"))).isFalse();
    assertThat(CidrRange.parse("10.20.30.40/12").toString()).isEqualTo("10.16.0.0/12");
    assertThat(CidrRange.parse("127.0.0.1").contains(InetAddress.getByName("127.0.0.1")))
        .isTrue();
    CidrRange v6 = CidrRange.parse("fd00:1::/32");
    assertThat(v6.contains(InetAddress.getByName("fd00:1:ffff::1"))).isTrue();
    assertThat(v6.contains(InetAddress.getByName("fd00:2::1"))).isFalse();
    assertThat(CidrRange.parse("::ffff:10.0.0.0/104").contains(InetAddress.getByName("10.9.9.9")))
        .isTrue();
    assertThat(CidrRange.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8")))
        .isTrue();
    for (String bad : new String[] {"example.com/8", "10.0.0.0/33", "10.0.0/8", "fd00::/129",
        "10.0.0.0/x", "256.1.1.1"}) {
      assertThatThrownBy(() -> CidrRange.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
    }
  }
}
