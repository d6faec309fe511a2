package io.relaybus.webhook.internal.dispatch;

import io.relaybus.webhook.internal.outbox.Outbox;
import okhttp3.OkHttpClient;

/**
 * What every {@link Lane} of one dispatcher shares.
 *
 * @param dispatcher the dispatcher: its wake-up and whether it still runs
 * @param outbox the outbox claimed from
 * @param config the settings
 * @param leases the deliveries this sender holds
 * @param sender makes attempts
 * @param outcomes records attempts that were not made
 * @param recorder whether outcome writes wait
 * @param endpointClient the client for configured endpoints (with the SSRF guard)
 * @param groupClient the client for consumer-group members
 */
record LaneContext(OutboxDispatcher dispatcher, Outbox outbox, DispatcherConfig config,
    InFlightLeases leases, AttemptSender sender, AttemptOutcomes outcomes,
    OutcomeRecorder recorder, OkHttpClient endpointClient, OkHttpClient groupClient) {}
