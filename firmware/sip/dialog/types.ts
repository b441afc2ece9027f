/**
 * Types of the dialog layer (RFC 3261 §12): identifiers, state names, the
 * route set, and what the layers above give and get when building and
 * receiving in-dialog messages.
 */
import type { SipRequest, SipUri } from '../message/types.ts';
import type { Destination } from '../transaction/index.ts';

/**
 * "A dialog is identified at each UA with a dialog ID, which consists of a
 * Call-ID value, a local tag and a remote tag." (RFC 3261 §12). A remote
 * tag of null is an RFC 2543 peer that sent no tag (§12.1.1, §12.1.2).
 */
export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string | null;
}

/** "early" (created by a 101-199 with a To tag), "confirmed" (2xx), or terminated (§12). */
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** Which side of the dialog-creating request we were on. */
export type DialogRole = 'uac' | 'uas';

/** Why a dialog ended, as given to termination listeners. */
export type DialogTerminationReason =
  /** A BYE was received, or a final response (other than 401/407) to our BYE (§15). */
  | 'bye'
  /** A non-2xx final response to the dialog-creating request (§12.3). */
  | 'rejected'
  /** 481 to an in-dialog request (§12.2.1.2). */
  | 'gone'
  /** 408, or no response at all, to an in-dialog request (§12.2.1.2). */
  | 'timeout'
  /** An early dialog left over when the INVITE transaction completed (§13.2.2.4). */
  | 'early-expired'
  /** The caller ended it (terminate()). */
  | 'local';

/** One URI of the route set: the Record-Route value as received, and its parsed URI. */
export interface RouteEntry {
  /** The name-addr with its rr-params, verbatim: becomes a Route value unchanged. */
  readonly value: string;
  readonly uri: SipUri;
  /** True when the URI has the `lr` parameter (a loose router, §19.1.1). */
  readonly lr: boolean;
}

/**
 * The sent-by of our Via. `transport` defaults to the transport of the
 * request's destination, so one setting serves UDP and TCP peers alike.
 */
export interface ViaSentBy {
  transport?: string;
  host: string;
  port: number;
}

/** How the dialog builds our Via: a fixed sent-by, or one chosen per destination. */
export type ViaSpec = ViaSentBy | ((destination: Destination) => ViaSentBy);

export interface DialogOptions {
  /** Sent-by for the Via of requests this dialog builds. Required to build requests. */
  via?: ViaSpec;
  /**
   * Transport the dialog-creating request arrived on (UAS) or was sent on
   * (UAC), for the secure flag. UAC default: TLS when the Request-URI is
   * sips (a sips request is only ever sent over TLS, §26.2.2).
   */
  transport?: string;
  /**
   * UAS: the first local CSeq number to use (§8.1.1.5: below 2^31).
   * Default: random in [1, 2^30).
   */
  initialLocalSeq?: number;
  /**
   * The flow to the peer: where its requests come from (UAS) or where the
   * dialog-creating request was sent (UAC). When set and the dialog has no
   * route set, in-dialog requests go there instead of to the remote
   * target's host and port: a phone behind NAT writes its private address
   * in Contact (RFC 5626 §5.3, the "flow"; Kamailio's fix_nated_contact).
   */
  flow?: Destination;
}

/** Extra content of an in-dialog request. */
export interface InDialogRequestInit {
  /** Appended after the dialog's headers (Content-Type, Authorization, Reason, Supported...). */
  headers?: Array<[string, string]>;
  body?: Buffer;
}

/** A request built by the dialog and where to send it (§8.1.2, §12.2.1.1). */
export interface OutgoingDialogRequest {
  request: SipRequest;
  destination: Destination;
}

/** What to do with an in-dialog request (§12.2.2). */
export type IncomingRequestVerdict = 'ok' | { reject: 500 | 481; reason: string };

/** Result of creating a dialog: invalid messages are reported, not thrown. */
export type DialogCreation<D> = { ok: true; dialog: D } | { ok: false; reason: string };
