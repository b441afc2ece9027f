/**
 * Route set handling (RFC 3261 §12.1, §12.2.1.1, §16.12) and the choice of
 * the next hop of a request (§8.1.2, RFC 3263 §4 without DNS).
 */
import { formatUri, isSipUri, parseNameAddr } from '../message/index.ts';
import type { SipHeaders, SipUri } from '../message/types.ts';
import type { Destination } from '../transaction/index.ts';
import type { RouteEntry } from './types.ts';

/**
 * Every Record-Route value of a message, in header order (fields in order,
 * comma-separated values in order). Returns undefined when a value is not a
 * SIP or SIPS URI: a route set must be made of them (§12.1: "A route set is
 * a collection of ordered SIP or SIPS URI").
 */
export function readRecordRoute(headers: SipHeaders): RouteEntry[] | undefined {
  const out: RouteEntry[] = [];
  for (const value of headers.getAll('record-route')) {
    const na = parseNameAddr(value);
    if (na === undefined || !isSipUri(na.uri)) return undefined;
    out.push({ value, uri: na.uri, lr: na.uri.params.has('lr') });
  }
  return out;
}

/**
 * A copy of a SIP URI that can stand in a Request-URI: Table 1 of §19.1.1
 * forbids the `method` parameter and URI headers there.
 */
export function requestUriOf(uri: SipUri): string {
  if (!uri.params.has('method') && uri.headers.size === 0) return formatUri(uri);
  const params = new Map(uri.params);
  params.delete('method');
  return formatUri({ ...uri, params, headers: new Map() });
}

export interface Routing {
  /** Request-URI text. */
  requestUri: string;
  /** Route values in order (none when the route set is empty). */
  routes: string[];
  /** The URI the request is sent to (§8.1.2). */
  nextHop: SipUri;
}

/** Request-URI, Route and next hop of a request sent within a dialog (§12.2.1.1). */
export function routeRequest(remoteTarget: SipUri, routeSet: readonly RouteEntry[]): Routing {
  const first = routeSet[0];
  // "If the route set is empty, the UAC MUST place the remote target URI into
  // the Request-URI. The UAC MUST NOT add a Route header field to the request."
  if (first === undefined) {
    return { requestUri: requestUriOf(remoteTarget), routes: [], nextHop: remoteTarget };
  }
  // "If the route set is not empty, and the first URI in the route set
  // contains the lr parameter (see Section 19.1.1), the UAC MUST place the
  // remote target URI into the Request-URI and MUST include a Route header
  // field containing the route set values in order, including all parameters."
  //
  // §8.1.2: "Otherwise, the procedures are applied to the first Route header
  // field value in the request (if one exists)".
  if (first.lr) {
    return { requestUri: requestUriOf(remoteTarget), routes: routeSet.map((r) => r.value), nextHop: first.uri };
  }
  // "If the route set is not empty, and its first URI does not contain the lr
  // parameter, the UAC MUST place the first URI from the route set into the
  // Request-URI, stripping any parameters that are not allowed in a
  // Request-URI. The UAC MUST add a Route header field containing the
  // remainder of the route set values in order, including all parameters.
  // The UAC MUST then place the remote target URI into the Route header field
  // as the last value."
  //
  // §8.1.2: "if the first element in the route set indicated a strict router
  // (resulting in forming the request as described in Section 12.2.1.1), the
  // procedures MUST be applied to the Request-URI of the request."
  const routes = routeSet.slice(1).map((r) => r.value);
  routes.push('<' + formatUri(remoteTarget) + '>');
  return { requestUri: requestUriOf(first.uri), routes, nextHop: first.uri };
}

const TRANSPORTS: Record<string, string> = {
  udp: 'UDP',
  tcp: 'TCP',
  tls: 'TLS',
  sctp: 'SCTP',
  ws: 'WS',
  wss: 'WSS',
};

/** Default port per transport: 5060, 5061 for TLS (§19.1.2), 80/443 for WebSocket (the ws/wss defaults of RFC 6455 §3). */
export function defaultPort(transport: string): number {
  switch (transport) {
    case 'TLS':
      return 5061;
    case 'WS':
      return 80;
    case 'WSS':
      return 443;
    default:
      return 5060;
  }
}

/**
 * Where to send a request whose next hop is `uri` (RFC 3263 §4 for a
 * numeric host; no DNS: a host name is passed on as it is).
 *  - "If the URI specifies a transport protocol in the transport parameter,
 *    that transport protocol SHOULD be used. Otherwise, if no transport
 *    protocol is specified, but the TARGET is a numeric IP address, the
 *    client SHOULD use UDP for a SIP URI, and TCP for a SIPS URI." (§4.1):
 *    a SIPS URI means TLS, whatever the transport parameter says
 *    (transport=tcp on a sips URI is TLS over TCP).
 *  - maddr, when present, is the target (§4).
 *  - "If no port is specified, it uses the default port for the particular
 *    transport protocol." (§4.2)
 */
export function uriDestination(uri: SipUri): Destination {
  const param = uri.params.get('transport');
  let transport = param ? (TRANSPORTS[param.toLowerCase()] ?? param.toUpperCase()) : 'UDP';
  if (uri.scheme === 'sips' && (transport === 'UDP' || transport === 'TCP')) transport = 'TLS';
  const maddr = uri.params.get('maddr');
  const host = maddr ? maddr : uri.host;
  return { transport, host, port: uri.port ?? defaultPort(transport) };
}
