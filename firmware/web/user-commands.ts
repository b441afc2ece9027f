import { z } from 'zod';
import { userLogin } from './auth.ts';
import { type Config, type ConfigStore, type JournalEntry, type JournalFilter, type Phone } from '../config/index.ts';
import { defineCommand, fail, noArgs, type CommandContext, type CommandRegistry } from '../api/index.ts';
import { checkForwardDestination as checkPhoneForwardDestination } from '../pbx/features.ts';
import type { NumberingPlan } from '../pbx/frenchplan/index.ts';
import { MAX_UPLOAD_BYTES, UPLOAD_BODY_LIMIT, importAnnouncement, type AnnouncementDeps } from '../pbx/announcement-commands.ts';
import type { StoredMessage } from '../pbx/voicemail/mailbox.ts';
import type { VoicemailService } from '../pbx/voicemail/service.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';

/**
 * The user web's commands (WEB-5, WEB-6): each acts on the logged-in user's
 * own phone only (`ctx.phone`, set by the login, never an argument), so a
 * user can never name another phone. Every change goes through
 * `ConfigStore.update` (whole-schema validation, atomic write); a refusal
 * throws before anything is stored. Forward destinations are checked by the
 * same pure code as the feature codes (pbx/features.ts, RES-4), so the web
 * and the phone keys agree.
 */

/** What `importGreeting` answers: the stored file and what was recognised. */
export interface GreetingImport {
  file: string;
  seconds: number;
  source: string;
}

export interface UserDeps {
  config: ConfigStore;
  /** The call journal (LOG-3): read only, filtered on the user's phone. */
  journal: { query(filter: JournalFilter): JournalEntry[] };
  /** The numbering plan the dial plan uses (main.ts: loadNumberingPlan), for RES-4 forward checks. */
  plan(): NumberingPlan;
  voicemail: Pick<VoicemailService, 'messages' | 'remove' | 'markSaved'> & { readonly mailboxes: { wavPath(mac: string, id: string): string } };
  /**
   * Replace the phone's voicemail greeting with an uploaded file (VOX-2,
   * VOX-3: checked by content; a refusal throws a PbxError and leaves the
   * previous greeting in place): `greetingImporter`.
   */
  importGreeting(mac: string, data: Buffer): GreetingImport | Promise<GreetingImport>;
}

/** KEY-1: keys per screen page, and in all with the "More" pages. */
export const KEYS_PER_PAGE = 9;
export const MAX_KEYS = 24;
/** The personal contacts the schema keeps per phone. */
export const MAX_CONTACTS = 50;

const ROLES_USER = ['user'] as const;


/** The logged-in user's phone; E_FORBIDDEN for any other role or a phone that is gone. */
function myPhone(deps: UserDeps, ctx: CommandContext): Readonly<Phone> {
  if (ctx.role !== 'user' || ctx.phone === undefined) fail('E_FORBIDDEN', 'this command is for a logged-in user');
  const phone = deps.config.get().phones.find((p) => p.mac === ctx.phone);
  if (!phone) fail('E_FORBIDDEN', 'this account has no phone any more');
  return phone;
}

/** One validated, atomic change of the user's own phone record (and nothing else). */
function updateMine(deps: UserDeps, mac: string, mutate: (phone: Phone) => void): void {
  const r = deps.config.update((draft) => {
    const phone = draft.phones.find((p) => p.mac === mac);
    if (!phone) fail('E_FORBIDDEN', 'this account has no phone any more');
    mutate(phone);
  });
  if (!r.ok) throw r.error;
}

/** Digits as people type them ("06 12 34 56 78", "06.12.34.56.78") -> "0612345678". */
const compactNumber = (s: string): string => s.trim().replace(/[\s.\-()]/g, '');
/** The schema's screen-key / contact number: internal or public. */
const dialable = z
  .string()
  .max(40)
  .transform(compactNumber)
  .pipe(z.string().regex(/^(\d{2,15}|\+[1-9]\d{6,14})$/, 'an internal or public number'));
/** The schema's publicNumber (a mobile for MOB-3). */
const publicNumber = z
  .string()
  .max(40)
  .transform(compactNumber)
  .pipe(z.string().regex(/^(0[1-9]\d{8}|\+[1-9]\d{6,14}|00[1-9]\d{6,14})$/, 'a French (0XXXXXXXXX) or international (+...) number'));

// --- forwards (FWD-1..FWD-5, MOB-1, MOB-3, RES-4) ----------------------------

type Checked = { ok: true; store: string } | { ok: false; code: 'E_FORBIDDEN' | 'E_BAD_ARGUMENTS'; reason: string };

/**
 * A forward destination checked as the phone's forward codes check it
 * (features.ts: an existing phone other than oneself, a group, a speed dial,
 * or an external number allowed by the FORWARD profile, RES-4; never 888, an
 * emergency number or oneself). 403 -> E_FORBIDDEN (not allowed), 404 ->
 * E_BAD_ARGUMENTS (not a number, no such internal number).
 */
export function checkForwardDestination(config: Readonly<Config>, plan: NumberingPlan, caller: Readonly<Phone>, raw: string): Checked {
  const wanted = raw === 'voicemail' ? raw : compactNumber(raw);
  // "0" means "back to voicemail" after *24: as a web destination it is a mistake, not a reset.
  if (wanted === '' || wanted === '0') return { ok: false, code: 'E_BAD_ARGUMENTS', reason: `${JSON.stringify(raw)} is not a destination` };
  const d = checkPhoneForwardDestination(config, plan, caller, wanted);
  if (!d.ok) return { ok: false, code: d.status === 403 ? 'E_FORBIDDEN' : 'E_BAD_ARGUMENTS', reason: d.reason };
  return { ok: true, store: d.store };
}

const FORWARD_KINDS = ['unconditional', 'busy', 'noAnswer', 'disconnect', 'disconnectOrNoAnswer'] as const;
type ForwardKind = (typeof FORWARD_KINDS)[number];

const FORWARD_NAMES: Record<ForwardKind, string> = {
  unconditional: 'unconditional forward',
  busy: 'forward on busy',
  noAnswer: 'forward on no answer',
  disconnect: 'forward on disconnect (*24)',
  disconnectOrNoAnswer: 'forward on disconnect and no answer (*27)',
};

const forwardPatch = z.strictObject({
  enabled: z.boolean().optional(),
  /** An internal number, a public number, or "voicemail". */
  destination: z.string().min(1).max(40).optional(),
});

const forwardsSetArgs = z.strictObject({
  unconditional: forwardPatch.optional(),
  busy: forwardPatch.optional(),
  noAnswer: forwardPatch.extend({ rings: z.coerce.number().int().min(1).max(12).optional() }).optional(),
  disconnect: forwardPatch.optional(),
  disconnectOrNoAnswer: forwardPatch.optional(),
  forwardProtection: z.boolean().optional(),
  /** MOB-1: the user switches it; the administrator allows it and sets the mobile. */
  simultaneousRing: z.strictObject({ enabled: z.boolean() }).optional(),
  /** MOB-3, phones without a DID. */
  mainNumberOnMobile: z.strictObject({ enabled: z.boolean().optional(), mobile: publicNumber.optional() }).optional(),
});

function forwardsView(config: Readonly<Config>, p: Readonly<Phone>) {
  const f = p.forwards;
  const one = (x: { enabled: boolean; destination?: string | undefined }) => ({ enabled: x.enabled, destination: x.destination ?? null });
  return {
    unconditional: one(f.unconditional),
    busy: one(f.busy),
    noAnswer: { ...one(f.noAnswer), rings: f.noAnswer.rings },
    disconnect: { ...one(f.disconnect), last: f.disconnect.last ?? null },
    disconnectOrNoAnswer: { ...one(f.disconnectOrNoAnswer), last: f.disconnectOrNoAnswer.last ?? null },
    forwardProtection: p.forwardProtection,
    // MOB-1: shown only when the administrator allowed it (DID phones).
    ...(p.simultaneousRing.allowed && p.did !== undefined ? { simultaneousRing: { enabled: p.simultaneousRing.enabled, mobile: p.simultaneousRing.mobile ?? null } } : {}),
    // MOB-3: only phones without a DID can take the main number's calls on a mobile.
    ...(p.did === undefined
      ? { mainNumberOnMobile: { enabled: p.mainNumberOnMobile.enabled, mobile: p.mainNumberOnMobile.mobile ?? null, hasMainNumber: config.company.mainNumber !== undefined } }
      : {}),
  };
}

function setForwards(deps: UserDeps, me: Readonly<Phone>, args: z.infer<typeof forwardsSetArgs>): void {
  const config = deps.config.get();
  const plan = deps.plan();
  // Decide everything on the current snapshot first: a refusal stores nothing.
  const forwards = structuredClone(me.forwards) as Phone['forwards'];
  for (const kind of FORWARD_KINDS) {
    const patch = args[kind];
    if (patch === undefined) continue;
    const current = forwards[kind];
    const enabled = patch.enabled ?? current.enabled;
    // A destination sent back as stored (even spaced differently) is no change.
    const changed = patch.destination !== undefined && compactNumber(patch.destination) !== current.destination;
    let destination = changed ? patch.destination : current.destination;
    // The guide's defaults: no answer goes to voicemail (FWD-1); *24 / *27 without a number reuse the last one (FWD-2, FWD-3).
    if (destination === undefined && enabled) {
      if (kind === 'noAnswer') destination = 'voicemail';
      else if ((kind === 'disconnect' || kind === 'disconnectOrNoAnswer') && forwards[kind].last !== undefined) destination = forwards[kind].last;
      else fail('E_BAD_ARGUMENTS', `the ${FORWARD_NAMES[kind]} needs a destination`);
    }
    // A new destination is checked; a stored one again when switched on (the profile or the phones may have changed),
    // but not when a form merely sends it back or switches it off.
    if (destination !== undefined && (changed || (enabled && !current.enabled))) {
      const c = checkForwardDestination(config, plan, me, destination);
      if (!c.ok) fail(c.code, `${FORWARD_NAMES[kind]}: ${c.reason}`);
      destination = c.store;
    }
    const next = { ...current, enabled, ...(destination !== undefined ? { destination } : {}) };
    if ((kind === 'disconnect' || kind === 'disconnectOrNoAnswer') && changed && destination !== undefined && destination !== 'voicemail')
      Object.assign(next, { last: destination });
    if (kind === 'noAnswer' && args.noAnswer?.rings !== undefined) Object.assign(next, { rings: args.noAnswer.rings });
    Object.assign(forwards, { [kind]: next });
  }
  const sr = args.simultaneousRing;
  if (sr?.enabled === true && !me.simultaneousRing.enabled) {
    if (me.did === undefined || !me.simultaneousRing.allowed) fail('E_FORBIDDEN', 'simultaneous ring with a mobile is not allowed for this phone: the administrator allows it (MOB-1)');
    if (me.simultaneousRing.mobile === undefined) fail('E_BAD_ARGUMENTS', 'no mobile number is set for simultaneous ring: the administrator sets it (MOB-1)');
  }
  const mob = args.mainNumberOnMobile;
  let mainMobile: Phone['mainNumberOnMobile'] | undefined;
  if (mob !== undefined) {
    if (me.did !== undefined) fail('E_BAD_ARGUMENTS', 'taking the main number on a mobile is for phones without a direct line (MOB-3)');
    const enabled = mob.enabled ?? me.mainNumberOnMobile.enabled;
    let mobile = mob.mobile ?? me.mainNumberOnMobile.mobile;
    if (enabled && mobile === undefined) fail('E_BAD_ARGUMENTS', 'taking the main number on a mobile needs the mobile number (MOB-3)');
    if (mobile !== undefined && ((mob.mobile !== undefined && mob.mobile !== me.mainNumberOnMobile.mobile) || (enabled && !me.mainNumberOnMobile.enabled))) {
      // The main number's calls leave the box to that mobile: a forward, under the FORWARD profile (RES-4).
      const c = checkForwardDestination(config, plan, me, mobile);
      if (!c.ok) fail(c.code, `main number on a mobile: ${c.reason}`);
      mobile = c.store;
    }
    if (enabled) {
      const other = config.phones.find((p) => p.mac !== me.mac && p.did === undefined && p.mainNumberOnMobile.enabled);
      // Routing takes one mobile only (MOB-3): a second one would silently never ring.
      if (other) fail('E_CONFLICT', `phone ${other.internalNumber} already takes the main number's calls on a mobile (MOB-3)`);
    }
    mainMobile = { enabled, ...(mobile !== undefined ? { mobile } : {}) };
  }
  updateMine(deps, me.mac, (p) => {
    p.forwards = forwards;
    if (args.forwardProtection !== undefined) p.forwardProtection = args.forwardProtection;
    if (sr !== undefined) p.simultaneousRing = { ...p.simultaneousRing, enabled: sr.enabled };
    if (mainMobile !== undefined) p.mainNumberOnMobile = mainMobile;
  });
}

// --- screen keys (KEY-1) ----------------------------------------------------

const keysSetArgs = z.strictObject({
  keys: z
    .array(
      z.strictObject({
        position: z.coerce.number().int().min(1).max(MAX_KEYS),
        kind: z.enum(['supervision', 'speed-dial']),
        target: dialable,
        label: z.string().max(24).default(''),
      }),
    )
    .max(MAX_KEYS),
});

function keysView(config: Readonly<Config>, p: Readonly<Phone>) {
  const keys = [...p.screenKeys].sort((a, b) => a.position - b.position).map((k) => ({ ...k, page: Math.ceil(k.position / KEYS_PER_PAGE) }));
  // What a supervision key may watch, for the page's picker: every other phone of the box.
  const phones = config.phones
    .filter((x) => x.mac !== p.mac)
    .map((x) => ({ internalNumber: x.internalNumber, name: `${x.firstName} ${x.lastName}`.trim() }))
    .sort((a, b) => a.internalNumber.localeCompare(b.internalNumber));
  return { perPage: KEYS_PER_PAGE, max: MAX_KEYS, keys, phones };
}

// --- settings (CID-1..CID-3, INB-4, FWD-6, VOX-1, VOX-7) ------------------------

const IDENTITIES = ['did', 'company', 'main', 'secret', 'group'] as const;
type Identity = (typeof IDENTITIES)[number];

/** CID-2: a phone without DID presents the main number or nothing; a DID phone its DID, the company number, nothing, or a group's DID. */
function identityChoices(config: Readonly<Config>, p: Readonly<Phone>): Identity[] {
  if (p.did === undefined) return ['main', 'secret'];
  const choices: Identity[] = ['did'];
  if (config.company.companyNumber !== undefined) choices.push('company'); // CID-3: once the admin chose it
  choices.push('secret');
  if (identityGroups(config, p).length > 0) choices.push('group'); // GRP-6
  return choices;
}

/** Groups with a DID the phone belongs to (GRP-6): the ones it may present. */
function identityGroups(config: Readonly<Config>, p: Readonly<Phone>): string[] {
  return config.groups.filter((g) => g.did !== undefined && g.members.includes(p.mac)).map((g) => g.internalNumber);
}

const settingsSetArgs = z.strictObject({
  presentedIdentity: z.enum(IDENTITIES).optional(),
  /** The group whose DID is presented, with presentedIdentity "group". */
  presentedGroup: z.string().regex(/^\d{3}$/).optional(),
  hideIdentity: z.boolean().optional(), // *65
  standardOverflowOptOut: z.boolean().optional(), // INB-4, *30*999
  callWaiting: z.boolean().optional(),
  automaticCallback: z.boolean().optional(),
  hideIdentityOnInternalForward: z.boolean().optional(),
  successiveForwarding: z.boolean().optional(),
  voicePresentation: z.coerce.number().int().min(0).max(5).optional(), // *33*n
  /** null removes the address. */
  email: z.union([z.email().max(254), z.null()]).optional(),
  voicemail: z
    .strictObject({
      emailEnabled: z.boolean().optional(),
      /** null removes the PIN. */
      pin: z.union([z.string().regex(/^\d{4,8}$/, '4 to 8 digits'), z.null()]).optional(),
    })
    .optional(),
});

function settingsView(config: Readonly<Config>, p: Readonly<Phone>) {
  return {
    presentedIdentity: p.presentedIdentity,
    presentedGroup: p.presentedGroup ?? null,
    identityChoices: identityChoices(config, p),
    identityGroups: identityGroups(config, p),
    hideIdentity: p.hideIdentity,
    standardOverflowOptOut: p.standardOverflowOptOut,
    callWaiting: p.callWaiting,
    automaticCallback: p.automaticCallback,
    hideIdentityOnInternalForward: p.hideIdentityOnInternalForward,
    successiveForwarding: p.successiveForwarding,
    voicePresentation: p.voicePresentation,
    email: p.email ?? null,
    // The PIN itself is not sent back: the page only needs to know one is set.
    voicemail: { emailEnabled: p.voicemail.emailEnabled, pinSet: p.voicemail.pin !== undefined },
  };
}

function setSettings(deps: UserDeps, me: Readonly<Phone>, a: z.infer<typeof settingsSetArgs>): void {
  const config = deps.config.get();
  const identity = a.presentedIdentity ?? me.presentedIdentity;
  const group = a.presentedGroup ?? me.presentedGroup;
  // A form sends every field back: only a change of identity is judged, so an admin's choice can be kept as is.
  if (identity !== me.presentedIdentity || (identity === 'group' && group !== me.presentedGroup)) {
    if (!identityChoices(config, me).includes(identity)) {
      if (identity === 'did') fail('E_BAD_ARGUMENTS', 'this phone has no direct line to present (CID-2)');
      if (me.did === undefined) fail('E_BAD_ARGUMENTS', 'a phone without a direct line presents the main number or nothing (secret) (CID-2)');
      if (identity === 'company') fail('E_BAD_ARGUMENTS', 'the administrator has not chosen a company number yet (CID-3)');
      if (identity === 'group') fail('E_BAD_ARGUMENTS', 'this phone belongs to no group with a direct line (GRP-6)');
      fail('E_BAD_ARGUMENTS', `a phone with a direct line presents ${identityChoices(config, me).join(', ')} (CID-2)`);
    }
    if (identity === 'group' && (group === undefined || !identityGroups(config, me).includes(group)))
      fail('E_BAD_ARGUMENTS', `choose one of the groups ${identityGroups(config, me).join(', ')} (a group with a direct line this phone belongs to, GRP-6)`);
  }
  const email = a.email === undefined ? me.email : (a.email ?? undefined);
  const emailEnabled = a.voicemail?.emailEnabled ?? me.voicemail.emailEnabled;
  if (emailEnabled && email === undefined) fail('E_BAD_ARGUMENTS', 'voicemail by e-mail needs an e-mail address (VOX-1)');
  updateMine(deps, me.mac, (p) => {
    p.presentedIdentity = identity;
    if (identity === 'group' && group !== undefined) p.presentedGroup = group;
    for (const k of ['hideIdentity', 'standardOverflowOptOut', 'callWaiting', 'automaticCallback', 'hideIdentityOnInternalForward', 'successiveForwarding'] as const) {
      const v = a[k];
      if (v !== undefined) p[k] = v;
    }
    if (a.voicePresentation !== undefined) p.voicePresentation = a.voicePresentation;
    if (email === undefined) delete p.email;
    else p.email = email;
    p.voicemail.emailEnabled = emailEnabled;
    if (a.voicemail?.pin === null) delete p.voicemail.pin;
    else if (a.voicemail?.pin !== undefined) p.voicemail.pin = a.voicemail.pin;
  });
}

// --- call journal (LOG-1, LOG-3) ---------------------------------------------

/** An instant as ISO 8601 with an offset, or epoch milliseconds (the query string carries text). */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.string().regex(/^\d{1,15}$/), z.number().int().nonnegative()])
  .transform((v) => (typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : Date.parse(v)));

const callsArgs = z.strictObject({
  kind: z.enum(['missed', 'answered', 'emitted']).optional(),
  from: instant.optional(),
  to: instant.optional(),
  page: z.coerce.number().int().min(1).default(1),
  /** LOG-1: pages of 10, or more. */
  pageSize: z.coerce.number().int().min(1).max(100).default(10),
});

function callRow(e: JournalEntry, mac: string) {
  // Other phones' MACs stay inside the box: the row says only whether this phone placed the call.
  return {
    id: e.id,
    startedAt: new Date(e.startedAt).toISOString(),
    durationSeconds: e.durationSeconds,
    from: e.from,
    to: e.to,
    answeredBy: e.answeredBy ?? null,
    direction: e.direction,
    outcome: e.outcome,
    emitted: e.callerPhone === mac,
  };
}

// --- voicemail (VOX-1, VOX-2) ---------------------------------------------------

function messageView(m: StoredMessage) {
  return { id: m.id, caller: m.caller, receivedAt: new Date(m.receivedAt).toISOString(), durationMs: m.durationMs, state: m.state === 'new' ? 'fresh' : 'saved' };
}

function ownMessage(deps: UserDeps, mac: string, id: string): StoredMessage {
  const m = deps.voicemail.messages(mac).find((x) => x.id === id);
  if (!m) fail('E_NOT_FOUND', `no message ${id} in this voicemail box`);
  return m;
}

/**
 * Where a message's WAV is, for the download route; undefined when the box
 * of `mac` has no such message (the id of another box's message included).
 */
export function messageWavPath(deps: Pick<UserDeps, 'voicemail'>, mac: string, id: string): string | undefined {
  return deps.voicemail.messages(mac).some((m) => m.id === id) ? deps.voicemail.mailboxes.wavPath(mac, id) : undefined;
}

/** Strict base64 (Buffer.from silently skips anything else, which would store a damaged file). */
const base64 = z
  .string()
  .min(1)
  .max(Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + 4, `at most ${MAX_UPLOAD_BYTES / 1048576} MB`)
  .transform((s) => s.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'the file in base64'));

/** `importGreeting` by the one implementation of VOX-3's checks and of the greeting's storage (announcement-commands.ts). */
export function greetingImporter(deps: AnnouncementDeps): UserDeps['importGreeting'] {
  return (mac, data) => importAnnouncement(deps, 'greeting', data, mac);
}

// --- feature-code memo (WEB-6) ----------------------------------------------------

export interface FeatureMemoEntry {
  code: string;
  fr: string;
  en: string;
  /** SPEC IDs. */
  spec: string;
  /** The dialled strings the memo's test checks against the dial plan and pbx/features.ts. */
  dials: readonly string[];
}

/**
 * What the phone keys really do: every entry is checked by the tests against
 * `resolveDialled` and `applyFeature`, so a code that is not implemented
 * cannot be listed. The French follows the guide's memo (§2.9).
 */
export const FEATURE_MEMO: readonly FeatureMemoEntry[] = [
  { code: '888', fr: 'Consulter ma messagerie vocale', en: 'Listen to my voicemail', spec: 'NUM-7', dials: ['888'] },
  { code: '999', fr: 'Appeler le groupement « standard » (tous les téléphones)', en: 'Call the Standard group (every phone)', spec: 'NUM-6', dials: ['999'] },
  { code: '700…869', fr: "Numéros abrégés de l'annuaire de l'entreprise", en: "The company directory's speed dials", spec: 'NUM-5', dials: [] },
  { code: '*24*n°', fr: 'Renvoi sur déconnexion vers le n° destination', en: 'Forward on disconnect to a number', spec: 'FWD-2', dials: ['*24*601'] },
  { code: '*24', fr: 'Renvoi sur déconnexion vers le n° du dernier renvoi', en: 'Forward on disconnect to the last destination', spec: 'FWD-2', dials: ['*24'] },
  { code: '*24*0', fr: 'Réinitialiser : renvoi sur déconnexion vers la messagerie', en: 'Reset: forward on disconnect to voicemail', spec: 'FWD-2', dials: ['*24*0'] },
  { code: '**24', fr: 'Savoir si un renvoi sur déconnexion est activé', en: 'Is a forward on disconnect on?', spec: 'FWD-2', dials: ['**24'] },
  { code: '*27*n°', fr: 'Renvoi sur déconnexion et sur non-réponse vers le n° destination', en: 'Forward on disconnect and no answer to a number', spec: 'FWD-3', dials: ['*27*601'] },
  { code: '*27', fr: 'Renvoi sur déconnexion et sur non-réponse vers le n° du dernier renvoi', en: 'Forward on disconnect and no answer to the last destination', spec: 'FWD-3', dials: ['*27'] },
  { code: '*27*0', fr: 'Réinitialiser : renvois sur non-réponse et sur déconnexion vers la messagerie', en: 'Reset: forwards on no answer and disconnect to voicemail', spec: 'FWD-3', dials: ['*27*0'] },
  { code: '**27', fr: 'Savoir si le renvoi sur déconnexion et non-réponse est activé', en: 'Is the forward on disconnect and no answer on?', spec: 'FWD-3', dials: ['**27'] },
  { code: '*65*1', fr: "Activer le secret de l'identité", en: 'Hide my number', spec: 'CID-1', dials: ['*65*1'] },
  { code: '*65*0', fr: "Désactiver le secret de l'identité", en: 'Show my number', spec: 'CID-1', dials: ['*65*0'] },
  { code: '**65', fr: 'Savoir si le secret est activé', en: 'Is my number hidden?', spec: 'CID-1', dials: ['**65'] },
  { code: '*66*n°', fr: "Secret d'identité pour cet appel seulement", en: 'Hide my number for this call only', spec: 'CID-1', dials: ['*66*0612345678'] },
  { code: '*35*2', fr: 'Enregistrer une annonce de pré-décroché propre à ma ligne directe', en: "Record my direct line's pre-answer announcement", spec: 'VOX-5', dials: ['*35*2'] },
  { code: '*35*1', fr: 'Activer ce pré-décroché', en: 'Pre-answer announcement on', spec: 'VOX-5', dials: ['*35*1'] },
  { code: '*35*0', fr: 'Désactiver ce pré-décroché', en: 'Pre-answer announcement off', spec: 'VOX-5', dials: ['*35*0'] },
  { code: '**35', fr: 'Savoir si le pré-décroché est activé', en: 'Is the pre-answer announcement on?', spec: 'VOX-5', dials: ['**35'] },
  { code: '*31*n°', fr: 'Entrer dans un groupement', en: 'Join a group', spec: 'GRP-4', dials: ['*31*621'] },
  { code: '*30*n°', fr: 'Quitter un groupement (*30*999 : ne plus sonner après l\u2019accueil)', en: 'Leave a group (*30*999: stop ringing after the reception)', spec: 'GRP-4, INB-4', dials: ['*30*621', '*30*999'] },
  { code: '*31', fr: 'Entrer dans tous les groupements', en: 'Join all groups', spec: 'GRP-4', dials: ['*31'] },
  { code: '*30', fr: 'Quitter tous les groupements', en: 'Leave all groups', spec: 'GRP-4', dials: ['*30'] },
  { code: '*33*0', fr: 'Présentation vocale : aucune (état initial)', en: 'Voice presentation off', spec: 'VOX-7', dials: ['*33*0'] },
  { code: '*33*1', fr: 'Présentation vocale : le numéro appelant', en: "Voice presentation: the caller's number", spec: 'VOX-7', dials: ['*33*1'] },
  { code: '*33*2', fr: "Présentation vocale : qui appelle, et si l'appel a été renvoyé par un téléphone interne", en: 'Voice presentation: who calls and whether an internal phone forwarded it', spec: 'VOX-7', dials: ['*33*2'] },
  { code: '*33*3', fr: "Présentation vocale : si l'appel a été renvoyé par un téléphone interne", en: 'Voice presentation: whether an internal phone forwarded the call', spec: 'VOX-7', dials: ['*33*3'] },
  { code: '*33*4', fr: 'Présentation vocale : pour un appel renvoyé, la disponibilité du téléphone qui a renvoyé', en: 'Voice presentation: for a forwarded call, whether the forwarding phone is free', spec: 'VOX-7', dials: ['*33*4'] },
  { code: '*33*5', fr: 'Présentation vocale : le numéro appelant, le renvoi interne et la disponibilité du téléphone qui a renvoyé', en: 'Voice presentation: the caller, the internal forward and the forwarding phone\u2019s state', spec: 'VOX-7', dials: ['*33*5'] },
  { code: '**33', fr: 'Savoir si une présentation vocale est active', en: 'Is a voice presentation on?', spec: 'VOX-7', dials: ['**33'] },
  { code: '*89*1', fr: 'Activer la protection contre les renvois', en: 'Forward protection on', spec: 'FWD-5', dials: ['*89*1'] },
  { code: '*89*0', fr: 'Désactiver la protection contre les renvois', en: 'Forward protection off', spec: 'FWD-5', dials: ['*89*0'] },
  { code: '**89', fr: 'Savoir si la protection contre les renvois est active', en: 'Is forward protection on?', spec: 'FWD-5', dials: ['**89'] },
  { code: '*37', fr: "Rappel automatique : être rappelé quand le poste occupé se libère (*37*n° : ce poste)", en: 'Automatic callback when the busy phone is free (*37*number: that phone)', spec: 'FWD-6', dials: ['*37', '*37*601'] },
  { code: '#37', fr: 'Annuler le rappel automatique', en: 'Cancel the automatic callback', spec: 'FWD-6', dials: ['#37'] },
  { code: '**37', fr: 'Savoir si un rappel automatique est en attente', en: 'Is a callback pending?', spec: 'FWD-6', dials: ['**37'] },
  { code: '*22*n°', fr: "Poste d'accueil : renvoyer tous les appels du numéro principal vers le n° (*22 : vers la messagerie)", en: "Reception phone: forward every main-number call to a number (*22: to voicemail)", spec: 'INB-2', dials: ['*22*601', '*22'] },
  { code: '#22', fr: "Poste d'accueil : annuler le renvoi du numéro principal", en: 'Reception phone: main number no longer forwarded', spec: 'INB-2', dials: ['#22'] },
  { code: '**22', fr: "Poste d'accueil : savoir si le numéro principal est renvoyé", en: 'Reception phone: is the main number forwarded?', spec: 'INB-2', dials: ['**22'] },
  { code: '*40*n°', fr: 'Service de nuit forcé pour le groupement n° (0 : numéro principal)', en: 'Force night service for group n (0: the main number)', spec: 'GRP-5', dials: ['*40*0'] },
  { code: '*41*n°', fr: 'Service de jour forcé pour le groupement n° (0 : numéro principal)', en: 'Force day service for group n (0: the main number)', spec: 'GRP-5', dials: ['*41*0'] },
  { code: '*42*n°', fr: 'Retour au calendrier jour/nuit automatique', en: 'Back to the automatic day/night schedule', spec: 'GRP-5', dials: ['*42*0'] },
  { code: '**40', fr: 'Savoir si un service jour/nuit est forcé', en: 'Is a day/night service forced?', spec: 'GRP-5', dials: ['**40'] },
];

// --- the commands --------------------------------------------------------------------

export function registerUserCommands(registry: CommandRegistry, deps: UserDeps): void {
  registry.register(
    defineCommand({
      name: 'my profile',
      summary: 'my name, numbers, e-mail, login and phone model (WEB-5, WEB-6)',
      args: noArgs,
      roles: ROLES_USER,
      readOnly: true,
      run: (_a, ctx) => {
        const p = myPhone(deps, ctx);
        return {
          firstName: p.firstName,
          lastName: p.lastName,
          internalNumber: p.internalNumber,
          did: p.did ?? null,
          email: p.email ?? null,
          login: userLogin(p) ?? null,
          model: p.model,
          /** WEB-7: a mobile softphone account exists for this user. */
          mobileEnabled: p.mobile !== undefined,
        };
      },
    }),
    defineCommand({
      name: 'my calls',
      summary: 'my call journal, newest first, by pages (LOG-1, LOG-3)',
      args: callsArgs,
      roles: ROLES_USER,
      readOnly: true,
      run: ({ kind, from, to, page, pageSize }, ctx) => {
        const p = myPhone(deps, ctx);
        const all = deps.journal.query({ phone: p.mac, ...(kind !== undefined ? { kind } : {}), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
        const pages = Math.max(1, Math.ceil(all.length / pageSize));
        const rows = all.slice((page - 1) * pageSize, page * pageSize).map((e) => callRow(e, p.mac));
        return { total: all.length, page, pages, pageSize, rows };
      },
    }),
    defineCommand({
      name: 'my contacts',
      summary: 'the company directory with its speed dials (DIR-1) and my own contacts',
      args: noArgs,
      roles: ROLES_USER,
      readOnly: true,
      run: (_a, ctx) => {
        const p = myPhone(deps, ctx);
        const directory = deps.config.get().directory.map((d) => ({ name: d.name, number: d.number, speedDial: d.speedDial ?? null }));
        return { directory, personal: p.contacts.map((c, index) => ({ index, name: c.name, number: c.number })), max: MAX_CONTACTS };
      },
    }),
    defineCommand({
      name: 'my contact add',
      summary: 'add one of my own contacts (at most 50)',
      args: z.strictObject({ name: z.string().trim().min(1).max(64), number: dialable }),
      roles: ROLES_USER,
      run: ({ name, number }, ctx) => {
        const p = myPhone(deps, ctx);
        if (p.contacts.length >= MAX_CONTACTS) fail('E_BAD_ARGUMENTS', `at most ${MAX_CONTACTS} personal contacts: remove one first`);
        updateMine(deps, p.mac, (x) => {
          x.contacts.push({ name, number });
        });
        return { index: p.contacts.length, name, number };
      },
    }),
    defineCommand({
      name: 'my contact remove',
      summary: 'remove one of my own contacts by its index in "my contacts"',
      args: z.strictObject({ index: z.coerce.number().int().min(0) }),
      roles: ROLES_USER,
      run: ({ index }, ctx) => {
        const p = myPhone(deps, ctx);
        const c = p.contacts[index];
        if (!c) fail('E_NOT_FOUND', `no personal contact at index ${index}`);
        updateMine(deps, p.mac, (x) => {
          x.contacts.splice(index, 1);
        });
        return { removed: { name: c.name, number: c.number } };
      },
    }),
    defineCommand({
      name: 'my forwards',
      summary: 'my forwards (FWD-1..FWD-5), simultaneous ring (MOB-1) and main number on a mobile (MOB-3)',
      args: noArgs,
      roles: ROLES_USER,
      readOnly: true,
      run: (_a, ctx) => forwardsView(deps.config.get(), myPhone(deps, ctx)),
    }),
    defineCommand({
      name: 'my forwards set',
      summary: 'change some of my forwards; destinations obey the same rules as the feature codes (RES-4: the forward profile)',
      args: forwardsSetArgs,
      roles: ROLES_USER,
      run: (args, ctx) => {
        setForwards(deps, myPhone(deps, ctx), args);
        return forwardsView(deps.config.get(), myPhone(deps, ctx));
      },
    }),
    defineCommand({
      name: 'my keys',
      summary: 'my phone screen keys (KEY-1: 9 per page, 24 with the "More" pages)',
      args: noArgs,
      roles: ROLES_USER,
      readOnly: true,
      run: (_a, ctx) => keysView(deps.config.get(), myPhone(deps, ctx)),
    }),
    defineCommand({
      name: 'my keys set',
      summary: 'replace all my screen keys: supervision of another phone of the box, or speed dial (KEY-1)',
      args: keysSetArgs,
      roles: ROLES_USER,
      run: ({ keys }, ctx) => {
        const p = myPhone(deps, ctx);
        const config = deps.config.get();
        const seen = new Set<number>();
        for (const k of keys) {
          if (seen.has(k.position)) fail('E_BAD_ARGUMENTS', `two keys at position ${k.position}`);
          seen.add(k.position);
          if (k.kind === 'supervision') {
            if (k.target === p.internalNumber) fail('E_BAD_ARGUMENTS', `key ${k.position}: a phone cannot supervise itself`);
            // The lamp shows another phone's dialog state (RFC 4235): only phones of this box have one.
            if (!config.phones.some((x) => x.internalNumber === k.target))
              fail('E_BAD_ARGUMENTS', `key ${k.position}: ${k.target} is not a phone of this installation (a supervision key watches one)`);
          }
        }
        const sorted = [...keys].sort((a, b) => a.position - b.position);
        updateMine(deps, p.mac, (x) => {
          x.screenKeys = sorted;
        });
        return keysView(deps.config.get(), myPhone(deps, ctx));
      },
    }),
    defineCommand({
      name: 'my settings',
      summary: 'presented number (CID-1..CID-3), Standard overflow (INB-4), call options (FWD-6), voice presentation (VOX-7), e-mail and voicemail (VOX-1)',
      args: noArgs,
      roles: ROLES_USER,
      readOnly: true,
      run: (_a, ctx) => settingsView(deps.config.get(), myPhone(deps, ctx)),
    }),
    defineCommand({
      name: 'my settings set',
      summary: 'change some of my settings',
      args: settingsSetArgs,
      roles: ROLES_USER,
      run: (args, ctx) => {
        setSettings(deps, myPhone(deps, ctx), args);
        return settingsView(deps.config.get(), myPhone(deps, ctx));
      },
    }),
    defineCommand({
      name: 'my voicemail',
      summary: 'my voicemail messages, oldest first, and whether my greeting is recorded (VOX-1, VOX-2)',
      args: noArgs,
      roles: ROLES_USER,
      readOnly: true,
      run: (_a, ctx) => {
        const p = myPhone(deps, ctx);
        const messages = deps.voicemail.messages(p.mac).map(messageView);
        return { enabled: p.voicemail.enabled, greeting: p.voicemail.greeting !== undefined, messages };
      },
    }),
    defineCommand({
      name: 'my voicemail delete',
      summary: 'delete one of my voicemail messages',
      args: z.strictObject({ id: z.string().min(1).max(128) }),
      roles: ROLES_USER,
      run: ({ id }, ctx) => {
        const p = myPhone(deps, ctx);
        ownMessage(deps, p.mac, id);
        deps.voicemail.remove(p.mac, id);
        return { deleted: id };
      },
    }),
    defineCommand({
      name: 'my voicemail saved',
      summary: 'mark one of my voicemail messages as listened to (saved)',
      args: z.strictObject({ id: z.string().min(1).max(128) }),
      roles: ROLES_USER,
      run: ({ id }, ctx) => {
        const p = myPhone(deps, ctx);
        ownMessage(deps, p.mac, id);
        deps.voicemail.markSaved(p.mac, id);
        return { saved: id };
      },
    }),
    defineCommand({
      name: 'my greeting set',
      summary: 'replace my voicemail greeting with a WAV or G.729 file, in base64 (VOX-2, VOX-3)',
      args: z.strictObject({ data: base64 }),
      roles: ROLES_USER,
      bodyLimit: UPLOAD_BODY_LIMIT,
      run: async ({ data }, ctx) => {
        const p = myPhone(deps, ctx);
        const r = await deps.importGreeting(p.mac, Buffer.from(data, 'base64'));
        return { greeting: true, seconds: r.seconds, source: r.source };
      },
    }),
    defineCommand({
      name: 'my greeting remove',
      summary: 'go back to the standard voicemail greeting',
      args: noArgs,
      roles: ROLES_USER,
      run: (_a, ctx) => {
        const p = myPhone(deps, ctx);
        // The file stays in <data>/audio (the next upload overwrites it); without the reference the standard greeting plays.
        updateMine(deps, p.mac, (x) => {
          delete x.voicemail.greeting;
        });
        return { greeting: false };
      },
    }),
    defineCommand({
      name: 'my password',
      summary: 'change my user web password (WEB-5: the first one is my internal number)',
      args: z.strictObject({ current: z.string().max(256), new: z.string().max(256) }),
      roles: ROLES_USER,
      run: async ({ current, new: next }, ctx) => {
        const p = myPhone(deps, ctx);
        const stored = p.userPasswordHash;
        const right = stored === undefined ? current === p.internalNumber : await verifyPassword(current, stored);
        if (!right) fail('E_WEAK_PASSWORD', 'current password is wrong');
        const problem = passwordProblem(next, [userLogin(p) ?? '', p.firstName, p.lastName, p.internalNumber]);
        if (problem !== undefined) fail('E_WEAK_PASSWORD', problem);
        const hash = await hashPassword(next);
        updateMine(deps, p.mac, (x) => {
          // Two changes at once: the second was verified against a password that no longer holds.
          if (x.userPasswordHash !== stored) fail('E_CONFLICT', 'the password was changed meanwhile: log in again');
          x.userPasswordHash = hash;
        });
        return { changed: true };
      },
    }),
    defineCommand({
      name: 'feature-codes',
      summary: 'the memo of the codes typed on a phone (WEB-6), in French and English',
      args: noArgs,
      roles: ['user', 'admin'],
      readOnly: true,
      run: () => FEATURE_MEMO.map(({ code, fr, en, spec }) => ({ code, fr, en, spec })),
    }),
  );
}
