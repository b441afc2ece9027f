/**
 * Data model of a session description (RFC 4566 §5). Structural lines
 * (v= o= s= c= t= m=) are typed; attributes stay ordered lists of raw
 * name/value pairs so unknown ones survive parse -> serialize, and their
 * typed views (rtpmap, fmtp, ptime, rtcp, direction) are computed on
 * demand by attributes.ts. Values are plain data: helpers never mutate
 * their inputs, they return new descriptions.
 */

/** o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 4566 §5.2). */
export interface Origin {
  username: string;
  /** Opaque: RFC 4566 asks for digits, some stacks send other tokens. */
  sessionId: string;
  /** Incremented by one for each change of the description (RFC 3264 §8); may exceed 2^53. */
  version: bigint;
  netType: string;
  addrType: string;
  address: string;
}

/** c=<nettype> <addrtype> <connection-address> (RFC 4566 §5.7). */
export interface Connection {
  netType: string; // 'IN'
  addrType: string; // 'IP4' | 'IP6' (others kept as written)
  /** Address without the /ttl/count suffix; may be an FQDN (RFC 4317 uses them). */
  address: string;
  /** IP4 multicast TTL (`/127`). */
  ttl?: number;
  /** Number of addresses (`/3`). */
  count?: number;
}

/** a=<name> or a=<name>:<value>; value null for property attributes. */
export interface Attribute {
  name: string;
  value: string | null;
}

/** A line whose type letter we do not interpret (kept, serialized after the a= lines of its level). */
export interface UnknownLine {
  type: string;
  value: string;
}

/** t=<start> <stop> with its r= lines (RFC 4566 §5.9-5.10); digits kept as written. */
export interface Timing {
  start: string;
  stop: string;
  repeats: string[];
}

/** m=<media> <port>[/<count>] <proto> <fmt> ... and its section (RFC 4566 §5.14). */
export interface MediaDescription {
  media: string; // 'audio', 'video', ...
  /** 0 = stream rejected or disabled (RFC 3264 §6, §8.2). */
  port: number;
  portCount?: number;
  proto: string; // 'RTP/AVP'
  /** Format list as written (payload type numbers for RTP profiles), in preference order. */
  formats: string[];
  info?: string;
  connection?: Connection;
  /** b= values as written, e.g. 'AS:64'. */
  bandwidths: string[];
  key?: string;
  attributes: Attribute[];
  unknown: UnknownLine[];
}

export interface SessionDescription {
  /** v= (always 0). */
  version: 0;
  origin: Origin;
  /** s=; '' when the sender wrote `s= ` (RFC 4566 §5.3's "no meaningful name"). */
  sessionName: string;
  info?: string;
  uri?: string;
  emails: string[];
  phones: string[];
  connection?: Connection;
  bandwidths: string[];
  timings: Timing[];
  zone?: string;
  key?: string;
  attributes: Attribute[];
  unknown: UnknownLine[];
  media: MediaDescription[];
}

export type ParseSdpResult = { ok: true; sdp: SessionDescription } | { ok: false; reason: string };
