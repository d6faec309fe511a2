package io.relaybus.webhook.internal.dispatch;

import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import io.relaybus.webhook.internal.outbox.Route;
import okhttp3.Request;

/** Turns a delivery into the HTTP request for one target URL: payload layout and signature. */
public interface DeliveryRequests {

  /** Request header carrying the group of a group delivery. */
  String GROUP_HEADER = "relaybus-group";
  /**
   * Response header of a group member that gives a delivery back without an outcome (it is
   * closing or full): the sender sends it again, to any member, without counting an attempt.
   */
  String RELEASE_HEADER = "relaybus-release";
  /** Response header of a group member: the handler attempt number the next delivery carries. */
  String NEXT_ATTEMPT_HEADER = "relaybus-next-attempt";

  /**
   * Builds the request.
   *
   * @param route the route
   * @param delivery the delivery
   * @param url the target URL (the endpoint's, or the chosen member's)
   * @return the request
   */
  Request build(Route route, OutboxDelivery delivery, String url);
}
