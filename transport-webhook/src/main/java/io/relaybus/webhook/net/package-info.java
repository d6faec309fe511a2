/**
 * The SSRF guard for webhook endpoints: {@link io.relaybus.webhook.net.AddressCategory}
 * classifies addresses, {@link io.relaybus.webhook.net.SsrfPolicy} says which are allowed,
 * {@link io.relaybus.webhook.net.SsrfGuardDns} enforces it on every DNS resolution OkHttp
 * makes, {@link io.relaybus.webhook.net.SsrfGuardSocketFactory} on every socket connect, and
 * {@link io.relaybus.webhook.net.SsrfPolicy#checkUrl(String)} at endpoint registration.
 */
package io.relaybus.webhook.net;
