/**
 * SDP serializer: the RFC 4566 §5 line order, CRLF line ends, a final CRLF.
 * Lines of unknown types go after the a= lines of their level.
 */
import type { Attribute, Connection, MediaDescription, Origin, SessionDescription } from './types.ts';

export function formatOrigin(o: Origin): string {
  return `${o.username} ${o.sessionId} ${o.version} ${o.netType} ${o.addrType} ${o.address}`;
}

export function formatConnection(c: Connection): string {
  let spec = c.address;
  if (c.ttl !== undefined) spec += `/${c.ttl}`;
  if (c.count !== undefined) spec += `/${c.count}`;
  return `${c.netType} ${c.addrType} ${spec}`;
}

export function formatAttribute(a: Attribute): string {
  return a.value === null ? a.name : `${a.name}:${a.value}`;
}

function mediaLines(m: MediaDescription, out: string[]): void {
  const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
  out.push(`m=${m.media} ${port} ${m.proto} ${m.formats.join(' ')}`);
  if (m.info !== undefined) out.push(`i=${m.info}`);
  if (m.connection) out.push(`c=${formatConnection(m.connection)}`);
  for (const b of m.bandwidths) out.push(`b=${b}`);
  if (m.key !== undefined) out.push(`k=${m.key}`);
  for (const a of m.attributes) out.push(`a=${formatAttribute(a)}`);
  for (const u of m.unknown) out.push(`${u.type}=${u.value}`);
}

export function serializeSdp(sdp: SessionDescription): string {
  const out: string[] = ['v=0', `o=${formatOrigin(sdp.origin)}`];
  // RFC 4566 §5.3: "If a session has no meaningful name, the value "s= " SHOULD be used".
  out.push(`s=${sdp.sessionName === '' ? ' ' : sdp.sessionName}`);
  if (sdp.info !== undefined) out.push(`i=${sdp.info}`);
  if (sdp.uri !== undefined) out.push(`u=${sdp.uri}`);
  for (const e of sdp.emails) out.push(`e=${e}`);
  for (const p of sdp.phones) out.push(`p=${p}`);
  if (sdp.connection) out.push(`c=${formatConnection(sdp.connection)}`);
  for (const b of sdp.bandwidths) out.push(`b=${b}`);
  for (const t of sdp.timings) {
    out.push(`t=${t.start} ${t.stop}`);
    for (const r of t.repeats) out.push(`r=${r}`);
  }
  if (sdp.zone !== undefined) out.push(`z=${sdp.zone}`);
  if (sdp.key !== undefined) out.push(`k=${sdp.key}`);
  for (const a of sdp.attributes) out.push(`a=${formatAttribute(a)}`);
  for (const u of sdp.unknown) out.push(`${u.type}=${u.value}`);
  for (const m of sdp.media) mediaLines(m, out);
  return out.join('\r\n') + '\r\n';
}
