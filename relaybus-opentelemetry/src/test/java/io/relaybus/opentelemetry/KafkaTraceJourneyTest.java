package io.relaybus.opentelemetry;

import io.relaybus.test.RelaybusServers;
import java.util.Map;

/**
 * The traced journey on Kafka: the context travels in the record headers, the dead-letter
 * topic and the replayed record.
 */
class KafkaTraceJourneyTest extends TraceJourneyContract {
  @Override
  protected Map<String, String> busConfig() {
    Map<String, String> config = RelaybusServers.kafka().relaybusProperties();
    config.put("relaybus.kafka.partitions", "1");
    return config;
  }
}
