import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Config, Phone, CallJournal } from '../../config/index.ts';
import type { MediaEngine, PayloadFormat, RelayCall, LegId } from '../../media/types.ts';
import {
  createRequest,
  createResponse,
  getCSeq,
  getTo,
  getTag,
  isSipUri,
  parseNameAddr,
  newBranch,
  newCallId,
  newTag,
  parseUri,
  type SipRequest,
  type SipResponse,
} from '../../sip/message/index.ts';
import type {
  ClientTransactionUser,
  Destination,
  ServerTransactionHandle,
  TransactionView,
} from '../../sip/transaction/index.ts';
import {
  Dialog,
  DialogStore,
  InviteClientDialogs,
  createCancel,
  createUasDialog,
  recordRouteHeaders,
  type ViaSentBy,
} from '../../sip/dialog/index.ts';
import type { Binding } from '../registrar/bindings.ts';
import { BUILTIN_PLAN, type NumberingPlan } from '../frenchplan/index.ts';
import { describePlan, normaliseNational, planCall, type CallPlan, type Caller, type Called, type LiveState, type PlanStep, type RingTarget } from '../routing/index.ts';
import type { LocalSession, ParsedSdp, SdpPort } from './sdp-port.ts';
import type { CallEndReason, CallSnapshot, CallState, CallTarget } from './types.ts';
import { WavPlayer } from '../../media/player.ts';
import { toneSamples, type ToneName } from '../../media/tones.ts';
import { applyCallbackChange, dueCallbacks, LAST_BUSY_WINDOW_MS, type CallbackChange, type CallbackContext, type CallbackRequest } from '../callback.ts';
import { CallbackDialer } from './callback-dialer.ts';
import { sendCancel } from './cancel.ts';
import { ALLOW, inviteToContact } from './invite.ts';
import type { WatchedState } from '../presence/dialog-info.ts';
import { VoiceSession, depositStart, deposit, retrievalStart, retrieval, renderClips, type Clip, type VoicemailPort, type VoiceEvent, type VoiceSessionDeps } from '../voicemail/index.ts';
import { presentationClips, type ForwarderState } from '../presentation.ts';
import { decideSessionTimer, expiryMs, readSessionTimer, refreshMs } from './session-timer.ts';
import { attendant, attendantDestination, attendantStart, type AttendantConfig, type AttendantOutcome } from '../attendant.ts';

/** What the B2BUA needs from the SIP service below it. */
export interface SipSender {
  /** Sends a request in a new client transaction; false when it could not be created. */
  sendRequest(request: SipRequest, destination: Destination, user: ClientTransactionUser): boolean;
  /** Sends a message outside any transaction (ACK for 2xx). */
  sendStateless(message: SipRequest | SipResponse, destination: Destination): void;
  /** The INVITE server transaction a CANCEL targets (§9.2), if any. */
  findInviteForCancel(cancel: SipRequest): ServerTransactionHandle | undefined;
  /** Destroys the client transaction of a request sent with sendRequest, without telling its user (§9.1). */
  abandon?(request: SipRequest): void;
  /** Host and port written in our Via and Contact. */
  readonly advertise: { host: string; port: number };
  readonly t1: number;
  readonly t2: number;
}

export interface CallManagerDeps {
  clock: Clock;
  log: Logger;
  sip: SipSender;
  media: MediaEngine;
  sdp: SdpPort;
  journal: CallJournal;
  config(): Readonly<Config>;
  /** Live contacts of a phone (registrar). */
  contactsOf(mac: string): Binding[];
  /** The operator trunk, when there is one (external calls). */
  trunk?: TrunkPort;
  /**
   * Decides what a dialled string from a phone becomes (dial plan,
   * restrictions, capacity: pbx/outgoing.ts), given the external calls in
   * progress; absent, only phones are reachable (by internal number).
   */
  route?: (caller: Phone, dialled: string, externalCallsInProgress: number) => Routing;
  /** The numbering plan used to check forwards outside against restriction profiles (RES-4); the built-in one by default. */
  numbering?: () => NumberingPlan;
  /** Music on hold (VOX-2): the uploaded file, or the built-in one; absent, a held party hears nothing. */
  holdMusic?: () => Int16Array;
  /** Voicemail boxes (VOX-1); absent, a voicemail step ends the call with 480 and a Warning. */
  voicemail?: VoicemailPort;
  /** A phone recorded an announcement with its handset (`*35*2`, VOX-5): store it and point its record at it. */
  onAnnouncementRecorded?: (mac: string, what: 'pre-answer', samples: Int16Array) => void;
  /** Told when the number of calls in progress or ringing changes (indicators). */
  onCallsChanged?: (counts: { active: number; ringing: number }) => void;
}

/** What the B2BUA needs of the trunk: where to send, and credentials for its challenges. */
export interface TrunkPort {
  target(): Destination | undefined;
  readonly domain: string;
  authorize(challenge: SipResponse, method: string, uri: string): { name: string; value: string } | undefined;
}

/** The outcome of routing a dialled string. */
export type Routing =
  | { kind: 'call'; target: CallTarget }
  /** Refused: a tone or prompt as early media, then this final response (issue 5 §3). */
  | { kind: 'refuse'; status: number; reason: string; warning: string; tone: ToneName; number: string; external: boolean; words?: Clip[] }
  /** A feature code carried out (or queried): answered, the tone (or the words, with voice prompts) played, then BYE. */
  | { kind: 'feature'; tone: ToneName; code: string; words?: Clip[] };

/** How long a refusal tone plays before the final response. */
export const REFUSAL_TONE_SECONDS = 3;
export const FEATURE_TONE_SECONDS = 2;
/** Before spoken words, the special information tone plays once (one cadence, about 2 s). */
export const SIT_BEFORE_WORDS_SECONDS = 1;
/** The longest pre-answer announcement recorded with *35*2 (VOX-5). */
export const PRE_ANSWER_MAX_MS = 30_000;

/** Codecs we relay (no transcoding: both legs must share one), in our order of preference. */
export const SUPPORTED_FORMATS: readonly PayloadFormat[] = [
  { payloadType: 8, encoding: 'PCMA', clockRate: 8000 },
  { payloadType: 0, encoding: 'PCMU', clockRate: 8000 },
  { payloadType: 18, encoding: 'G729', clockRate: 8000 },
  { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 },
];


interface ALeg {
  /** The caller's INVITE; for a callback (FWD-6), ours to the requester. */
  invite: SipRequest;
  /** Absent for a callback: the PBX placed the A leg itself and it is already answered. */
  tx?: ServerTransactionHandle;
  source: Destination;
  /** The calling phone; absent for a call from the operator trunk. */
  phone?: Phone;
  /** The caller as the phones we ring see it. */
  party: Party;
  toTag: string;
  dialog?: Dialog;
  offer: ParsedSdp;
  /** RFC 3261 §13.2.1 late offer: the INVITE had no SDP; our 2xx carries the offer, the ACK the answer. */
  late?: boolean;
  session: LocalSession;
  /** Our last SDP towards A (re-sent on session refreshes). */
  lastSdp?: Buffer;
  final?: SipResponse;
}

interface BLeg {
  index: number;
  /** Who this leg rings (one of the plan's targets). */
  target: RingTarget;
  /** The registered contact rung (phone targets); absent for the trunk. */
  binding?: Binding;
  /** Credentials already sent once for this call (trunk challenges). */
  authTried?: boolean;
  invite: SipRequest;
  destination: Destination;
  dialogs: InviteClientDialogs;
  dialog?: Dialog;
  state: 'calling' | 'proceeding' | 'answered' | 'failed' | 'cancelled';
  finalStatus?: number;
  ack?: { request: SipRequest; destination: Destination };
  cancelSent: boolean;
  /** A provisional response (100 included) arrived: a CANCEL may be sent (§9.1). */
  provisional?: boolean;
  /** We want this fork cancelled but it has not answered anything yet: the CANCEL waits for its first 1xx. */
  cancelWanted?: boolean;
  /** A final response to the INVITE arrived (the transaction ends by itself). */
  finalReceived?: boolean;
  /** §9.1 give-up timer, armed when the CANCEL was answered but the INVITE not yet. */
  giveUp?: TimerHandle;
}

/** A re-INVITE relayed from one leg to the other (hold, resume, new media). */
interface PendingReinvite {
  from: LegId;
  request: SipRequest;
  tx: ServerTransactionHandle;
  offer: ParsedSdp;
}

let callCounter = 0;

/**
 * What the caller of a late offer (an INVITE without SDP, RFC 3261 §13.2.1)
 * stands for until its ACK answers: every codec we relay, no address yet (the
 * relay sends nothing to it before the answer).
 */
const LATE_OFFER: ParsedSdp = {
  remote: { rtp: null, rtcp: null, direction: 'sendrecv', formats: SUPPORTED_FORMATS, ptimeMs: 20 },
  originKey: '',
  description: undefined,
};

/** A voicemail step before voice services exist (issue 7): the call ends here, and says so. */
const VOICEMAIL_STAND_IN_WARNING = 'voicemail is not available yet';

/**
 * One call through the B2BUA: the A leg (the caller's INVITE, answered by
 * us: a phone's, or the operator's for a call from outside) and B legs that
 * run the call's plan (pbx/routing): each ring step forks to every
 * registered contact of its phones and to its external numbers through the
 * trunk; the first 2xx wins and the other forks are CANCELed. Media is
 * anchored on a RelayCall; SDP is terminated on both legs.
 */
class Call {
  readonly id = `c${++callCounter}`;
  private current: CallState = 'routing';
  get state(): CallState {
    return this.current;
  }
  /** Every change is told to the manager (ringing calls make the telephony LED blink, GW-3). */
  set state(next: CallState) {
    if (next === this.current) return;
    this.current = next;
    this.m.changed();
  }
  readonly startedAt: number;
  answeredAt?: number;
  private answeredMono?: number;
  bLegs: BLeg[] = [];
  winner?: BLeg;
  relay?: RelayCall;
  bSession: LocalSession;
  bLastSdp?: Buffer;
  formats: PayloadFormat[] = [];
  /** The current step's timer (or a local tone's). */
  ringTimer?: TimerHandle;
  okTimer?: TimerHandle;
  noAckTimer?: TimerHandle;
  pending?: PendingReinvite;
  ended = false;
  /** The plan being run, its current step, and targets of that step still waiting to ring (MOB-1 delay). */
  private steps: PlanStep[] = [];
  private stepIndex = -1;
  private delayed: TimerHandle[] = [];
  /** Final statuses of the current step's forks that failed by themselves (not CANCELed by us). */
  private stepFailures: number[] = [];
  /** Every phone that rang for this call (LOG-3: the call is in each one's journal). */
  private readonly rang = new Set<string>();
  /** The offer we send on B legs. */
  private bOffer?: Buffer;

  constructor(
    private readonly m: CallManager,
    readonly a: ALeg,
    readonly dialled: string,
    readonly target: CallTarget | Exclude<Routing, { kind: 'call' }>,
    readonly plan?: CallPlan,
    relay?: RelayCall,
  ) {
    this.startedAt = m.deps.clock.now();
    if (relay) this.relay = relay;
    this.bSession = { sessionId: String(Date.now() % 1e9), version: 1, address: m.deps.sip.advertise.host };
  }

  get log(): Logger {
    return this.m.deps.log;
  }

  /** The phone that answered, or the phone called when it is one of ours. */
  get callee(): Phone | undefined {
    const t = this.winner?.target;
    if (t?.kind === 'phone') return this.m.deps.config().phones.find((p) => p.mac === t.mac);
    return this.target.kind === 'phone' ? this.target.phone : undefined;
  }

  /** Trunk lines this call holds: its A leg from the operator, and each live B leg to it. */
  trunkLines(): number {
    let n = this.a.phone ? 0 : 1;
    for (const l of this.bLegs) if (l.target.kind === 'external' && (isLive(l) || l === this.winner)) n++;
    return n;
  }

  snapshot(): CallSnapshot {
    const s: CallSnapshot = {
      id: this.id,
      state: this.state,
      caller: this.a.phone ? { number: this.a.phone.internalNumber, phone: this.a.phone.mac } : { number: this.a.party.number },
      callee: this.callee ? { number: this.dialled, phone: this.callee.mac } : { number: this.dialled },
      startedAt: this.startedAt,
    };
    if (!this.winner && this.state !== 'ended') {
      const ringing = [...new Set(this.bLegs.filter(isLive).map((l) => l.target.number))];
      if (ringing.length > 0) s.ringing = ringing;
    }
    if (this.target.kind === 'external') {
      const t = this.target;
      s.external = { category: t.category, identity: t.identity.number, hidden: t.identity.hidden, emergency: t.emergency };
    }
    if (this.answeredAt !== undefined) s.answeredAt = this.answeredAt;
    const codec = this.formats.find((f) => f.encoding !== 'telephone-event');
    if (codec) s.codec = codec.encoding;
    if (this.relay) s.media = { a: this.relay.stats('a'), b: this.relay.stats('b') };
    return s;
  }

  // --- A leg ---

  respondA(status: number, reason?: string, body?: Buffer, extra: Array<[string, string]> = []): SipResponse | undefined {
    if (!this.a.tx || this.aHeldByPbx) {
      this.progressToAnsweredCaller(status, body);
      return undefined;
    }
    const headers: Array<[string, string]> = [...extra];
    if (status > 100 && status < 300) {
      headers.push(...recordRouteHeaders(this.a.invite), ['Contact', this.m.contact(this.a.source.transport)], ['Allow', ALLOW]);
    }
    if (status >= 200 && status < 300) {
      // RFC 4028 §9: the 2xx says the session interval and who refreshes.
      const st = decideSessionTimer(readSessionTimer(this.a.invite));
      if (st.kind === 'use') {
        this.sessionTimer = { interval: st.interval, refresher: st.refresher };
        headers.push(['Session-Expires', `${st.interval};refresher=${st.refresher}`]);
        if (st.require) headers.push(['Require', 'timer']);
        this.armSessionTimer();
      }
    }
    if (body) headers.push(['Content-Type', 'application/sdp']);
    const res = createResponse(this.a.invite, status, reason, headers, body, { toTag: this.a.toTag });
    if (status > 100 && !this.a.dialog && status < 300) {
      // The caller's flow (where its INVITE came from): in-dialog requests reach it there, NAT or not.
      const created = createUasDialog(this.a.invite, res, { via: this.m.viaFor, transport: this.a.source.transport, flow: this.a.source });
      if (created.ok) {
        this.a.dialog = created.dialog;
        this.m.dialogs.add(created.dialog);
        this.m.owner.set(created.dialog.key, { call: this, leg: 'a' });
      }
    }
    this.a.dialog?.responseSent(res);
    this.a.tx.respond(res);
    if (status >= 200) this.a.final = res;
    return res;
  }

  /**
   * The caller is already answered, by itself (a callback's requester,
   * FWD-6) or by the PBX (the auto attendant putting it through, VOX-6):
   * what would be responses to its INVITE become what it hears. Ringing: our
   * ringback tone; early media or answer: the callee's audio; a failure: the
   * attendant's menu again, or BYE.
   */
  private progressToAnsweredCaller(status: number, body: Buffer | undefined): void {
    if (!this.relay) return;
    if (status === 180 && !this.ringback) {
      this.ringback = true;
      this.relay.attachPlayer('a', new WavPlayer(toneSamples('ringback', this.m.deps.config().sip.ringTimeoutSeconds + 10)));
      return;
    }
    if (status < 200 && !body) return;
    if (this.ringback) {
      this.ringback = false;
      this.relay.detachPlayer('a');
    }
    if (status >= 300) {
      if (this.attendantFailed) this.attendantFailed();
      else this.sendBye('a');
    }
  }

  private ringback = false;

  /** RFC 4028 on the caller's leg: the interval, who refreshes, and the timer (expiry, or our refresh). */
  private sessionTimer?: { interval: number; refresher: 'uac' | 'uas' };
  private sessionTimerHandle?: TimerHandle;

  /** Headers of our 2xx to a session refresh from the caller (RFC 4028 §9). */
  sessionTimerHeaders(): Array<[string, string]> {
    return this.sessionTimer ? [['Session-Expires', `${this.sessionTimer.interval};refresher=${this.sessionTimer.refresher}`]] : [];
  }

  /** A re-INVITE or UPDATE from the caller refreshed the session (RFC 4028 §10): the clock starts again. */
  sessionRefreshed(): void {
    if (this.sessionTimer) this.armSessionTimer();
  }

  private armSessionTimer(): void {
    const st = this.sessionTimer;
    if (!st || this.ended) return;
    this.sessionTimerHandle?.cancel();
    if (st.refresher === 'uac') {
      // The caller refreshes: without a refresh in time, the session is over (§10).
      this.sessionTimerHandle = this.m.deps.clock.setTimeout(() => {
        this.sessionTimerHandle = undefined;
        this.log.warn({ call: this.id, interval: st.interval }, 'session expired: no refresh from the caller (RFC 4028)');
        this.sendBye('a');
        this.sendBye('b');
        this.end('session-expired');
      }, expiryMs(st.interval));
      return;
    }
    // We refresh, with an UPDATE without SDP (RFC 4028 §7.4: UPDATE is the lighter refresh).
    this.sessionTimerHandle = this.m.deps.clock.setTimeout(() => {
      this.sessionTimerHandle = undefined;
      const d = this.dialogOf('a');
      if (!d || this.ended) return;
      try {
        const out = d.createRequest('UPDATE', { headers: [['Session-Expires', `${st.interval};refresher=uas`], ['Supported', 'timer']] });
        this.m.deps.sip.sendRequest(out.request, out.destination, {
          onResponse: (res) => {
            if (res.status >= 200 && res.status < 300) this.armSessionTimer();
            else if (res.status >= 300) this.sessionGone(res.status);
          },
          onTimeout: () => this.sessionGone(408),
          onTransportError: () => this.sessionGone(503),
        });
      } catch (err) {
        this.log.debug({ call: this.id, err: (err as Error).message }, 'no session refresh possible');
      }
    }, refreshMs(st.interval));
  }

  /** Our session refresh failed: §10, a 408 or 481 means the session is gone. */
  private sessionGone(status: number): void {
    if (this.ended) return;
    if (status === 408 || status === 481) {
      this.log.warn({ call: this.id, status }, 'session refresh failed: the caller is gone (RFC 4028 §10)');
      this.sendBye('a');
      this.sendBye('b');
      this.end('session-expired');
    } else this.armSessionTimer();
  }
  /** Voicemail or the auto attendant answered the caller: unless someone takes the call, it was missed (LOG-1). */
  private answeredByPbx = false;
  /**
   * The PBX answered the caller itself and may still put it through (auto
   * attendant): responses meant for its INVITE are not sent, and the plan
   * may run although the caller has its 200.
   */
  private aHeldByPbx = false;
  /** The attendant takes the caller back after a failed transfer. */
  private attendantFailed?: () => void;

  /** The caller has its final answer and nothing will be put through any more. */
  private get aSettled(): boolean {
    return this.a.final !== undefined && !this.aHeldByPbx;
  }

  /** §13.3.1.4: the TU retransmits its 2xx until the ACK comes; after 64*T1 it gives up with BYE. */
  armOkRetransmission(res: SipResponse): void {
    const { t1, t2 } = this.m.deps.sip;
    // "If the server retransmits the 2xx response for 64*T1 seconds without receiving an ACK,
    // the dialog is confirmed, but the session SHOULD be terminated."
    this.noAckTimer = this.m.deps.clock.setTimeout(() => this.onNoAck(), 64 * t1);
    if (this.a.source.transport.toUpperCase() !== 'UDP') return;
    let interval = t1;
    const tick = (): void => {
      this.a.tx?.respond(res);
      interval = Math.min(interval * 2, t2);
      this.okTimer = this.m.deps.clock.setTimeout(tick, interval);
    };
    this.okTimer = this.m.deps.clock.setTimeout(tick, interval);
  }

  onAckFromA(ack: SipRequest): void {
    this.okTimer?.cancel();
    this.okTimer = undefined;
    this.noAckTimer?.cancel();
    this.noAckTimer = undefined;
    if (!this.a.late) return;
    // §13.2.1: the caller's answer to the offer of our 2xx comes in its ACK.
    this.a.late = false;
    const parsed = ack.body.length > 0 ? this.m.deps.sdp.read(ack.body) : undefined;
    if (!parsed?.ok || !this.relay) {
      this.log.warn({ call: this.id }, 'late offer: the ACK carries no usable answer; ending the call');
      this.sendBye('a');
      this.sendBye('b');
      this.end('rejected');
      return;
    }
    this.a.offer = parsed.sdp;
    this.relay.setRemote('a', { ...parsed.sdp.remote, formats: parsed.sdp.remote.formats.length > 0 ? parsed.sdp.remote.formats : this.formats });
  }

  /**
   * Our SDP towards the caller: the answer to its offer or, for a late offer
   * (no SDP in its INVITE), our offer of these formats, answered in its ACK.
   */
  private describeForA(relay: RelayCall, formats: readonly PayloadFormat[]): { ok: true; body: Buffer; formats: PayloadFormat[] } | { ok: false; reason: string } {
    if (!this.a.late) return this.m.deps.sdp.answer(this.a.offer, this.a.session, relay.local('a'), formats);
    const offered = formats.filter((f) => SUPPORTED_FORMATS.some((s) => s.encoding === f.encoding));
    if (!offered.some((f) => f.encoding !== 'telephone-event')) return { ok: false, reason: 'no codec to offer' };
    return { ok: true, body: this.m.deps.sdp.offer(this.a.session, relay.local('a'), offered, 'sendrecv', 20), formats: [...offered] };
  }

  private onNoAck(): void {
    this.okTimer?.cancel();
    this.okTimer = undefined;
    this.noAckTimer = undefined;
    this.log.warn({ call: this.id }, 'no ACK for our 2xx: ending the call');
    this.sendBye('a');
    this.sendBye('b');
    this.end('no-ack');
  }

  // --- B legs: running the plan ---

  async start(): Promise<void> {
    if (this.target.kind === 'refuse' || this.target.kind === 'feature') {
      await this.playLocally(this.target);
      return;
    }
    if (this.target.kind === 'record') {
      await this.startRecording(this.target.phone);
      return;
    }
    const steps = this.plan?.steps ?? [];
    // A plan that only turns the call away needs no media.
    const first = steps[0];
    if (first === undefined || first.kind === 'reject') {
      this.runStep(steps, 0);
      return;
    }
    const offered = this.a.offer.remote.formats;
    const formats = offered.filter((f) => SUPPORTED_FORMATS.some((s) => s.encoding === f.encoding));
    if (!formats.some((f) => f.encoding !== 'telephone-event')) {
      this.reject(488, 'Not Acceptable Here', 'rejected');
      return;
    }
    try {
      // A callback (FWD-6) brings the relay its requester was offered.
      this.relay ??= await this.m.deps.media.createRelayCall();
    } catch (err) {
      this.log.error({ call: this.id, err: (err as Error).message }, 'no media ports for the call');
      this.reject(503, 'Service Unavailable', 'error');
      return;
    }
    if (this.ended) {
      this.relay.close();
      return;
    }
    this.relay.setRemote('a', this.a.offer.remote);
    const pre = first.kind === 'ring' && !this.a.late ? this.preAnswerFor() : undefined;
    if (pre && this.answerEarly()) {
      // VOX-4/VOX-5: the caller hears the announcement as early media; the callees are offered the codec it got.
      this.bOffer = this.m.deps.sdp.offer(this.bSession, this.relay.local('b'), this.formats, this.a.offer.remote.direction, this.a.offer.remote.ptimeMs);
      this.bLastSdp = this.bOffer;
      this.preAnswering = true;
      this.log.info({ call: this.id, announcement: pre.what, mode: pre.mode }, 'pre-answer announcement');
      this.relay.attachPlayer('a', new WavPlayer(pre.samples), () => {
        if (this.ended || !this.preAnswering || !this.relay) return;
        // After the announcement, ringback until someone answers (the caller's phone plays none during early media).
        this.relay.attachPlayer('a', new WavPlayer(toneSamples('ringback', 5), { loop: true }));
        if (pre.mode === 'before-ringing') this.runStep(steps, 0);
      });
      if (pre.mode === 'while-ringing') this.runStep(steps, 0);
      return;
    }
    this.bOffer = this.m.deps.sdp.offer(this.bSession, this.relay.local('b'), formats, this.a.offer.remote.direction, this.a.offer.remote.ptimeMs);
    this.bLastSdp = this.bOffer;
    this.runStep(steps, 0);
  }

  /**
   * `*35*2` (VOX-5): the PBX answers, says "enregistrez votre annonce après
   * le bip", records up to 30 s (`#` ends), says it is saved, hangs up; the
   * recording becomes the phone's pre-answer announcement.
   */
  private async startRecording(phone: Phone): Promise<void> {
    const vm = this.m.deps.voicemail;
    const save = this.m.deps.onAnnouncementRecorded;
    if (!vm || !save) {
      this.rejectWithWarning(480, 'Temporarily Unavailable', 'announcements cannot be recorded here', 'feature');
      return;
    }
    try {
      this.relay = await this.m.deps.media.createRelayCall();
    } catch {
      this.reject(503, 'Service Unavailable', 'error');
      return;
    }
    if (this.ended) {
      this.relay.close();
      return;
    }
    if (!this.answerByPbx()) return;
    let st = depositStart({
      mac: phone.mac,
      number: phone.internalNumber,
      hasGreeting: false,
      boxFull: false,
      maxMs: PRE_ANSWER_MAX_MS,
      intro: [{ kind: 'prompt', id: 'feature.record-announcement' }],
      saved: [{ kind: 'prompt', id: 'feature.announcement-saved' }],
    });
    this.startVoice(
      vm,
      (e) => {
        const out = deposit(st, e);
        st = out.state;
        return out.actions;
      },
      'feature',
      { onRecording: (samples) => save(phone.mac, 'pre-answer', samples) },
    );
  }

  /** A voice dialogue on the caller's leg (voicemail, 888, attendant, recording); when it hangs up, BYE and the call ends with `why`. */
  private startVoice(vm: VoicemailPort, step: VoiceSessionDeps['step'], why: CallEndReason, hooks: Pick<VoiceSessionDeps, 'onRecording' | 'onDelete' | 'onMarkSaved'> = {}): void {
    if (!this.relay) return;
    this.voice?.close();
    this.voice = new VoiceSession({
      clock: this.m.deps.clock,
      log: this.log,
      relay: this.relay,
      leg: 'a',
      clips: vm.clips,
      step,
      ...hooks,
      onHangup: () => {
        this.sendBye('a');
        this.end(why);
      },
    });
    this.voice.start();
  }

  /** The pre-answer announcement plays to the caller (VOX-4/VOX-5) until someone answers. */
  private preAnswering = false;

  /**
   * The announcement a call from outside hears before anyone answers: the
   * called phone's own (VOX-5, for a call to its DID, when it has recorded
   * one and switched it on with *35*1), else the general one (VOX-4: the
   * uploaded file, or the default "veuillez patienter" prompt), in its mode.
   */
  private preAnswerFor(): { samples: Int16Array; mode: 'while-ringing' | 'before-ringing'; what: string } | undefined {
    const vm = this.m.deps.voicemail;
    if (!vm || this.a.phone || !this.a.tx || this.target.kind !== 'number') return undefined;
    const cfg = this.m.deps.config();
    const called = this.target.number;
    const own = cfg.phones.find((p) => p.did !== undefined && normaliseNational(p.did) === called);
    if (own?.preAnswer.enabled && own.preAnswer.recording !== undefined) {
      return { samples: renderClips(vm.clips, [{ kind: 'upload', ref: own.preAnswer.recording, fallback: 'ivr.hold.default' }]), mode: 'while-ringing', what: `line ${own.internalNumber}` };
    }
    const general = cfg.announcements.preAnswer;
    if (!general.enabled) return undefined;
    const clip = general.file !== undefined ? ({ kind: 'upload', ref: general.file, fallback: 'ivr.hold.default' } as const) : ({ kind: 'prompt', id: 'ivr.hold.default' } as const);
    return { samples: renderClips(vm.clips, [clip]), mode: general.mode, what: 'general' };
  }

  /** 183 Session Progress with our answer (G.711 + telephone-event): early media from the PBX itself. */
  private answerEarly(): boolean {
    if (!this.relay) return false;
    const voiceFormats = SUPPORTED_FORMATS.filter((f) => f.encoding === 'PCMA' || f.encoding === 'PCMU' || f.encoding === 'telephone-event');
    const r = this.describeForA(this.relay, voiceFormats);
    if (!r.ok || !r.formats.some((f) => f.encoding !== 'telephone-event')) return false;
    this.formats = r.formats;
    this.a.lastSdp = r.body;
    this.relay.setRemote('a', { ...this.a.offer.remote, formats: r.formats });
    this.state = 'early-media';
    this.respondA(183, 'Session Progress', r.body);
    return true;
  }

  /**
   * Step `index` of `steps`: a ring step keeps the forks of targets it still
   * wants, CANCELs the others and calls its new targets; voicemail and
   * reject end the plan. A ring step where nobody can ring gives way to the
   * next at once.
   */
  private runStep(steps: PlanStep[], index: number): void {
    if (this.ended || this.winner || this.aSettled) return;
    this.ringTimer?.cancel();
    this.ringTimer = undefined;
    for (const d of this.delayed) d.cancel();
    this.delayed = [];
    this.steps = steps;
    this.stepIndex = index;
    this.stepFailures = [];
    const step = steps[index];
    if (step === undefined) {
      this.planExhausted();
      return;
    }
    if (step.kind !== 'ring') {
      for (const l of this.bLegs) this.cancelLeg(l);
      this.log.info({ call: this.id, step: step.label }, 'call plan: final step');
      if (step.kind === 'voicemail') this.startVoicemail(step);
      else if (step.kind === 'attendant') this.startAttendant();
      else this.reject(step.status, step.reason, step.status === 486 ? 'busy' : step.status === 404 ? 'not-found' : 'unavailable');
      return;
    }
    for (const l of this.bLegs) if (isLive(l) && !step.targets.some((t) => sameTarget(t, l.target))) this.cancelLeg(l);
    for (const target of step.targets) {
      if (this.bLegs.some((l) => isLive(l) && sameTarget(l.target, target))) continue;
      const after = target.kind === 'external' ? (target.afterSeconds ?? 0) : 0;
      if (after > 0) {
        const timer = this.m.deps.clock.setTimeout(() => {
          this.delayed = this.delayed.filter((d) => d !== timer);
          if (this.ended || this.winner || this.aSettled || this.steps !== steps || this.stepIndex !== index) return;
          this.launch(target);
          this.checkStepOver();
        }, after * 1000);
        this.delayed.push(timer);
      } else this.launch(target);
    }
    this.log.info({ call: this.id, step: step.label, seconds: step.seconds, ringing: this.bLegs.filter(isLive).length }, 'call plan: ring step');
    if (this.checkStepOver()) return;
    this.ringTimer = this.m.deps.clock.setTimeout(() => {
      this.ringTimer = undefined;
      if (this.winner || this.ended) return;
      this.log.info({ call: this.id, step: step.label }, 'no answer in this step');
      this.runStep(steps, index + 1);
    }, step.seconds * 1000);
  }

  /** Nobody is ringing any more and no target is waiting: the step is over early (busy, refused, unreachable). */
  private checkStepOver(): boolean {
    if (this.ended || this.winner || this.aSettled) return true;
    if (this.delayed.length > 0 || this.bLegs.some(isLive)) return false;
    const step = this.steps[this.stepIndex];
    // §16.7-like: one busy fork makes the step busy (a decline elsewhere does not hide it).
    const busy = this.stepFailures.some((s) => s === 486 || s === 600);
    if (step?.kind === 'ring' && busy && step.onBusy) {
      this.log.info({ call: this.id, step: step.label }, 'every target is busy');
      this.runStep(step.onBusy, 0);
    } else this.runStep(this.steps, this.stepIndex + 1);
    return true;
  }

  /** No step left: the best final status of the forks, §16.7-like (busy if any was busy, else the lowest class). */
  private planExhausted(): void {
    const statuses = this.bLegs.map((l) => l.finalStatus ?? 408);
    if (statuses.length === 0) {
      this.reject(480, 'Temporarily Unavailable', 'unavailable');
      return;
    }
    const best = statuses.includes(486) ? 486 : statuses.includes(600) ? 600 : statuses.includes(603) ? 603 : Math.min(...statuses);
    const reason: CallEndReason = best === 486 ? 'busy' : best === 408 || best === 487 ? 'no-answer' : 'rejected';
    // A challenge we could not answer is ours to deal with, not the phone's (it would try to authenticate to us).
    this.reject(best === 408 || best === 487 ? 480 : best === 401 || best === 407 ? 503 : best, undefined, reason);
  }

  /** Calls one target: every registered contact of a phone, or a number through the trunk. */
  private launch(target: RingTarget): void {
    const body = this.bOffer;
    if (!body) return;
    if (target.kind === 'phone') {
      this.rang.add(target.mac);
      const contacts = this.m.deps.contactsOf(target.mac);
      const party: Party = target.anonymous ? { number: 'anonymous', display: 'Anonymous' } : this.a.party;
      contacts.forEach((binding, index) => this.inviteContact(binding, index, body, target, party));
      return;
    }
    const lines = this.m.trunkLinesInUse();
    const max = this.m.deps.config().capacity.maxExternalCalls;
    // NUM-8: a forward or a mobile is one more external line; an outgoing call's own line was checked by the dial plan.
    if (this.target.kind !== 'external' && lines >= max) {
      this.log.warn({ call: this.id, number: target.number, lines, max }, 'no external line free for this target (NUM-8)');
      return;
    }
    this.inviteTrunk(target, body);
  }

  /** An INVITE from the PBX to one registered contact, presenting `caller` (a party of this call). */
  /** An INVITE from the PBX to one registered contact, presenting `caller` (a party of this call). */
  private buildInvite(binding: Binding, caller: Party, to: string, body: Buffer): { invite: SipRequest; destination: Destination } {
    return inviteToContact({ advertise: this.m.deps.sip.advertise, contact: (t) => this.m.contact(t) }, binding, caller, to, body);
  }

  private inviteContact(binding: Binding, index: number, body: Buffer, target: RingTarget, party: Party): void {
    const { invite, destination } = this.buildInvite(binding, party, this.dialled, body);
    this.sendBLeg({
      index,
      target,
      binding,
      invite,
      destination,
      dialogs: new InviteClientDialogs(invite, { via: this.m.viaFor, store: this.m.dialogs, flow: destination }),
      state: 'calling',
      cancelSent: false,
    });
  }

  /**
   * A B leg to the operator (issue 5, issue 6): Request-URI the number in
   * national format at the trunk's domain; From the presented number, or
   * anonymous with Privacy: id for CLIR (RFC 3323 §4.1.1.3);
   * P-Asserted-Identity one of our numbers in every case (RFC 3325 §9.1: the
   * operator is trusted with it, and needs it for emergency calls and
   * billing); Diversion (RFC 5806) on a forwarded call, with the number it
   * was diverted from (FWD-7).
   */
  private inviteTrunk(target: Extract<RingTarget, { kind: 'external' }>, body: Buffer): void {
    const trunk = this.m.deps.trunk;
    const destination = trunk?.target();
    if (!trunk || !destination) {
      this.log.warn({ call: this.id, number: target.number }, 'no trunk to reach this number');
      return;
    }
    const adv = this.m.deps.sip.advertise;
    const transport = destination.transport.toUpperCase();
    const domain = trunk.domain;
    const hidden = target.presented === '';
    const headers: Array<[string, string]> = [
      ['Via', `SIP/2.0/${transport} ${adv.host}:${adv.port};branch=${newBranch()};rport`],
      ['Max-Forwards', '70'],
      ['From', hidden ? `"Anonymous" <sip:anonymous@anonymous.invalid>;tag=${newTag()}` : `<sip:${target.presented}@${domain}>;tag=${newTag()}`],
      ['To', `<sip:${target.number}@${domain}>`],
      ['Call-ID', newCallId()],
      ['CSeq', '1 INVITE'],
      ['Contact', this.m.contact(transport)],
      ['P-Asserted-Identity', `<sip:${target.asserted}@${domain}>`],
    ];
    if (hidden) headers.push(['Privacy', 'id']);
    if (target.diversion) headers.push(['Diversion', `<sip:${target.diversion.number}@${domain}>;reason=${target.diversion.reason};counter=1`]);
    headers.push(['Allow', ALLOW], ['User-Agent', 'pbxgate'], ['Content-Type', 'application/sdp']);
    const invite = createRequest({ method: 'INVITE', uri: `sip:${target.number}@${domain}`, headers, body });
    this.sendBLeg({
      index: 0,
      target,
      invite,
      destination,
      dialogs: new InviteClientDialogs(invite, { via: this.m.viaFor, store: this.m.dialogs, flow: destination }),
      state: 'calling',
      cancelSent: false,
    });
  }

  /**
   * RFC 3261 §22.2: the operator challenged our INVITE; the same INVITE again
   * (same Call-ID and From tag, CSeq + 1, new branch) with credentials, once.
   */
  private retryWithCredentials(leg: BLeg, res: SipResponse): boolean {
    const trunk = this.m.deps.trunk;
    if (leg.binding || leg.authTried || !trunk || this.ended || this.aSettled) return false;
    const auth = trunk.authorize(res, 'INVITE', leg.invite.uri);
    const cseq = getCSeq(leg.invite.headers);
    if (!auth || !cseq) return false;
    const headers = leg.invite.headers.clone();
    const adv = this.m.deps.sip.advertise;
    headers.set('Via', `SIP/2.0/${leg.destination.transport.toUpperCase()} ${adv.host}:${adv.port};branch=${newBranch()};rport`);
    headers.set('CSeq', `${cseq.seq + 1} INVITE`);
    headers.set(auth.name, auth.value);
    const invite: SipRequest = { ...leg.invite, headers };
    const retry: BLeg = {
      index: leg.index,
      target: leg.target,
      invite,
      destination: leg.destination,
      dialogs: new InviteClientDialogs(invite, { via: this.m.viaFor, store: this.m.dialogs, flow: leg.destination }),
      state: 'calling',
      cancelSent: false,
      authTried: true,
    };
    // Stands for the leg at once (a CANCEL from the caller now waits for the retry's first 1xx), but is sent only
    // after this call returns: the transaction then ACKs the challenge first, and a peer sees ACK before the new INVITE.
    this.bLegs = this.bLegs.map((l) => (l === leg ? retry : l));
    queueMicrotask(() => {
      this.bLegs = this.bLegs.filter((l) => l !== retry);
      if (this.ended || this.aSettled) return; // the caller gave up meanwhile: nothing was sent, nothing to cancel
      this.sendBLeg(retry);
      if (this.bLegs.includes(retry)) return;
      // Not sent (no transaction): this fork failed; the other forks of the step ring on.
      retry.state = 'failed';
      retry.finalStatus = 503;
      this.bLegs.push(retry);
      this.stepFailures.push(503);
      this.checkStepOver();
    });
    return true;
  }

  private sendBLeg(leg: BLeg): void {
    const user: ClientTransactionUser = {
      onResponse: (res) => this.onBResponse(leg, res),
      onTimeout: () => this.onBFailure(leg, 408),
      onTransportError: () => this.onBFailure(leg, 503),
    };
    if (this.m.deps.sip.sendRequest(leg.invite, leg.destination, user)) this.bLegs.push(leg);
  }

  /**
   * Refusals and feature codes: the PBX itself answers the phone and plays a
   * tone on the A leg's media (the relay's leg A; leg B stays unused). A
   * refusal is early media (183) followed by its final response, so the
   * phone shows the reason and the journal records a failed call; a feature
   * code is answered (200), confirmed by its tone, then ended with BYE.
   */
  private async playLocally(what: Exclude<Routing, { kind: 'call' }>): Promise<void> {
    try {
      this.relay = await this.m.deps.media.createRelayCall();
    } catch {
      if (what.kind === 'refuse') this.rejectWithWarning(what.status, what.reason, what.warning);
      else this.reject(503, 'Service Unavailable', 'error');
      return;
    }
    if (this.ended) {
      this.relay.close();
      return;
    }
    const g711 = SUPPORTED_FORMATS.filter((f) => f.encoding === 'PCMA' || f.encoding === 'PCMU');
    const r = this.describeForA(this.relay, g711);
    if (!r.ok) {
      // No G.711 in the offer: the phone gets the final answer without a tone.
      if (what.kind === 'refuse') this.rejectWithWarning(what.status, what.reason, what.warning);
      else this.reject(488, 'Not Acceptable Here', 'feature');
      return;
    }
    this.formats = r.formats;
    this.a.lastSdp = r.body;
    this.relay.setRemote('a', { ...this.a.offer.remote, formats: r.formats });
    // With voice prompts: a refusal is its tone then the words (an ITU announcement after the SIT), a feature code its words alone.
    const vm = this.m.deps.voicemail;
    let audio: Int16Array;
    let ms: number;
    if (vm && what.words && what.words.length > 0) {
      const words = renderClips(vm.clips, what.words);
      if (what.kind === 'refuse') {
        const tone = toneSamples(what.tone, SIT_BEFORE_WORDS_SECONDS);
        audio = new Int16Array(tone.length + words.length);
        audio.set(tone);
        audio.set(words, tone.length);
      } else audio = words;
      ms = Math.ceil((audio.length * 1000) / 8000);
    } else {
      const seconds = what.kind === 'refuse' ? REFUSAL_TONE_SECONDS : FEATURE_TONE_SECONDS;
      audio = toneSamples(what.tone, seconds);
      ms = seconds * 1000;
    }
    this.relay.attachPlayer('a', new WavPlayer(audio));
    if (what.kind === 'refuse') {
      this.state = 'early-media';
      this.respondA(183, 'Session Progress', r.body);
      this.ringTimer = this.m.deps.clock.setTimeout(() => {
        this.ringTimer = undefined;
        this.rejectWithWarning(what.status, what.reason, what.warning);
      }, ms);
      return;
    }
    this.state = 'answered';
    this.answeredMono = this.m.deps.clock.monotonic();
    const ok = this.respondA(200, 'OK', r.body);
    if (ok) this.armOkRetransmission(ok);
    this.ringTimer = this.m.deps.clock.setTimeout(() => {
      this.ringTimer = undefined;
      this.sendBye('a');
      this.end('feature');
    }, ms);
  }

  /** The voice dialogue on leg A (voicemail deposit or 888 retrieval), if one runs. */
  private voice?: VoiceSession;

  /**
   * A voicemail step (VOX-1, NUM-7): the PBX answers the caller itself and
   * runs a dialogue on leg A: leaving a message in `step.mac`'s box, or,
   * for 888, listening to one's own (or, with the PIN, another) box.
   */
  private startVoicemail(step: Extract<PlanStep, { kind: 'voicemail' }>): void {
    const vm = this.m.deps.voicemail;
    const box = vm?.box(step.mac);
    const listening = this.target.kind === 'voicemail';
    // 888 from a phone whose own voicemail is off can still log into another box (PIN).
    if (!vm || (!box && !listening) || !this.relay || !this.a.tx) {
      // No voice services here, or that phone's voicemail is off: the caller learns it in a Warning.
      this.rejectWithWarning(480, 'Temporarily Unavailable', `${VOICEMAIL_STAND_IN_WARNING} (${step.label})`, 'unavailable');
      return;
    }
    // The auto attendant has answered already when it sends the caller to a voicemail.
    if (!this.aHeldByPbx && !this.answerByPbx()) return;
    this.preAnswering = false;
    this.attendantFailed = undefined;
    this.answeredByPbx = true;
    // The dialogue (pure, pbx/voicemail/menus) and the box it works on: a login from 888 may switch boxes.
    let dialogue: (e: VoiceEvent) => ReturnType<typeof retrieval>['actions'];
    let boxMac: () => string;
    if (listening) {
      let st = retrievalStart(box);
      dialogue = (e) => {
        const out = retrieval(st, e, (n) => vm.boxByNumber(n));
        st = out.state;
        return out.actions;
      };
      boxMac = () => st.box?.mac ?? step.mac;
    } else if (box) {
      let st = depositStart({ mac: box.mac, number: box.number, hasGreeting: box.hasGreeting, boxFull: box.full, maxMs: box.maxMs });
      dialogue = (e) => {
        const out = deposit(st, e);
        st = out.state;
        return out.actions;
      };
      boxMac = () => box.mac;
    } else return;
    this.log.info({ call: this.id, box: step.number, mode: listening ? 'listen' : 'deposit' }, 'voicemail answers');
    this.startVoice(vm, dialogue, 'voicemail', {
      onRecording: (samples) => vm.store(boxMac(), samples, this.a.party.number),
      onDelete: (id) => vm.remove(boxMac(), id),
      onMarkSaved: (id) => vm.markSaved(boxMac(), id),
    });
  }

  /**
   * The PBX answers the caller itself (voicemail, auto attendant): 200 with
   * G.711 and telephone-event, so keys reach the dialogue. False (and the
   * call refused 488) when the caller offers no G.711.
   */
  private answerByPbx(): boolean {
    if (!this.relay) return false;
    const voiceFormats = SUPPORTED_FORMATS.filter((f) => f.encoding === 'PCMA' || f.encoding === 'PCMU' || f.encoding === 'telephone-event');
    const r = this.describeForA(this.relay, voiceFormats);
    if (!r.ok || !r.formats.some((f) => f.encoding !== 'telephone-event')) {
      this.reject(488, 'Not Acceptable Here', 'rejected');
      return false;
    }
    this.formats = r.formats;
    this.a.lastSdp = r.body;
    this.relay.setRemote('a', { ...this.a.offer.remote, formats: r.formats });
    this.state = 'answered';
    this.answeredMono = this.m.deps.clock.monotonic();
    const ok = this.respondA(200, 'OK', r.body);
    if (ok) this.armOkRetransmission(ok);
    return true;
  }

  /**
   * The auto attendant (VOX-6): the PBX answers, plays the welcome and reads
   * a key (pbx/attendant); a key puts the caller through (the plan of that
   * number runs while the caller hears ringback; if it fails, the menu
   * again) or into a voicemail box.
   */
  private startAttendant(): void {
    const vm = this.m.deps.voicemail;
    if (!vm || !this.relay || !this.a.tx) {
      this.rejectWithWarning(480, 'Temporarily Unavailable', 'the auto attendant is not available', 'unavailable');
      return;
    }
    if (!this.answerByPbx()) return;
    this.aHeldByPbx = true;
    this.answeredByPbx = true;
    this.log.info({ call: this.id }, 'auto attendant answers');
    this.runAttendant(false);
  }

  private runAttendant(afterFailure: boolean): void {
    const vm = this.m.deps.voicemail;
    if (!vm || !this.relay || this.ended) return;
    const cfg = this.m.deps.config();
    const a = cfg.autoAttendant;
    const reception = cfg.phones.find((p) => p.mac === cfg.reception.phone)?.internalNumber;
    const acfg: AttendantConfig = { ...(a.prompt !== undefined ? { prompt: a.prompt } : {}), keys: a.keys, ...(reception !== undefined ? { operator: reception } : {}) };
    let st = attendantStart();
    this.attendantFailed = () => {
      this.log.info({ call: this.id }, 'auto attendant: the transfer failed, back to the menu');
      this.runAttendant(true);
    };
    this.startVoice(
      vm,
      (e) => {
        // After a failed transfer the dialogue starts by saying so.
        const out = attendant(st, afterFailure && e.kind === 'start' ? { kind: 'transfer-failed' } : e, acfg);
        st = out.state;
        if (out.outcome) {
          const outcome = out.outcome;
          // After the actions of this step (the session is still dispatching them).
          queueMicrotask(() => this.attendantOutcome(outcome));
        }
        return out.actions;
      },
      'attendant',
    );
  }

  private attendantOutcome(outcome: AttendantOutcome): void {
    if (this.ended || !this.relay) return;
    const cfg = this.m.deps.config();
    if (outcome.kind === 'voicemail') {
      const phone = cfg.phones.find((p) => p.internalNumber === outcome.internalNumber);
      if (!phone || !phone.voicemail.enabled) {
        this.log.warn({ call: this.id, box: outcome.internalNumber }, 'auto attendant: no such voicemail box');
        this.runAttendant(true);
        return;
      }
      this.voice?.close();
      this.voice = undefined;
      this.startVoicemail({ kind: 'voicemail', label: `voicemail of ${phone.internalNumber}`, mac: phone.mac, number: phone.internalNumber });
      return;
    }
    const dest = attendantDestination(cfg, this.m.deps.numbering?.() ?? BUILTIN_PLAN, outcome.number);
    if (!dest.ok) {
      this.log.warn({ call: this.id, number: outcome.number, why: dest.reason }, 'auto attendant: cannot put the caller through');
      this.runAttendant(true);
      return;
    }
    this.voice?.close();
    this.voice = undefined;
    const caller: Caller = this.a.phone
      ? { kind: 'phone', phone: this.a.phone }
      : { kind: 'external', number: this.a.party.number === 'anonymous' ? '' : this.a.party.number, anonymous: this.a.party.number === 'anonymous' };
    const plan = this.m.planFor(cfg, caller, dest.target);
    this.m.logPlan(this.id, plan);
    this.log.info({ call: this.id, number: outcome.number, why: outcome.why }, 'auto attendant: putting the caller through');
    // The callee is offered what the caller already has (no transcoding, no re-INVITE to the caller).
    this.bOffer = this.m.deps.sdp.offer(this.bSession, this.relay.local('b'), this.formats, 'sendrecv', this.a.offer.remote.ptimeMs);
    this.bLastSdp = this.bOffer;
    // Ringing again: the callee's 180 becomes ringback for the caller.
    this.state = 'routing';
    this.runStep(plan.steps, 0);
  }

  /** A refusal's final response: the reason phrase says why, and a Warning (RFC 3261 §20.43) says it in full. */
  private rejectWithWarning(status: number, reason: string, warning: string, why: CallEndReason = 'refused'): void {
    if (this.aSettled || this.ended) return;
    for (const l of this.bLegs) this.cancelLeg(l);
    if (this.attendantFailed) {
      this.attendantFailed();
      return;
    }
    this.respondA(status, reason, undefined, [warningHeader(warning)]);
    this.end(why);
  }

  private onBResponse(leg: BLeg, res: SipResponse): void {
    if (res.status >= 200) {
      leg.finalReceived = true;
      leg.giveUp?.cancel();
      leg.giveUp = undefined;
    }
    const outcome = leg.dialogs.receiveResponse(res);
    if (outcome.kind === 'early' || outcome.kind === 'confirmed' || outcome.kind === 'additional') {
      this.m.owner.set(outcome.dialog.key, { call: this, leg: 'b' });
    }
    if (res.status < 200) {
      leg.provisional = true;
      if (leg.cancelWanted && !leg.cancelSent) {
        this.sendCancel(leg);
        return;
      }
      if (res.status === 100 || this.ended) return;
      leg.state = 'proceeding';
      if (this.winner || this.aSettled) return;
      this.relayProvisional(leg, res);
      return;
    }
    if (res.status < 300) {
      this.onB2xx(leg, res, outcome.kind === 'retransmission');
      return;
    }
    if ((res.status === 401 || res.status === 407) && this.retryWithCredentials(leg, res)) return;
    this.onBFailure(leg, res.status);
  }

  /** 180 → 180 to A; 183 with SDP → early media: B's answer applied, our answer to A. */
  private relayProvisional(leg: BLeg, res: SipResponse): void {
    // A late offer's caller gets our offer in the 2xx only: an offer cannot ride an unreliable 1xx (RFC 3262).
    if (res.body.length > 0 && this.relay && !this.a.late) {
      const parsed = this.m.deps.sdp.read(res.body);
      if (parsed.ok) {
        this.relay.setRemote('b', parsed.sdp.remote);
        const answer = this.answerA(parsed.sdp.remote.formats);
        if (answer) {
          this.state = 'early-media';
          this.respondA(183, 'Session Progress', answer);
          return;
        }
      }
    }
    if (this.state === 'routing') this.state = 'ringing';
    if (this.state === 'ringing') this.respondA(180, 'Ringing');
  }

  /** Our answer to A's offer, restricted to what B chose (one codec on both legs, no transcoding). */
  private answerA(bFormats: readonly PayloadFormat[]): Buffer | undefined {
    if (!this.relay) return undefined;
    const supported = SUPPORTED_FORMATS.filter((s) => bFormats.some((f) => f.encoding === s.encoding));
    const r = this.describeForA(this.relay, supported);
    if (!r.ok) return undefined;
    this.formats = r.formats;
    // A callback's requester, or a caller the attendant answered, already has our SDP: only the common formats matter.
    if (this.a.tx && !this.aHeldByPbx) this.a.lastSdp = r.body;
    return r.body;
  }

  private onB2xx(leg: BLeg, res: SipResponse, retransmission: boolean): void {
    const dialog = leg.dialogs.confirmed && leg.dialogs.confirmed.id.remoteTag === getTag(getTo(res.headers)) ? leg.dialogs.confirmed : leg.dialogs.dialogs().find((d) => d.id.remoteTag === getTag(getTo(res.headers)));
    if (!dialog) return;
    // §13.2.2.4: every 2xx is ACKed, the same ACK again for a retransmission.
    if (!leg.ack || !retransmission) leg.ack = dialog.createAck(leg.invite);
    this.m.deps.sip.sendStateless(leg.ack.request, leg.ack.destination);
    if (retransmission) return;
    if (this.winner || this.ended || this.aSettled) {
      // A 2xx from a fork we no longer want (another answered, or the caller hung up): end it (§13.2.2.4).
      this.sendByeOn(dialog);
      return;
    }
    this.winner = leg;
    leg.state = 'answered';
    leg.dialog = dialog;
    this.ringTimer?.cancel();
    this.ringTimer = undefined;
    for (const d of this.delayed) d.cancel();
    this.delayed = [];
    for (const other of this.bLegs) if (other !== leg) this.cancelLeg(other);
    const parsed = res.body.length > 0 ? this.m.deps.sdp.read(res.body) : undefined;
    if (!parsed || !parsed.ok || !this.relay) {
      this.log.warn({ call: this.id }, 'callee answered without usable SDP');
      this.sendByeOn(dialog);
      this.reject(488, 'Not Acceptable Here', 'rejected');
      return;
    }
    this.relay.setRemote('b', parsed.sdp.remote);
    const formats = parsed.sdp.remote.formats;
    // VOX-7: the phone that picked up first hears who calls; the caller is put through after it.
    const spoken = this.presentationFor(leg.target);
    if (spoken) {
      this.log.info({ call: this.id, phone: leg.target.number }, 'voice presentation before connecting');
      this.relay.attachPlayer('b', new WavPlayer(spoken), () => {
        if (!this.ended && !this.aSettled) this.connect(leg, dialog, formats);
      });
      return;
    }
    this.connect(leg, dialog, formats);
  }

  /** The callee is there (after its voice presentation, if any): our answer to the caller. */
  private connect(leg: BLeg, dialog: Dialog, bFormats: readonly PayloadFormat[]): void {
    const answer = this.a.lastSdp && this.state === 'early-media' ? this.a.lastSdp : this.answerA(bFormats);
    if (!answer) {
      this.sendByeOn(dialog);
      this.reject(488, 'Not Acceptable Here', 'rejected');
      return;
    }
    this.state = 'answered';
    // Put through: from now on a failure is the call's, not the attendant's to retry.
    this.attendantFailed = undefined;
    if (this.preAnswering) {
      this.preAnswering = false;
      this.relay?.detachPlayer('a');
    }
    this.answeredAt = this.m.deps.clock.now();
    this.answeredMono = this.m.deps.clock.monotonic();
    const ok = this.respondA(200, 'OK', answer);
    if (ok) this.armOkRetransmission(ok);
    this.log.info({ call: this.id, caller: this.a.party.number, callee: this.dialled, answeredBy: leg.target.number, codec: this.snapshot().codec }, 'call answered');
  }

  /** Ringing phones, nobody has answered: another phone may pick the call up. */
  pickable(): boolean {
    return !this.ended && !this.winner && !this.aSettled && !this.answeredByPbx && this.bLegs.some(isLive);
  }

  /**
   * Another phone picks the ringing call up (issue 9 §3): it is answered with
   * our SDP on the relay's leg b and takes the place of the callee; the
   * ringing forks get CANCEL; the caller is put through.
   */
  pickedUp(req: SipRequest, tx: ServerTransactionHandle, source: Destination, picker: Phone, offer: ParsedSdp): void {
    if (!this.relay) {
      tx.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist', [], undefined, { toTag: newTag() }));
      return;
    }
    const answer = this.m.deps.sdp.answer(offer, this.bSession, this.relay.local('b'), this.formats.length > 0 ? this.formats : this.a.offer.remote.formats);
    if (!answer.ok) {
      tx.respond(createResponse(req, 488, 'Not Acceptable Here', [], undefined, { toTag: newTag() }));
      return;
    }
    const dialog = this.answerNewDialog(req, tx, source, answer.body);
    if (!dialog) return;
    this.m.owner.set(dialog.key, { call: this, leg: 'b' });
    this.bLastSdp = answer.body;
    this.relay.setRemote('b', { ...offer.remote, formats: answer.formats });
    const leg: BLeg = {
      index: -1,
      target: { kind: 'phone', mac: picker.mac, number: picker.internalNumber },
      invite: req,
      destination: { ...source },
      dialogs: new InviteClientDialogs(req, { via: this.m.viaFor }),
      dialog: dialog,
      state: 'answered',
      cancelSent: false,
      finalReceived: true,
    };
    this.winner = leg;
    this.ringTimer?.cancel();
    this.ringTimer = undefined;
    for (const d of this.delayed) d.cancel();
    this.delayed = [];
    for (const other of this.bLegs) this.cancelLeg(other);
    this.rang.add(picker.mac);
    this.log.info({ call: this.id, pickedUpBy: picker.internalNumber }, 'call picked up');
    this.connect(leg, dialog, answer.formats);
  }

  /** A phone's out-of-dialog INVITE answered 200 with our SDP: the new UAS dialog, kept by the manager (pickup, takeover). */
  private answerNewDialog(req: SipRequest, tx: ServerTransactionHandle, source: Destination, body: Buffer): Dialog | undefined {
    const res = createResponse(req, 200, 'OK', [['Contact', this.m.contact(source.transport)], ['Allow', ALLOW], ['Content-Type', 'application/sdp']], body, { toTag: newTag() });
    const made = createUasDialog(req, res, { via: this.m.viaFor, transport: source.transport, flow: source });
    if (!made.ok) {
      tx.respond(createResponse(req, 400, 'Bad Request', [], undefined, { toTag: newTag() }));
      return undefined;
    }
    made.dialog.responseSent(res);
    tx.respond(res);
    this.m.dialogs.add(made.dialog);
    return made.dialog;
  }

  /**
   * RFC 3891 on an answered call: a phone's INVITE with Replaces naming one of
   * this call's confirmed dialogs takes that leg's place (a user moving a
   * call from the desk phone to the mobile app and back, a bridged pickup).
   * The other party notices nothing: the relay anchors the media, only the
   * leg's remote changes, no re-INVITE; the replaced phone gets BYE (§3).
   */
  takenOver(leg: LegId, req: SipRequest, tx: ServerTransactionHandle, source: Destination, newcomer: Phone, offer: ParsedSdp): void {
    const old = this.dialogOf(leg);
    if (this.ended || this.state !== 'answered' || !this.relay || !old || old.state !== 'confirmed') {
      tx.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist', [], undefined, { toTag: newTag() }));
      return;
    }
    if (this.pending || this.busyTransferring()) {
      // §14.1: an offer is under way on this call; the phone may try again.
      tx.respond(createResponse(req, 491, 'Request Pending', [['Retry-After', '1']], undefined, { toTag: newTag() }));
      return;
    }
    const session = leg === 'a' ? this.a.session : this.bSession;
    session.version++;
    const answer = this.m.deps.sdp.answer(offer, session, this.relay.local(leg), this.formats);
    if (!answer.ok) {
      // The newcomer must speak the codec the other party already talks (no transcoding, no re-INVITE of it).
      tx.respond(createResponse(req, 488, 'Not Acceptable Here', [], undefined, { toTag: newTag() }));
      return;
    }
    const dialog = this.answerNewDialog(req, tx, source, answer.body);
    if (!dialog) return;
    this.relay.setRemote(leg, { ...offer.remote, formats: answer.formats });
    if (leg === 'a') {
      this.a.offer = offer;
      this.a.lastSdp = answer.body;
    } else {
      this.bRemoteKey = offer.originKey;
      this.bLastSdp = answer.body;
      // The journal names who ends the call on this side.
      if (this.winner) this.winner.target = { kind: 'phone', mac: newcomer.mac, number: newcomer.internalNumber };
    }
    this.m.owner.delete(old.key);
    this.replaced[leg] = dialog;
    this.m.owner.set(dialog.key, { call: this, leg });
    this.sendByeOn(old);
    this.log.info({ call: this.id, leg, takenOverBy: newcomer.internalNumber }, 'call taken over (INVITE with Replaces)');
    this.m.changed();
  }

  /** The voice presentation for the phone that answered (VOX-7), rendered; undefined when it has none or nothing to say. */
  private presentationFor(target: RingTarget): Int16Array | undefined {
    const vm = this.m.deps.voicemail;
    if (target.kind !== 'phone' || !vm) return undefined;
    const cfg = this.m.deps.config();
    const level = cfg.phones.find((p) => p.mac === target.mac)?.voicePresentation ?? 0;
    if (level === 0) return undefined;
    const forwarder = target.forwardedBy !== undefined ? cfg.phones.find((p) => p.internalNumber === target.forwardedBy) : undefined;
    let state: ForwarderState = 'free';
    if (forwarder) {
      if (this.m.deps.contactsOf(forwarder.mac).length === 0) state = 'unavailable';
      else if (this.m.busyPhones().has(forwarder.mac)) state = 'busy';
      else if (forwarder.forwards.unconditional.enabled) state = 'forwarded';
    }
    const clips = presentationClips(level, {
      caller: target.anonymous ? 'anonymous' : this.a.party.number,
      ...(forwarder ? { forwardedBy: { number: forwarder.internalNumber, state } } : {}),
    });
    return clips.length > 0 ? renderClips(vm.clips, clips) : undefined;
  }

  private onBFailure(leg: BLeg, status: number): void {
    if (leg.state === 'failed' || leg.state === 'cancelled' || leg.state === 'answered') {
      if (leg.state !== 'answered') leg.finalStatus ??= status;
      return;
    }
    leg.state = leg.cancelSent ? 'cancelled' : 'failed';
    leg.finalStatus = status;
    if (this.winner || this.ended || this.aSettled) return;
    if (leg.state === 'failed') this.stepFailures.push(status);
    this.checkStepOver();
  }

  private cancelLeg(leg: BLeg): void {
    if (leg.state !== 'calling' && leg.state !== 'proceeding') return;
    if (leg.cancelSent) return;
    leg.state = 'cancelled';
    // §9.1: "If no provisional response has been received, the CANCEL request MUST NOT be sent; rather,
    // the client MUST wait for the arrival of a provisional response before sending the request."
    // A fork that never answers at all ends by itself with Timer B.
    if (!leg.provisional) {
      leg.cancelWanted = true;
      return;
    }
    this.sendCancel(leg);
  }

  private sendCancel(leg: BLeg): void {
    leg.cancelSent = true;
    sendCancel(this.m.deps, leg);
  }


  /** Final non-2xx to A and the end of the call. */
  reject(status: number, reason: string | undefined, why: CallEndReason): void {
    if (this.aSettled || this.ended) {
      this.end(why);
      return;
    }
    for (const l of this.bLegs) this.cancelLeg(l);
    // A transfer from the auto attendant failed: the caller goes back to its menu.
    if (this.attendantFailed) {
      this.attendantFailed();
      return;
    }
    this.respondA(status, reason);
    this.end(why);
  }

  /** CANCEL from the caller (§9.2): 487 to the INVITE, the forks cancelled. */
  cancelledByCaller(): void {
    if (this.a.final) return;
    for (const l of this.bLegs) this.cancelLeg(l);
    // The callee picked up and hears its voice presentation: it is told the caller left.
    if (this.winner) this.sendBye('b');
    this.respondA(487, 'Request Terminated');
    this.end('cancelled');
  }

  // --- in-dialog ---

  dialogOf(leg: LegId): Dialog | undefined {
    return this.replaced[leg] ?? (leg === 'a' ? this.a.dialog : this.winner?.dialog);
  }

  /** Dialogs that took a leg's place after a blind transfer (REFER). */
  private replaced: Partial<Record<LegId, Dialog>> = {};
  /** The transfer in progress, if any (one at a time). */
  private transfer: { from: LegId; forks: Array<{ invite: SipRequest; destination: Destination; dialogs: InviteClientDialogs; done: boolean; status?: number; provisional: boolean; cancelWanted: boolean }>; done: boolean } | undefined;

  /** Who is on the side of a leg, for the identity presented to a transfer target. */
  partyOf(leg: LegId): Party {
    if (leg === 'a') return this.a.party;
    const phone = this.callee;
    if (phone) return phoneParty(phone);
    const number = this.winner?.target.number ?? this.dialled;
    return { number, display: number };
  }

  /**
   * Blind transfer (RFC 3515, RFC 5589): the party on `leg` asks us to connect
   * the other party to the Refer-To target. We answer 202, report progress
   * with NOTIFY (message/sipfrag), call the target with the media of that
   * leg, and once it answers the target takes the transferor's place on the
   * relay (the other party keeps its dialog and RTP address: nothing to
   * renegotiate), then the transferor's dialog is ended.
   */
  referFrom(leg: LegId, req: SipRequest, tx: ServerTransactionHandle): void {
    const dialog = this.dialogOf(leg);
    const respond = (status: number, reason?: string, headers: Array<[string, string]> = []): void => {
      tx.respond(createResponse(req, status, reason, headers));
    };
    if (!dialog || !this.relay || this.state !== 'answered') {
      respond(403, 'Forbidden');
      return;
    }
    if (this.busyTransferring()) {
      respond(491, 'Request Pending');
      return;
    }
    const referTo = req.headers.get('refer-to');
    const target = referTo ? parseNameAddr(referTo) : undefined;
    if (!target || !isSipUri(target.uri)) {
      // RFC 3515 §2.4.1: a REFER without a usable Refer-To is answered 400.
      respond(400, 'Bad Refer-To');
      return;
    }
    const replaces = [...target.uri.headers].find(([k]) => k.toLowerCase() === 'replaces')?.[1];
    if (replaces !== undefined) {
      this.attendedTransfer(leg, dialog, req, tx, replaces);
      return;
    }
    const number = target.uri.user ?? '';
    const phone = this.m.deps.config().phones.find((p) => p.internalNumber === number || p.sip.username === number);
    if (!phone) {
      respond(404, 'Not Found');
      return;
    }
    const contacts = this.m.deps.contactsOf(phone.mac);
    if (contacts.length === 0) {
      respond(480, 'Temporarily Unavailable');
      return;
    }
    respond(202, 'Accepted', [['Contact', this.m.contact(this.legTransport(leg))]]);
    this.notifyTransferor(dialog, 'SIP/2.0 100 Trying', false);
    const other: LegId = leg === 'a' ? 'b' : 'a';
    const session = leg === 'a' ? this.a.session : this.bSession;
    session.version++;
    const body = this.m.deps.sdp.offer(session, this.relay.local(leg), this.formats, 'sendrecv', 20);
    const transfer: NonNullable<Call['transfer']> = { from: leg, forks: [], done: false };
    this.transfer = transfer;
    for (const binding of contacts) {
      const { invite, destination } = this.buildInvite(binding, this.partyOf(other), phone.internalNumber, body);
      const fork: NonNullable<Call['transfer']>['forks'][number] = {
        invite,
        destination,
        dialogs: new InviteClientDialogs(invite, { via: this.m.viaFor, store: this.m.dialogs, flow: destination }),
        done: false,
        provisional: false,
        cancelWanted: false,
      };
      transfer.forks.push(fork);
      const settle = (status: number): void => {
        if (fork.done) return;
        fork.done = true;
        fork.status = status;
        if (!transfer.done && transfer.forks.every((f) => f.done)) {
          transfer.done = true;
          this.notifyTransferor(dialog, `SIP/2.0 ${status} ${status === 486 ? 'Busy Here' : 'Failed'}`, true);
        }
      };
      this.m.deps.sip.sendRequest(invite, destination, {
        onResponse: (res) => {
          const outcome = fork.dialogs.receiveResponse(res);
          if (res.status < 200) {
            fork.provisional = true;
            if (fork.cancelWanted) this.m.deps.sip.sendRequest(createCancel(invite), destination, IGNORE_RESPONSES);
            fork.cancelWanted = false;
            return;
          }
          if (res.status >= 300) {
            settle(res.status);
            return;
          }
          const d = outcome.kind === 'confirmed' || outcome.kind === 'additional' || outcome.kind === 'retransmission' ? outcome.dialog : undefined;
          if (!d) return;
          const ack = d.createAck(invite);
          this.m.deps.sip.sendStateless(ack.request, ack.destination);
          if (outcome.kind === 'retransmission') return;
          if (transfer.done || this.ended || outcome.kind === 'additional') {
            this.sendByeOn(d);
            return;
          }
          const parsed = res.body.length > 0 ? this.m.deps.sdp.read(res.body) : undefined;
          if (!parsed?.ok || !this.relay) {
            this.sendByeOn(d);
            settle(488);
            return;
          }
          fork.done = true;
          transfer.done = true;
          for (const f of transfer.forks) {
            if (f === fork || f.done) continue;
            f.done = true;
            if (f.provisional) this.m.deps.sip.sendRequest(createCancel(f.invite), f.destination, IGNORE_RESPONSES);
            else f.cancelWanted = true;
          }
          // The target takes the transferor's place: same relay leg, new remote (the latch resets on a new address).
          this.relay.setRemote(leg, parsed.sdp.remote);
          if (leg === 'b') this.bRemoteKey = parsed.sdp.originKey;
          // The party the transferor had put on hold is now talking to the target.
          this.stopHoldMusic(leg === 'a' ? 'b' : 'a');
          this.m.owner.delete(dialog.key);
          this.replaced[leg] = d;
          this.m.owner.set(d.key, { call: this, leg });
          this.notifyTransferor(dialog, 'SIP/2.0 200 OK', true);
          this.sendByeOn(dialog);
          this.log.info({ call: this.id, transferredTo: phone.internalNumber, leg }, 'blind transfer completed');
        },
        onTimeout: () => settle(408),
        onTransportError: () => settle(503),
      });
    }
  }

  /**
   * Attended transfer (RFC 5589 §7): the party on `leg` (the transferor)
   * talks to us in two calls, this one and the one its Refer-To's Replaces
   * names (RFC 3891), and asks us to connect the other party of this call
   * (the transferee) with the other party of that one (the target). A real
   * transferee would send the target an INVITE with Replaces; we are the
   * target's peer already, so nothing rings: the target gets a re-INVITE on
   * its existing dialog moving its media to this call's relay (same leg as
   * the transferor's), its dialog takes the transferor's place, the
   * transferor is released on both calls and the other call ends without
   * BYE to the target. Failures are reported in the final NOTIFY, as the
   * transferee's INVITE with Replaces would have been (RFC 3515 §2.4.5), and
   * both calls are left as they were.
   */
  private attendedTransfer(leg: LegId, dialog: Dialog, req: SipRequest, tx: ServerTransactionHandle, replaces: string): void {
    // Replaces = callid *(SEMI replaces-param); to-tag and from-tag are mandatory (RFC 3891 §6.1).
    const [callId, ...params] = replaces.split(';').map((p) => p.trim());
    const param = (name: string): string | undefined => {
      const p = params.find((x) => x.toLowerCase().startsWith(`${name}=`));
      return p?.slice(name.length + 1);
    };
    const toTag = param('to-tag');
    const fromTag = param('from-tag');
    if (!callId || !toTag || !fromTag || !this.relay) {
      tx.respond(createResponse(req, 400, 'Bad Refer-To'));
      return;
    }
    tx.respond(createResponse(req, 202, 'Accepted', [['Contact', this.m.contact(this.legTransport(leg))]]));
    this.notifyTransferor(dialog, 'SIP/2.0 100 Trying', false);
    // The Replaces names the transferor's dialog as the transferor sees it: its to-tag is ours (our local
    // tag), its from-tag the transferor's (our remote tag).
    const replacedDialog = this.m.dialogs.get({ callId, localTag: toTag, remoteTag: fromTag });
    const owned = replacedDialog ? this.m.owner.get(replacedDialog.key) : undefined;
    const other = owned?.call;
    // RFC 3891 §3: "If no match is found, the UAS rejects the INVITE and returns a 481 Call/Transaction
    // Does Not Exist response." We stand for the transferee's INVITE: the 481 goes into the final NOTIFY.
    // The same for a dialog that is this call, not the transferor's, or of a call not (or no longer) answered.
    if (
      !replacedDialog ||
      !owned ||
      !other ||
      other === this ||
      other.ended ||
      other.state !== 'answered' ||
      !other.relay ||
      replacedDialog.state !== 'confirmed' ||
      other.partyOf(owned.leg).mac === undefined ||
      other.partyOf(owned.leg).mac !== this.partyOf(leg).mac
    ) {
      this.log.info({ call: this.id, replaces }, 'attended transfer: Replaces matches no call of the transferor');
      this.notifyTransferor(dialog, 'SIP/2.0 481 Call/Transaction Does Not Exist', true);
      return;
    }
    const targetLeg: LegId = owned.leg === 'a' ? 'b' : 'a';
    const targetDialog = other.dialogOf(targetLeg);
    if (!targetDialog || targetDialog.state !== 'confirmed' || other.pending || other.busyTransferring() || this.pending) {
      // §14.1: an offer is already under way on one of the dialogs concerned.
      this.notifyTransferor(dialog, 'SIP/2.0 491 Request Pending', true);
      return;
    }
    const transferee: LegId = leg === 'a' ? 'b' : 'a';
    this.attended = true;
    other.attended = true;
    // The target's dialog keeps its o= session (RFC 3264 §8: same session id, version + 1) on our relay's leg.
    const session = targetLeg === 'a' ? other.a.session : other.bSession;
    session.version++;
    const body = this.m.deps.sdp.offer(session, this.relay.local(leg), this.formats, 'sendrecv', 20);
    this.offerOn(targetDialog, body, (res) => {
      this.attended = false;
      other.attended = false;
      const parsed = typeof res !== 'number' && res.body.length > 0 ? this.m.deps.sdp.read(res.body) : undefined;
      if (typeof res === 'number' || !parsed?.ok || !this.relay || this.ended || other.ended) {
        const status = typeof res === 'number' ? res : 488;
        this.log.info({ call: this.id, status }, 'attended transfer failed: the target refused the new media');
        // RFC 3261 §14.1: "If a UA receives a non-2xx final response to a re-INVITE, the session parameters MUST
        // remain unchanged, as if no re-INVITE had been issued." Both calls go on as they were.
        this.notifyTransferor(dialog, `SIP/2.0 ${status} ${status === 491 ? 'Request Pending' : 'Failed'}`, true);
        return;
      }
      // The target takes the transferor's place: same relay leg, new remote (the latch resets on a new address).
      this.relay.setRemote(leg, parsed.sdp.remote);
      if (leg === 'a') {
        this.a.session = session;
        this.a.offer = parsed.sdp;
        this.a.lastSdp = body;
      } else {
        this.bSession = session;
        this.bRemoteKey = parsed.sdp.originKey;
        this.bLastSdp = body;
      }
      this.m.owner.delete(dialog.key);
      this.replaced[leg] = targetDialog;
      this.m.owner.set(targetDialog.key, { call: this, leg });
      this.notifyTransferor(dialog, 'SIP/2.0 200 OK', true);
      this.sendByeOn(dialog);
      other.sendByeOn(replacedDialog);
      // The other call ends here: its relay is closed, its dialogs released except the target's, now ours.
      other.end('transferred');
      this.resumeIfHeld(transferee);
      this.log.info({ call: this.id, replacedCall: other.id, leg }, 'attended transfer completed');
    });
  }

  /** Did an attended transfer move a dialog of this call, or is one under way? */
  private attended = false;

  busyTransferring(): boolean {
    return this.attended || (this.transfer !== undefined && !this.transfer.done);
  }

  /**
   * A transferor usually held the transferee before calling the target: once
   * the transferee is connected to the target, it is offered sendrecv again
   * unless its last SDP already says so (RFC 3264 §8.4).
   */
  private resumeIfHeld(leg: LegId): void {
    this.stopHoldMusic(leg);
    const d = this.dialogOf(leg);
    const current = leg === 'a' ? this.a.offer.remote.direction : undefined;
    if (!d || !this.relay || current === undefined || current === 'sendrecv') return;
    this.a.session.version++;
    const body = this.m.deps.sdp.offer(this.a.session, this.relay.local('a'), this.formats, 'sendrecv', this.a.offer.remote.ptimeMs);
    this.a.lastSdp = body;
    this.attended = true;
    this.offerOn(d, body, (res) => {
      this.attended = false;
      if (typeof res === 'number') {
        this.log.info({ call: this.id, status: res }, 'the transferee refused to be taken off hold');
        return;
      }
      const parsed = res.body.length > 0 ? this.m.deps.sdp.read(res.body) : undefined;
      if (parsed?.ok && this.relay && !this.ended) {
        this.relay.setRemote('a', parsed.sdp.remote);
        this.a.offer = parsed.sdp;
      }
    });
  }

  /** A re-INVITE of ours with an offer on a dialog: every 2xx is ACKed (§13.2.2.4), `done` is told once. */
  private offerOn(d: Dialog, body: Buffer, done: (res: SipResponse | number) => void): void {
    let settled = false;
    const finish = (res: SipResponse | number): void => {
      if (settled) return;
      settled = true;
      done(res);
    };
    let out: ReturnType<Dialog['createRequest']>;
    try {
      out = d.createRequest('INVITE', { headers: [['Content-Type', 'application/sdp'], ['Allow', ALLOW]], body });
    } catch {
      finish(481);
      return;
    }
    const invite = out.request;
    const sent = this.m.deps.sip.sendRequest(invite, out.destination, {
      onResponse: (res) => {
        d.receiveResponse(res);
        if (res.status < 200) return;
        if (res.status >= 300) {
          finish(res.status);
          return;
        }
        const ack = d.createAck(invite);
        this.m.deps.sip.sendStateless(ack.request, ack.destination);
        finish(res);
      },
      onTimeout: () => finish(408),
      onTransportError: () => finish(503),
    });
    if (!sent) finish(503);
  }

  private legTransport(leg: LegId): string {
    return leg === 'a' ? this.a.source.transport : (this.winner?.destination.transport ?? 'UDP');
  }

  /** RFC 3515 §2.4.5: NOTIFY with the transfer's progress as message/sipfrag. */
  private notifyTransferor(dialog: Dialog, statusLine: string, final: boolean): void {
    if (dialog.state === 'terminated') return;
    try {
      const out = dialog.createRequest('NOTIFY', {
        headers: [
          ['Event', 'refer'],
          ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
          ['Content-Type', 'message/sipfrag;version=2.0'],
        ],
        body: Buffer.from(`${statusLine}\r\n`),
      });
      this.m.deps.sip.sendRequest(out.request, out.destination, IGNORE_RESPONSES);
    } catch (err) {
      this.log.debug({ call: this.id, err: (err as Error).message }, 'cannot NOTIFY the transferor');
    }
  }

  sendBye(leg: LegId): void {
    const d = this.dialogOf(leg);
    if (d) this.sendByeOn(d);
  }

  private sendByeOn(d: Dialog): void {
    if (d.state === 'terminated') return;
    if (d.role === 'uas' && d.state === 'early') return; // the callee side of an early dialog cannot BYE (§15)
    try {
      const out = d.createRequest('BYE');
      this.m.deps.sip.sendRequest(out.request, out.destination, IGNORE_RESPONSES);
    } catch (err) {
      this.log.debug({ call: this.id, err: (err as Error).message }, 'no BYE possible on this dialog');
    }
    d.terminate('local');
  }

  /** BYE received on one leg: 200, BYE on the other, call over. */
  byeFrom(leg: LegId, req: SipRequest, tx: ServerTransactionHandle): void {
    tx.respond(createResponse(req, 200, 'OK'));
    this.dialogOf(leg)?.terminate('bye');
    // The callee hung up during its voice presentation: the caller, not yet answered, gets a final response.
    if (leg === 'b' && this.a.tx && !this.a.final) this.respondA(480, 'Temporarily Unavailable');
    // A callback's requester can hang up while the callee still rings.
    for (const l of this.bLegs) this.cancelLeg(l);
    this.sendBye(leg === 'a' ? 'b' : 'a');
    this.end(leg === 'a' ? 'caller-bye' : 'callee-bye');
  }

  /**
   * re-INVITE on one leg. Same SDP version: a session refresh (RFC 4028),
   * answered here with our last SDP. A changed SDP (hold, resume, new
   * address): relayed as a re-INVITE on the other leg, and the other side's
   * answer decides ours (§14).
   */
  reinviteFrom(leg: LegId, req: SipRequest, tx: ServerTransactionHandle): void {
    const dialog = this.dialogOf(leg);
    const other: LegId = leg === 'a' ? 'b' : 'a';
    const otherDialog = this.dialogOf(other);
    if (!dialog || !otherDialog || !this.relay || this.state !== 'answered') {
      tx.respond(createResponse(req, 491, 'Request Pending'));
      return;
    }
    if (this.pending || this.attended) {
      // §14.2: a re-INVITE while one is in progress: 491, the peer retries later.
      tx.respond(createResponse(req, 491, 'Request Pending', [['Retry-After', '1']]));
      return;
    }
    const lastOurs = leg === 'a' ? this.a.lastSdp : this.bLastSdp;
    if (req.body.length === 0) {
      // A late-offer re-INVITE: our current SDP is the offer; the ACK will carry the answer, which we take as is.
      this.respondInDialog(req, tx, dialog, 200, lastOurs);
      return;
    }
    const parsed = this.m.deps.sdp.read(req.body);
    if (!parsed.ok) {
      tx.respond(createResponse(req, 488, 'Not Acceptable Here'));
      return;
    }
    const previousKey = leg === 'a' ? this.a.offer.originKey : this.bRemoteKey;
    if (parsed.sdp.originKey === previousKey && lastOurs) {
      this.respondInDialog(req, tx, dialog, 200, lastOurs);
      return;
    }
    this.relay.setRemote(leg, parsed.sdp.remote);
    if (leg === 'a') this.a.offer = parsed.sdp;
    else this.bRemoteKey = parsed.sdp.originKey;
    this.pending = { from: leg, request: req, tx, offer: parsed.sdp };
    const session = other === 'a' ? this.a.session : this.bSession;
    session.version++;
    const body = this.m.deps.sdp.offer(session, this.relay.local(other), this.formats, parsed.sdp.remote.direction, parsed.sdp.remote.ptimeMs);
    if (other === 'a') this.a.lastSdp = body;
    else this.bLastSdp = body;
    const out = otherDialog.createRequest('INVITE', { headers: [['Content-Type', 'application/sdp'], ['Allow', ALLOW]], body });
    const pending = this.pending;
    this.m.deps.sip.sendRequest(out.request, out.destination, {
      onResponse: (res) => this.onReinviteResponse(pending, other, out.request, res),
      onTimeout: () => this.onReinviteFailed(pending, 408),
      onTransportError: () => this.onReinviteFailed(pending, 503),
    });
  }

  bRemoteKey = '';

  private onReinviteResponse(p: PendingReinvite, other: LegId, invite: SipRequest, res: SipResponse): void {
    const otherDialog = this.dialogOf(other);
    otherDialog?.receiveResponse(res);
    if (res.status < 200) return;
    if (res.status >= 300) {
      this.onReinviteFailed(p, res.status);
      return;
    }
    if (otherDialog) {
      const ack = otherDialog.createAck(invite);
      this.m.deps.sip.sendStateless(ack.request, ack.destination);
    }
    if (this.pending !== p) return; // a retransmitted 2xx: ACKed again above
    this.pending = undefined;
    const parsed = res.body.length > 0 ? this.m.deps.sdp.read(res.body) : undefined;
    if (parsed?.ok && this.relay) {
      this.relay.setRemote(other, parsed.sdp.remote);
      if (other === 'a') this.a.offer = parsed.sdp;
      else this.bRemoteKey = parsed.sdp.originKey;
    }
    const fromDialog = this.dialogOf(p.from);
    if (!fromDialog || !this.relay) return;
    const session = p.from === 'a' ? this.a.session : this.bSession;
    session.version++;
    // What the other side accepted (its own view) is what we can do towards this side: §6.1 derives the rest.
    const wanted = parsed?.ok ? parsed.sdp.remote.direction : 'sendrecv';
    const answer = this.m.deps.sdp.answer(p.offer, session, this.relay.local(p.from), this.formats, wanted);
    if (!answer.ok) {
      p.tx.respond(createResponse(p.request, 488, 'Not Acceptable Here'));
      return;
    }
    if (p.from === 'a') this.a.lastSdp = answer.body;
    else this.bLastSdp = answer.body;
    this.respondInDialog(p.request, p.tx, fromDialog, 200, answer.body);
    // VOX-2: the party put on hold hears the music; taken off hold, its correspondent again.
    const holding = p.offer.remote.direction === 'sendonly' || p.offer.remote.direction === 'inactive';
    if (holding) this.startHoldMusic(other);
    else this.stopHoldMusic(other);
  }

  /** Legs hearing music on hold. */
  private readonly onHoldMusic = new Set<LegId>();

  private startHoldMusic(leg: LegId): void {
    const music = this.m.deps.holdMusic?.();
    if (!music || !this.relay || this.onHoldMusic.has(leg)) return;
    this.onHoldMusic.add(leg);
    this.relay.attachPlayer(leg, new WavPlayer(music, { loop: true }));
    this.log.info({ call: this.id, leg }, 'music on hold');
  }

  private stopHoldMusic(leg: LegId): void {
    if (!this.onHoldMusic.delete(leg)) return;
    this.relay?.detachPlayer(leg);
  }

  private onReinviteFailed(p: PendingReinvite, status: number): void {
    if (this.pending !== p) return;
    this.pending = undefined;
    p.tx.respond(createResponse(p.request, status === 491 ? 491 : 488, status === 491 ? 'Request Pending' : 'Not Acceptable Here'));
  }

  private respondInDialog(req: SipRequest, tx: ServerTransactionHandle, dialog: Dialog, status: number, body?: Buffer): void {
    const onA = dialog === this.dialogOf('a');
    const headers: Array<[string, string]> = [['Contact', this.m.contact(this.legTransport(onA ? 'a' : 'b'))], ['Allow', ALLOW]];
    if (onA && status >= 200 && status < 300) headers.push(...this.sessionTimerHeaders());
    if (body) headers.push(['Content-Type', 'application/sdp']);
    const res = createResponse(req, status, undefined, headers, body, {});
    dialog.responseSent(res);
    tx.respond(res);
  }

  /** Releases everything the call holds, once: timers, media ports, dialogs, and writes the journal. */
  end(reason: CallEndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.state = 'ended';
    this.ringTimer?.cancel();
    for (const d of this.delayed) d.cancel();
    this.delayed = [];
    this.okTimer?.cancel();
    this.noAckTimer?.cancel();
    this.sessionTimerHandle?.cancel();
    // A message being recorded is kept when the caller hangs up (before the relay goes).
    this.voice?.callerHungUp();
    this.voice = undefined;
    const stats = this.relay ? { a: this.relay.stats('a'), b: this.relay.stats('b') } : undefined;
    this.relay?.close();
    const release = (d: Dialog | undefined): void => {
      if (!d) return;
      // An attended transfer moved this dialog to another call (RFC 5589 §7): it lives on there.
      const o = this.m.owner.get(d.key);
      if (o && o.call !== this) return;
      if (d.state !== 'terminated') d.terminate('local');
      this.m.owner.delete(d.key);
    };
    for (const l of this.bLegs) for (const d of l.dialogs.dialogs()) release(d);
    release(this.a.dialog);
    // Dialogs a transfer brought in (the target's, and the forks that lost).
    for (const d of Object.values(this.replaced)) release(d);
    for (const d of this.transfer?.forks.flatMap((f) => f.dialogs.dialogs()) ?? []) release(d);
    const now = this.m.deps.clock.monotonic();
    // Voicemail or the auto attendant answering the caller is not a person answering: for the journal it was missed (LOG-1).
    const answered = this.answeredAt !== undefined || (this.answeredMono !== undefined && !this.answeredByPbx);
    const outbound = this.target.kind === 'external' || (this.target.kind === 'refuse' && this.target.external);
    const inbound = this.a.phone === undefined;
    // Calls meant for us (a phone, a group, a public number) that nobody answered are "missed" (LOG-1).
    const forUs = this.target.kind === 'phone' || this.target.kind === 'group' || this.target.kind === 'number' || this.target.kind === 'voicemail';
    const phones = new Set<string>();
    if (this.a.phone) phones.add(this.a.phone.mac);
    if (this.target.kind === 'phone') phones.add(this.target.phone.mac);
    for (const mac of this.rang) phones.add(mac);
    // A feature code (a recording by code included) is not a call: it is not journaled.
    if (this.target.kind !== 'feature' && this.target.kind !== 'record')
      this.m.deps.journal.add({
        startedAt: this.startedAt,
        durationSeconds: answered ? Math.round((now - this.answeredMono!) / 1000) : 0,
        from: this.a.phone?.internalNumber ?? this.a.party.number,
        to: this.dialled,
        ...(answered ? { answeredBy: this.winner?.target.number ?? this.dialled } : {}),
        direction: inbound ? 'inbound' : outbound ? 'outbound' : 'internal',
        // LOG-1 "missed": the callee could have answered (rang, busy, or not reachable); "failed": refused or broken.
        // An outbound call nobody answered is the caller's own: "failed" unless they gave up (cancelled).
        outcome: answered
          ? 'answered'
          : forUs && (reason === 'cancelled' || reason === 'no-answer' || reason === 'busy' || reason === 'unavailable' || this.answeredByPbx)
            ? 'missed'
            : 'failed',
        phones: [...phones],
        ...(this.a.phone ? { callerPhone: this.a.phone.mac } : {}),
      });
    if (reason === 'busy' && this.a.phone && this.target.kind === 'phone') this.m.noteBusy(this.a.phone.mac, this.target.phone.mac);
    this.log.info(
      { call: this.id, reason, caller: this.a.party.number, callee: this.dialled, callback: this.a.tx ? undefined : true, rtp: stats ? { a: stats.a.packetsReceived, b: stats.b.packetsReceived } : undefined },
      'call ended',
    );
    this.m.forget(this);
  }
}

/** RFC 3261 §20.43 Warning 399 (miscellaneous) from us, the text as a quoted-string without quotes or backslashes. */
function warningHeader(text: string): [string, string] {
  return ['Warning', `399 pbxgate "${text.replace(/["\\]/g, "'")}"`];
}

/** The number a call target is known by, for logs, the journal and the To of the INVITEs. */
function targetNumber(t: CallTarget): string {
  switch (t.kind) {
    case 'phone':
      return t.phone.internalNumber;
    case 'group':
      return t.group.internalNumber;
    case 'voicemail':
      return '888';
    case 'attendant':
      return 'attendant';
    case 'record':
      return '*35*2';
    case 'number':
    case 'external':
      return t.number;
  }
}

/** The caller of a call from the trunk: P-Asserted-Identity (RFC 3325), else From; withheld when Privacy asks or From is anonymous. */
function trunkCaller(req: SipRequest): { number: string; anonymous: boolean } {
  const userOf = (value: string | undefined): string => {
    const na = value ? parseNameAddr(value) : undefined;
    if (!na) return '';
    if (isSipUri(na.uri)) return na.uri.user ?? '';
    return na.uri.scheme === 'tel' && 'number' in na.uri ? na.uri.number : '';
  };
  const pai = userOf(req.headers.get('p-asserted-identity'));
  const from = userOf(req.headers.get('from'));
  const privacy = (req.headers.get('privacy') ?? '').toLowerCase();
  const raw = pai || from;
  const number = normaliseNational(raw) ?? raw.replace(/[^\d+]/g, '');
  const anonymous = /\b(id|user|header)\b/.test(privacy) || /^anonymous$/i.test(from) || number === '';
  return { number: anonymous ? '' : number, anonymous };
}

/** A party as presented to a phone we call on its behalf (transfer targets). */
interface Party {
  number: string;
  display: string;
  /** Our phone on that side, if it is one. */
  mac?: string;
}

function phoneParty(phone: Phone): Party {
  return { number: phone.internalNumber, display: `${phone.firstName} ${phone.lastName}`.trim() || phone.internalNumber, mac: phone.mac };
}

/** A fork still ringing (or about to). */
function isLive(l: BLeg): boolean {
  return l.state === 'calling' || l.state === 'proceeding';
}

function sameTarget(x: RingTarget, y: RingTarget): boolean {
  return x.kind === 'phone' && y.kind === 'phone' ? x.mac === y.mac : x.kind === 'external' && y.kind === 'external' && x.number === y.number;
}

const IGNORE_RESPONSES: ClientTransactionUser = {
  onResponse: () => {},
  onTimeout: () => {},
  onTransportError: () => {},
};

/**
 * The B2BUA between phones (issue 4): routes INVITEs by internal number
 * (NUM-2, NUM-3) to every registered contact of the callee, relays
 * provisional and final responses, CANCEL, BYE and re-INVITEs, and releases
 * every resource of a call on every path.
 */
export class CallManager {
  readonly dialogs = new DialogStore();
  /** Dialog key -> the call and leg it belongs to. */
  readonly owner = new Map<string, { call: Call; leg: LegId }>();
  private readonly calls = new Set<Call>();
  private readonly byInvite = new WeakMap<SipRequest, Call>();
  readonly viaFor: (d: Destination) => ViaSentBy;

  constructor(readonly deps: CallManagerDeps) {
    const adv = deps.sip.advertise;
    this.viaFor = (d) => ({ transport: d.transport.toUpperCase(), host: adv.host, port: adv.port });
  }

  contact(transport: string): string {
    const adv = this.deps.sip.advertise;
    const t = transport.toUpperCase();
    return `<sip:pbx@${adv.host}:${adv.port}${t === 'UDP' ? '' : `;transport=${t.toLowerCase()}`}>`;
  }

  activeCalls(): CallSnapshot[] {
    return [...this.calls].map((c) => c.snapshot());
  }

  count(): number {
    return this.calls.size;
  }

  private lastCounts = { active: 0, ringing: 0 };

  /** Calls ringing now (ringing or early media), as of the last state change: cheap, for the LEDs. */
  ringingCount(): number {
    return this.lastCounts.ringing;
  }

  /** A call's state changed, or a call ended: tell the listener when the counts moved. */
  changed(): void {
    let active = 0;
    let ringing = 0;
    for (const c of this.calls) {
      if (c.ended) continue;
      active++;
      if (c.state === 'ringing' || c.state === 'early-media') ringing++;
    }
    if (active === this.lastCounts.active && ringing === this.lastCounts.ringing) return;
    this.lastCounts = { active, ringing };
    this.deps.onCallsChanged?.({ active, ringing });
  }

  forget(call: Call): void {
    this.calls.delete(call);
    this.changed();
    // Its phones are free again: a callback waiting for them may start (after CALLBACK_SETTLE_MS).
    const now = this.deps.clock.monotonic();
    if (call.a.phone) this.freedAt.set(call.a.phone.mac, now);
    if (call.winner?.target.kind === 'phone') this.freedAt.set(call.winner.target.mac, now);
    if (this.callbackQueue.length > 0) this.scheduleCallbacks(0);
  }

  // --- automatic callback (FWD-6) ---

  private callbackQueue: CallbackRequest[] = [];
  /** Caller MAC -> the phone that was busy for it, and when (monotonic ms). */
  private readonly lastBusy = new Map<string, { target: string; at: number }>();
  /** Phone MAC -> when its last call ended (monotonic ms). */
  private readonly freedAt = new Map<string, number>();
  /** Callbacks ringing their requester (the dialer; none yet while the relay is being allocated). */
  private readonly dialing = new Map<CallbackRequest, CallbackDialer | undefined>();
  private callbackTimer?: TimerHandle;
  /** How often waiting callbacks are looked at (registrations come and go without telling us). */
  static readonly CALLBACK_POLL_MS = 5_000;

  /** A call from `caller` found `target` busy: `*37` may ask for a callback from it. */
  noteBusy(caller: string, target: string): void {
    this.lastBusy.set(caller, { target, at: this.deps.clock.monotonic() });
  }

  /** What `*37`/`#37`/`**37` from this phone needs to know (pbx/features). */
  callbackContext(mac: string): CallbackContext {
    const busy = this.lastBusy.get(mac);
    const recent = busy && this.deps.clock.monotonic() - busy.at <= LAST_BUSY_WINDOW_MS ? busy.target : undefined;
    const pending = this.callbackQueue.find((r) => r.requester === mac)?.target;
    return { ...(recent !== undefined ? { lastBusy: recent } : {}), ...(pending !== undefined ? { pending } : {}) };
  }

  applyCallback(change: CallbackChange): void {
    this.callbackQueue = applyCallbackChange(this.callbackQueue, change, this.deps.clock.monotonic());
    if (change.kind === 'request') this.lastBusy.delete(change.requester);
    this.scheduleCallbacks(0);
  }

  /** Waiting callback requests, oldest first (console, API). */
  pendingCallbacks(): Array<CallbackRequest & { ringing: boolean }> {
    return [
      ...[...this.dialing.keys()].map((r) => ({ ...r, ringing: true })),
      ...[...this.callbackQueue].sort((x, y) => x.requestedAt - y.requestedAt).map((r) => ({ ...r, ringing: false })),
    ];
  }

  private scheduleCallbacks(ms: number): void {
    this.callbackTimer?.cancel();
    this.callbackTimer = undefined;
    if (this.callbackQueue.length === 0) return;
    this.callbackTimer = this.deps.clock.setTimeout(() => {
      this.callbackTimer = undefined;
      this.runCallbacks();
    }, ms);
  }

  /** Starts the callbacks that are due, drops the expired ones, and looks again later while some wait. */
  private runCallbacks(): void {
    const cfg = this.deps.config();
    const now = this.deps.clock.monotonic();
    const live = this.live(cfg);
    const engaged = new Set([...this.dialing.keys()].flatMap((r) => [r.requester, r.target]));
    const round = dueCallbacks(this.callbackQueue, new Set(cfg.phones.map((p) => p.mac)), { registered: live.registered, busy: live.busy, engaged, freedAt: this.freedAt }, now);
    this.callbackQueue = round.queue;
    for (const r of round.expired) this.deps.log.info({ requester: r.requester, target: r.target }, 'automatic callback request expired (FWD-6)');
    for (const r of round.start) this.startCallback(cfg, r);
    if (this.callbackQueue.length > 0) this.scheduleCallbacks(Math.max(0, Math.min(round.wakeAt ?? Infinity, now + CallManager.CALLBACK_POLL_MS) - now));
  }

  /**
   * FWD-6: ring the requester with our offer (From: the phone that was
   * busy, so its screen says who calls back); once it answers, its dialog
   * becomes the A leg of a call to that phone, run like any internal call
   * (one ring step; the requester hears ringback meanwhile).
   */
  private startCallback(cfg: Readonly<Config>, r: CallbackRequest): void {
    const requester = cfg.phones.find((p) => p.mac === r.requester);
    const target = cfg.phones.find((p) => p.mac === r.target);
    if (!requester || !target) return;
    const log = this.deps.log;
    log.info({ requester: requester.internalNumber, target: target.internalNumber }, 'automatic callback: ringing the requester (FWD-6)');
    this.dialing.set(r, undefined);
    void (async () => {
      let relay: RelayCall;
      try {
        relay = await this.deps.media.createRelayCall();
      } catch (err) {
        this.dialing.delete(r);
        log.error({ err: (err as Error).message }, 'automatic callback: no media ports; the request waits');
        this.callbackQueue = applyCallbackChange(this.callbackQueue, { kind: 'request', requester: r.requester, target: r.target }, r.requestedAt);
        this.scheduleCallbacks(CallManager.CALLBACK_POLL_MS);
        return;
      }
      if (this.stopped) {
        this.dialing.delete(r);
        relay.close();
        return;
      }
      const session: LocalSession = { sessionId: String(Math.floor(Math.random() * 1e9)), version: 1, address: this.deps.sip.advertise.host };
      const offer = this.deps.sdp.offer(session, relay.local('a'), SUPPORTED_FORMATS, 'sendrecv', 20);
      const dialer = new CallbackDialer(this.dialerPorts(), this.deps.contactsOf(requester.mac), phoneParty(target), requester.internalNumber, offer, cfg.sip.ringTimeoutSeconds, (outcome) => {
        this.dialing.delete(r);
        if (!outcome.ok) {
          relay.close();
          log.info({ requester: requester.internalNumber, target: target.internalNumber, status: outcome.status }, 'automatic callback: the requester did not answer; request dropped');
          this.scheduleCallbacks(0);
          return;
        }
        const answer = outcome.answer.length > 0 ? this.deps.sdp.read(outcome.answer) : undefined;
        if (!answer?.ok) {
          relay.close();
          log.warn({ requester: requester.internalNumber }, 'automatic callback: the requester answered without usable SDP');
          try {
            const bye = outcome.dialog.createRequest('BYE');
            this.deps.sip.sendRequest(bye.request, bye.destination, IGNORE_RESPONSES);
          } catch {
            // The dialog cannot carry a BYE: nothing more to do.
          }
          outcome.dialog.terminate('local');
          return;
        }
        const call = new Call(
          this,
          { invite: outcome.invite, source: outcome.destination, phone: requester, party: phoneParty(requester), toTag: '', dialog: outcome.dialog, offer: answer.sdp, session, lastSdp: offer },
          target.internalNumber,
          { kind: 'phone', phone: target },
          { steps: [{ kind: 'ring', label: `callback: ${target.internalNumber}`, targets: [{ kind: 'phone', mac: target.mac, number: target.internalNumber }], seconds: cfg.sip.ringTimeoutSeconds }], explain: ['automatic callback (FWD-6)'] },
          relay,
        );
        this.owner.set(outcome.dialog.key, { call, leg: 'a' });
        this.calls.add(call);
        this.changed();
        log.info({ call: call.id, requester: requester.internalNumber, target: target.internalNumber }, 'automatic callback: the requester answered, ringing the callee');
        void call.start().catch((err: unknown) => {
          this.deps.log.error({ call: call.id, err: (err as Error).message }, 'callback setup failed');
          call.reject(500, 'Server Internal Error', 'error');
        });
      });
      this.dialing.set(r, dialer);
      dialer.start();
    })();
  }

  private stopped = false;

  private dialerPorts() {
    return { clock: this.deps.clock, sip: this.deps.sip, dialogs: this.dialogs, viaFor: this.viaFor, contact: (t: string) => this.contact(t) };
  }

  /** What a phone's busy lamp shows (RFC 4235, issue 9): busy in a call, ringing (with the caller), or idle. */
  watchedState(mac: string): WatchedState {
    let ringing: WatchedState | undefined;
    for (const c of this.calls) {
      if (c.ended) continue;
      if (c.a.phone?.mac === mac || (c.state === 'answered' && c.winner?.target.kind === 'phone' && c.winner.target.mac === mac)) return { state: 'busy', callId: c.id };
      if (!ringing && !c.winner && c.bLegs.some((l) => isLive(l) && l.target.kind === 'phone' && l.target.mac === mac)) ringing = { state: 'ringing', caller: c.a.party.number, callId: c.id };
    }
    return ringing ?? { state: 'idle' };
  }

  /** Phones in a call: placing one, or talking (a phone that only rings is free). */
  busyPhones(): Set<string> {
    const busy = new Set<string>();
    for (const c of this.calls) {
      if (c.ended) continue;
      if (c.a.phone) busy.add(c.a.phone.mac);
      if (c.state === 'answered' && c.winner?.target.kind === 'phone') busy.add(c.winner.target.mac);
    }
    return busy;
  }

  /** What the routing plan needs to know of now (pbx/routing LiveState). */
  private live(cfg: Readonly<Config>): LiveState {
    const registered = new Set(cfg.phones.filter((p) => this.deps.contactsOf(p.mac).length > 0).map((p) => p.mac));
    return { registered, busy: this.busyPhones(), now: this.deps.clock.now() };
  }

  /** The plan of a call to `target` (issue 6): who rings, in which order, and what comes after. */
  planFor(cfg: Readonly<Config>, caller: Caller, target: CallTarget): CallPlan {
    const numbering = this.deps.numbering?.() ?? BUILTIN_PLAN;
    let called: Called;
    switch (target.kind) {
      case 'external':
        return {
          steps: [
            {
              kind: 'ring',
              label: `operator: ${target.number}`,
              targets: [{ kind: 'external', number: target.number, presented: target.identity.hidden ? '' : target.identity.number, asserted: target.identity.number }],
              seconds: cfg.sip.ringTimeoutSeconds,
            },
          ],
          explain: [],
        };
      case 'voicemail':
        return { steps: [{ kind: 'voicemail', label: `voicemail of ${target.phone.internalNumber}`, mac: target.phone.mac, number: target.phone.internalNumber }], explain: ['888: own voicemail (NUM-7)'] };
      case 'phone':
        called = { kind: 'phone', phone: target.phone };
        break;
      case 'group':
        called = { kind: 'group', group: target.group };
        break;
      case 'number':
        called = { kind: 'number', number: target.number };
        break;
      case 'attendant':
        called = { kind: 'attendant' };
        break;
      case 'record':
        // No one is called: the PBX answers and records (Call.startRecording).
        return { steps: [], explain: [`*35*2: recording the pre-answer announcement of ${target.phone.internalNumber} (VOX-5)`] };
    }
    return planCall(cfg, numbering, this.live(cfg), caller, called);
  }

  /** Trunk lines in use (NUM-8): calls from the operator, and legs to it. */
  trunkLinesInUse(): number {
    let n = 0;
    for (const c of this.calls) if (!c.ended) n += c.trunkLines();
    return n;
  }

  /** A new INVITE (no To tag) from an authenticated phone. */
  newInvite(req: SipRequest, tx: ServerTransactionHandle, source: Destination, authUser: string): void {
    const cfg = this.deps.config();
    const respond = (status: number, reason?: string): void => {
      tx.respond(createResponse(req, status, reason, [], undefined, { toTag: newTag() }));
    };
    const caller = cfg.phones.find((p) => p.sip.username === authUser);
    if (!caller) {
      respond(403, 'Forbidden');
      return;
    }
    if (this.sessionIntervalTooSmall(req, tx)) return;
    // Directed pickup (issue 9 §3): a phone's INVITE with Replaces naming a ringing call (from its busy lamp).
    const replaces = req.headers.get('replaces');
    if (replaces !== undefined) {
      this.pickup(req, tx, source, caller, replaces);
      return;
    }
    const uri = parseUri(req.uri);
    const dialled = uri && isSipUri(uri) ? (uri.user ?? '') : '';
    const routing: Routing = this.deps.route ? this.deps.route(caller, dialled, this.externalCalls()) : this.phoneByNumber(cfg, dialled);
    // A late offer would need us to offer to B first and carry its answer in the ACK; phones here send early offers.
    const offer = req.body.length === 0 ? ({ ok: false, reason: 'no SDP offer' } as const) : this.deps.sdp.read(req.body);
    if (routing.kind === 'refuse' && !offer.ok) {
      // No usable offer to play a tone on: the final response alone.
      tx.respond(createResponse(req, routing.status, routing.reason, [warningHeader(routing.warning)], undefined, { toTag: newTag() }));
      this.deps.journal.add({
        startedAt: this.deps.clock.now(),
        durationSeconds: 0,
        from: caller.internalNumber,
        to: routing.number,
        direction: routing.external ? 'outbound' : 'internal',
        outcome: 'failed',
        phones: [caller.mac],
        callerPhone: caller.mac,
      });
      return;
    }
    const late = req.body.length === 0;
    if (!offer.ok && !late) {
      tx.respond(createResponse(req, 488, 'Not Acceptable Here', [warningHeader(offer.reason)], undefined, { toTag: newTag() }));
      return;
    }
    // FWD-6: a busy callee may be asked for a callback with `*37`, whatever its busy forward does with this call.
    if (routing.kind === 'call' && routing.target.kind === 'phone' && this.busyPhones().has(routing.target.phone.mac)) this.noteBusy(caller.mac, routing.target.phone.mac);
    const plan = routing.kind === 'call' ? this.planFor(cfg, { kind: 'phone', phone: caller }, routing.target) : undefined;
    const call = new Call(
      this,
      {
        invite: req,
        tx,
        source,
        phone: caller,
        party: phoneParty(caller),
        toTag: newTag(),
        ...(offer.ok ? { offer: offer.sdp } : { offer: LATE_OFFER, late: true }),
        session: { sessionId: String(Math.floor(Math.random() * 1e9)), version: 1, address: this.deps.sip.advertise.host },
      },
      routing.kind === 'call' ? targetNumber(routing.target) : routing.kind === 'refuse' ? routing.number : dialled,
      routing.kind === 'call' ? routing.target : routing,
      plan,
    );
    if (plan) this.logPlan(call.id, plan);
    this.calls.add(call);
    this.changed();
    this.byInvite.set(req, call);
    void call.start().catch((err: unknown) => {
      this.deps.log.error({ call: call.id, err: (err as Error).message, stack: (err as Error).stack }, 'call setup failed');
      call.reject(500, 'Server Internal Error', 'error');
    });
  }

  /** Without a dial plan (unit tests of the B2BUA alone): phones by internal number or SIP user name, groups by number. */
  private phoneByNumber(cfg: Readonly<Config>, dialled: string): Routing {
    const phone = cfg.phones.find((p) => p.internalNumber === dialled || p.sip.username === dialled);
    if (phone) return { kind: 'call', target: { kind: 'phone', phone } };
    const group = cfg.groups.find((g) => g.internalNumber === dialled);
    if (group) return { kind: 'call', target: { kind: 'group', group } };
    return { kind: 'refuse', status: 404, reason: 'Not Found', warning: `no such number ${dialled}`, tone: 'special-information', number: dialled, external: false };
  }

  /** External lines in use (NUM-8 capacity). */
  externalCalls(): number {
    return this.trunkLinesInUse();
  }

  logPlan(call: string, plan: CallPlan): void {
    this.deps.log.info({ call, plan: describePlan(plan.steps) }, `call plan: ${plan.explain.join('; ') || describePlan(plan.steps)}`);
  }

  /**
   * A new INVITE from the operator trunk (issue 6): a call to one of our
   * public numbers. The caller is the asserted identity (RFC 3325) or From;
   * withheld (Privacy: id, anonymous From) shows as anonymous. NUM-8: over
   * the purchased capacity the operator gets 486.
   */
  newTrunkInvite(req: SipRequest, tx: ServerTransactionHandle, source: Destination): void {
    const cfg = this.deps.config();
    const respond = (status: number, reason: string, warning?: string): void => {
      tx.respond(createResponse(req, status, reason, warning ? [warningHeader(warning)] : [], undefined, { toTag: newTag() }));
    };
    const uri = parseUri(req.uri);
    const ruriUser = uri && isSipUri(uri) ? (uri.user ?? '') : '';
    const toUri = parseNameAddr(req.headers.get('to') ?? '')?.uri;
    const toUser = toUri && isSipUri(toUri) ? (toUri.user ?? '') : '';
    const ours = (n: string): string | undefined => {
      const national = normaliseNational(n);
      if (national === undefined) return undefined;
      const c = cfg.company;
      const known = national === c.mainNumber || c.dids.includes(national) || cfg.phones.some((p) => p.did === national) || cfg.groups.some((g) => g.did === national);
      return known ? national : undefined;
    };
    // Operators put the DID in the Request-URI, or (registered trunks) our contact there and the DID in To.
    const called = ours(ruriUser) ?? ours(toUser);
    if (called === undefined) {
      this.deps.log.warn({ ruri: req.uri, to: toUser }, 'call from the trunk to a number that is not ours');
      respond(404, 'Not Found', `${ruriUser || toUser} is not a number of this installation`);
      return;
    }
    if (this.sessionIntervalTooSmall(req, tx)) return;
    const max = cfg.capacity.maxExternalCalls;
    if (this.trunkLinesInUse() >= max) {
      this.deps.log.warn({ called, max }, 'call from the trunk refused: every external line is in use (NUM-8)');
      respond(486, 'Busy Here', `all ${max} external lines are in use`);
      return;
    }
    const caller = trunkCaller(req);
    const offer = req.body.length === 0 ? ({ ok: false, reason: 'no SDP offer' } as const) : this.deps.sdp.read(req.body);
    const late = req.body.length === 0;
    if (!offer.ok && !late) {
      respond(488, 'Not Acceptable Here', offer.reason);
      return;
    }
    const target: CallTarget = { kind: 'number', number: called };
    const plan = this.planFor(cfg, { kind: 'external', number: caller.number, anonymous: caller.anonymous }, target);
    const call = new Call(
      this,
      {
        invite: req,
        tx,
        source,
        party: caller.anonymous ? { number: 'anonymous', display: 'Anonymous' } : { number: caller.number, display: caller.number },
        toTag: newTag(),
        ...(offer.ok ? { offer: offer.sdp } : { offer: LATE_OFFER, late: true }),
        session: { sessionId: String(Math.floor(Math.random() * 1e9)), version: 1, address: this.deps.sip.advertise.host },
      },
      called,
      target,
      plan,
    );
    this.logPlan(call.id, plan);
    this.calls.add(call);
    this.changed();
    this.byInvite.set(req, call);
    void call.start().catch((err: unknown) => {
      this.deps.log.error({ call: call.id, err: (err as Error).message, stack: (err as Error).stack }, 'call setup failed');
      call.reject(500, 'Server Internal Error', 'error');
    });
  }

  /**
   * Directed pickup (RFC 3891 §3 as the PBX applies it, issue 9 §3): the
   * Replaces header names one of our ringing calls by the call-id our
   * dialog-info published (the Call's id). The picking phone takes the call
   * as if it had answered it; the phones still ringing get CANCEL. A call
   * that is not ringing any more (answered, ended, unknown) gets 481
   * (RFC 3891: "If no match is found, the UAS rejects the INVITE and returns
   * a 481").
   */
  private pickup(req: SipRequest, tx: ServerTransactionHandle, source: Destination, picker: Phone, replaces: string): void {
    const callId = replaces.split(';')[0]!.trim();
    const call = [...this.calls].find((c) => c.id === callId);
    const offer = req.body.length > 0 ? this.deps.sdp.read(req.body) : undefined;
    if (call?.pickable()) {
      if (!offer?.ok) {
        tx.respond(createResponse(req, 488, 'Not Acceptable Here', [], undefined, { toTag: newTag() }));
        return;
      }
      call.pickedUp(req, tx, source, picker, offer.sdp);
      return;
    }
    // RFC 3891 proper: Call-ID, to-tag = our local tag, from-tag = our remote tag, of an answered call's dialog.
    const params = replaces.split(';').slice(1).map((p) => p.trim());
    const param = (name: string): string | undefined => params.find((x) => x.toLowerCase().startsWith(`${name}=`))?.slice(name.length + 1);
    const toTag = param('to-tag');
    const fromTag = param('from-tag');
    const dialog = toTag && fromTag ? this.dialogs.get({ callId, localTag: toTag, remoteTag: fromTag }) : undefined;
    const owned = dialog ? this.owner.get(dialog.key) : undefined;
    if (!dialog || !owned || owned.call.state !== 'answered') {
      this.deps.log.info({ picker: picker.internalNumber, replaces }, 'Replaces: no ringing or answered call matches');
      tx.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist', [], undefined, { toTag: newTag() }));
      return;
    }
    if (params.some((p) => p.toLowerCase() === 'early-only')) {
      // §3: "early-only" and the dialog is confirmed: 486 Busy Here.
      tx.respond(createResponse(req, 486, 'Busy Here', [], undefined, { toTag: newTag() }));
      return;
    }
    if (!offer?.ok) {
      tx.respond(createResponse(req, 488, 'Not Acceptable Here', [], undefined, { toTag: newTag() }));
      return;
    }
    owned.call.takenOver(owned.leg, req, tx, source, picker, offer.sdp);
  }

  /** RFC 4028 §8.1: a Session-Expires below our Min-SE gets 422 with Min-SE. */
  private sessionIntervalTooSmall(req: SipRequest, tx: ServerTransactionHandle): boolean {
    const st = decideSessionTimer(readSessionTimer(req));
    if (st.kind !== 'too-small') return false;
    tx.respond(createResponse(req, 422, 'Session Interval Too Small', [['Min-SE', String(st.minSe)]], undefined, { toTag: newTag() }));
    return true;
  }

  /** CANCEL (§9.2): 200 to it when it matches a pending INVITE of a call, else 481. */
  cancel(req: SipRequest, tx: ServerTransactionHandle): void {
    const inviteTx = this.deps.sip.findInviteForCancel(req);
    const call = inviteTx ? this.byInvite.get(inviteTx.request) : undefined;
    if (!inviteTx || !call) {
      tx.respond(createResponse(req, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    tx.respond(createResponse(req, 200, 'OK'));
    call.cancelledByCaller();
  }

  /** An in-dialog request (To tag present). Returns false when no dialog of ours matches (the caller answers 481). */
  inDialog(req: SipRequest, tx: ServerTransactionHandle): boolean {
    const dialog = this.dialogs.match(req);
    const owned = dialog ? this.owner.get(dialog.key) : undefined;
    if (!dialog || !owned) return false;
    const verdict = dialog.receiveRequest(req);
    if (verdict !== 'ok') {
      tx.respond(createResponse(req, verdict.reject, verdict.reason));
      return true;
    }
    const { call, leg } = owned;
    switch (req.method) {
      case 'BYE':
        call.byeFrom(leg, req, tx);
        return true;
      case 'INVITE':
        if (leg === 'a') call.sessionRefreshed();
        call.reinviteFrom(leg, req, tx);
        return true;
      case 'REFER':
        call.referFrom(leg, req, tx);
        return true;
      case 'UPDATE':
        // A session refresh (RFC 4028 §7.4) on the caller's leg restarts its session timer; our 2xx says the interval.
        if (leg === 'a') call.sessionRefreshed();
        tx.respond(createResponse(req, 200, 'OK', leg === 'a' ? call.sessionTimerHeaders() : []));
        return true;
      case 'INFO':
      case 'NOTIFY':
        // SIP INFO and stray NOTIFYs are answered on the leg that sent them.
        tx.respond(createResponse(req, 200, 'OK'));
        return true;
      default:
        tx.respond(createResponse(req, 405, 'Method Not Allowed', [['Allow', ALLOW]]));
        return true;
    }
  }

  /** ACK for a 2xx (§13.2.2.4): stops our 2xx retransmissions. */
  ack(ack: SipRequest): void {
    const dialog = this.dialogs.match(ack);
    const owned = dialog ? this.owner.get(dialog.key) : undefined;
    if (!owned) return;
    const cseq = getCSeq(ack.headers);
    if (owned.leg === 'a' && cseq && getCSeq(owned.call.a.invite.headers)?.seq === cseq.seq) owned.call.onAckFromA(ack);
  }

  /** Ends every call (service stop): BYE on answered legs, CANCEL or 503 on the others. */
  shutdown(): void {
    this.stopped = true;
    this.callbackTimer?.cancel();
    this.callbackTimer = undefined;
    for (const d of [...this.dialing.values()]) d?.abort(503);
    for (const c of [...this.calls]) {
      if (c.state === 'answered') {
        c.sendBye('a');
        c.sendBye('b');
        c.end('shutdown');
      } else c.reject(503, 'Service Unavailable', 'shutdown');
    }
  }
}
