/**
 * Via (RFC 3261 §20.42, §25.1):
 *   via-parm      = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 *   sent-by       = host [ COLON port ]
 * SLASH and COLON allow SWS on both sides (RFC 4475 §3.1.1.1 wsinv).
 */
import type { Via } from './types.ts';
import { isDigit, isHex, isHostChar, isTokenChar, skipWs } from './charset.ts';
import { formatParams, parseParamsAt } from './grammar.ts';

function readToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/** Parses one via-parm (one comma-separated value). */
export function parseVia(s: string): Via | undefined {
  if (typeof s !== 'string' || s.length > 8192) return undefined;
  let i = skipWs(s, 0);
  const nameEnd = readToken(s, i);
  if (nameEnd === i) return undefined;
  const name = s.slice(i, nameEnd);
  i = skipWs(s, nameEnd);
  if (s.charCodeAt(i) !== 0x2f) return undefined;
  i = skipWs(s, i + 1);
  const verEnd = readToken(s, i);
  if (verEnd === i) return undefined;
  const version = s.slice(i, verEnd);
  i = skipWs(s, verEnd);
  if (s.charCodeAt(i) !== 0x2f) return undefined;
  i = skipWs(s, i + 1);
  const trEnd = readToken(s, i);
  if (trEnd === i) return undefined;
  const transport = s.slice(i, trEnd).toUpperCase();
  // LWS between sent-protocol and sent-by is mandatory.
  const hostStart = skipWs(s, trEnd);
  if (hostStart === trEnd) return undefined;
  i = hostStart;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close < 0) return undefined;
    for (let j = i + 1; j < close; j++) {
      const c = s.charCodeAt(j);
      if (!isHex(c) && c !== 0x3a && c !== 0x2e) return undefined;
    }
    if (close - i < 3) return undefined;
    i = close + 1;
  } else {
    while (i < s.length && isHostChar(s.charCodeAt(i))) i++;
    if (i === hostStart) return undefined;
  }
  const via: Via = { protocol: name + '/' + version, transport, host: s.slice(hostStart, i), params: new Map() };
  const afterHost = skipWs(s, i);
  if (afterHost < s.length && s.charCodeAt(afterHost) === 0x3a) {
    const p0 = skipWs(s, afterHost + 1);
    let p = p0;
    while (p < s.length && isDigit(s.charCodeAt(p))) p++;
    if (p === p0 || p - p0 > 5) return undefined;
    const port = Number(s.slice(p0, p));
    if (port > 65535) return undefined;
    via.port = port;
    i = p;
  }
  if (!parseParamsAt(s, i, via.params)) return undefined;
  return via;
}

export function formatVia(v: Via): string {
  return v.protocol + '/' + v.transport + ' ' + v.host + (v.port !== undefined ? ':' + v.port : '') + formatParams(v.params);
}
