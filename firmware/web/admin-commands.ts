import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import type { CallJournal, JournalEntry } from '../config/journal.ts';
import type { ConfigStore } from '../config/store.ts';
import {
  NUMBERING,
  autoAttendantSchema,
  configSchema,
  directoryEntrySchema,
  groupSchema,
  phoneSchema,
  restrictionProfileSchema,
  scheduleSchema,
  type Config,
  type Group,
  type Phone,
} from '../config/schema.ts';
import { defineCommand, fail, noArgs, type CommandRegistry, type Role } from '../api/registry.ts';

/**
 * The admin web's commands (WEB-2 menus: dashboard, journal, reception, users
 * and groups, directory, settings). Every change goes through
 * ConfigStore.update, which validates the whole config with the store's own
 * schema: a refused change stores nothing. Argument schemas are cut out of
 * the store's schemas so the web validates exactly like the store.
 */
export interface AdminDeps {
  config: ConfigStore;
  clock: Clock;
  journal: CallJournal;
  /** Live state from the services; each callback may throw or be missing state, the dashboard survives it. */
  live: {
    registeredMacs(): string[];
    trunk(): unknown;
    dsl(): unknown;
    plc(): unknown;
    calls(): unknown[];
    leds(): unknown;
  };
}

// Web commands: their nested JSON arguments are not typed on the console, which has its own (phones, journal...).
const ADMIN: readonly Role[] = ['admin'];
const STANDARD = String(NUMBERING.standardGroup);

// ---------------------------------------------------------------------------
// Patch schemas: the store's field schemas without their defaults (zod 4
// applies a default even inside .optional(), which would turn "absent = keep"
// into "absent = reset"), every field optional, optional fields nullable
// (null = clear), unknown keys refused.

type Bare<T> = T extends z.ZodDefault<infer I> ? I : T extends z.ZodPrefault<infer I> ? I : T;
type PatchField<T> = T extends z.ZodOptional<infer I>
  ? z.ZodOptional<z.ZodNullable<I>>
  : Bare<T> extends infer B extends z.core.SomeType
    ? z.ZodOptional<B>
    : never;
type PatchShape<S extends z.core.$ZodShape> = { [K in keyof S]: PatchField<S[K]> };

function bare<T extends z.ZodType>(s: T): Bare<T> {
  // unwrap() on ZodDefault/ZodPrefault gives the inner schema; other schemas are kept as they are.
  if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) return s.unwrap() as Bare<T>;
  return s as Bare<T>;
}

function patchOf<S extends z.core.$ZodShape>(o: z.ZodObject<S>): z.ZodObject<PatchShape<S>, z.core.$strict> {
  const shape = Object.fromEntries(
    Object.entries(o.shape).map(([k, v]) => [k, v instanceof z.ZodOptional ? (v.unwrap() as z.ZodType).nullable().optional() : (bare(v as z.ZodType) as z.ZodType).optional()]),
  );
  // The mapped type above describes exactly what the loop builds; zod cannot infer it from entries.
  return z.strictObject(shape) as unknown as z.ZodObject<PatchShape<S>, z.core.$strict>;
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON merge patch (RFC 7386) onto a draft: null deletes, objects merge, anything else (arrays too) replaces. */
function mergePatch(target: Plain, patch: Plain): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete target[k];
    else if (isPlain(v) && isPlain(target[k])) mergePatch(target[k], v);
    else target[k] = isPlain(v) ? structuredClone(v) : v;
  }
}

// ---------------------------------------------------------------------------
// References.

const macArg = z
  .string()
  .transform((s) => s.trim().toLowerCase().replace(/-/g, ':'))
  .pipe(phoneSchema.shape.mac);
/** A phone by internal number (3 digits) or MAC (any case, ':' or '-'). */
const phoneRef = z.string().trim().min(3).max(17);
const internalNumberArg = phoneSchema.shape.internalNumber;

function findPhone(c: Readonly<Config>, ref: string): Phone {
  const key = ref.trim().toLowerCase().replace(/-/g, ':');
  const p = c.phones.find((x) => x.mac === key || x.internalNumber === key);
  if (!p) fail('E_NOT_FOUND', `no phone ${ref}`);
  return p;
}

function findGroup(c: Readonly<Config>, num: string): Group {
  const g = c.groups.find((x) => x.internalNumber === num);
  if (!g) fail('E_NOT_FOUND', `no group ${num}`);
  return g;
}

/** Every internal number in use, and by what: a new number must not collide (NUM-4). */
function usedNumbers(c: Readonly<Config>): Map<string, string> {
  const used = new Map<string, string>([[String(NUMBERING.voicemail), 'voicemail access']]);
  for (const p of c.phones) used.set(p.internalNumber, `phone ${p.mac}`);
  for (const g of c.groups) used.set(g.internalNumber, `group ${g.name}`);
  for (const d of c.directory) if (d.speedDial !== undefined) used.set(d.speedDial, `directory entry ${d.name}`);
  if (c.autoAttendant.internalNumber !== undefined) used.set(c.autoAttendant.internalNumber, 'the auto attendant');
  return used;
}

/** Calls the service defensively: a failing live source shows as an error, not a failed dashboard. */
function safely<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (err) {
    return { error: (err as Error)?.message ?? String(err) };
  }
}

// ---------------------------------------------------------------------------
// Views (secrets never leave the box: SIP and mobile passwords, hashes, PINs).

function phoneView(p: Readonly<Phone>, registered: boolean) {
  const { sip, userPasswordHash, voicemail, mobile, ...rest } = p;
  const { pin, ...vm } = voicemail;
  const mob = mobile ? { username: mobile.username, enabledAt: mobile.enabledAt } : undefined;
  return {
    ...structuredClone(rest),
    registered,
    sip: { username: sip.username },
    voicemail: { ...vm, pinSet: pin !== undefined },
    userPasswordSet: userPasswordHash !== undefined,
    hasUserWeb: hasUserWeb(p),
    ...(mob ? { mobile: mob } : {}),
  };
}

/** WEB-5: the user web login is Firstname.Lastname, so a phone without both names has none. */
function hasUserWeb(p: Readonly<Phone>): boolean {
  return p.firstName.trim() !== '' && p.lastName.trim() !== '';
}

function groupView(c: Readonly<Config>, g: Readonly<Group>) {
  const byMac = new Map(c.phones.map((p) => [p.mac, p]));
  // The Standard group is implicit (GRP-2, INB-4): every phone that has not opted out of the overflow.
  const macs = g.internalNumber === STANDARD ? c.phones.filter((p) => !p.standardOverflowOptOut).map((p) => p.mac) : g.members;
  return {
    internalNumber: g.internalNumber,
    name: g.name,
    enabled: g.enabled,
    ringMode: g.ringMode,
    did: g.did ?? null,
    ringSecondsPerMember: g.ringSecondsPerMember,
    standard: g.internalNumber === STANDARD,
    members: macs.map((m) => {
      const p = byMac.get(m);
      return { mac: m, internalNumber: p?.internalNumber ?? null, name: p ? `${p.firstName} ${p.lastName}`.trim() : '' };
    }),
  };
}

function settingsView(c: Readonly<Config>) {
  const { password: trunkPassword, ...trunk } = c.trunk;
  const { password: smtpPassword, ...smtp } = c.smtp;
  return {
    company: structuredClone(c.company),
    trunk: { ...trunk, passwordSet: trunkPassword !== '' },
    capacity: { ...c.capacity },
    smtp: { ...smtp, passwordSet: smtpPassword !== '' },
    system: { hostname: c.system.hostname, timezone: c.system.timezone },
  };
}

function receptionView(c: Readonly<Config>) {
  const p = c.phones.find((x) => x.mac === c.reception.phone);
  return {
    phone: p ? { mac: p.mac, internalNumber: p.internalNumber, name: `${p.firstName} ${p.lastName}`.trim() } : null,
    ringsBeforeOverflow: c.reception.ringsBeforeOverflow,
    forwardAll: structuredClone(c.reception.forwardAll),
    announcements: structuredClone(c.announcements),
    autoAttendant: structuredClone(c.autoAttendant),
  };
}

// ---------------------------------------------------------------------------
// Argument schemas.

const P = phoneSchema.shape;
const F = bare(P.forwards).shape;

const phoneUpdateArgs = z.strictObject({
  phone: phoneRef,
  ...patchOf(
    phoneSchema.pick({
      firstName: true,
      lastName: true,
      email: true,
      callWaiting: true,
      automaticCallback: true,
      hideIdentity: true,
      hideIdentityOnInternalForward: true,
      successiveForwarding: true,
      forwardedCallerId: true,
      presentedIdentity: true,
      presentedGroup: true,
      voicePresentation: true,
      standardOverflowOptOut: true,
      forwardProtection: true,
      restrictionProfile: true,
      forwardRestrictionProfile: true,
    }),
  ).shape,
  // The greeting is uploaded by its own command; the PIN is write-only (null clears it).
  voicemail: patchOf(bare(P.voicemail).pick({ enabled: true, emailEnabled: true, pin: true })).optional(),
  forwards: z
    .strictObject({
      unconditional: patchOf(bare(F.unconditional)).optional(),
      busy: patchOf(bare(F.busy)).optional(),
      noAnswer: patchOf(bare(F.noAnswer)).optional(),
      disconnect: patchOf(bare(F.disconnect)).optional(),
      disconnectOrNoAnswer: patchOf(bare(F.disconnectOrNoAnswer)).optional(),
    })
    .optional(),
  simultaneousRing: patchOf(bare(P.simultaneousRing)).optional(),
  mainNumberOnMobile: patchOf(bare(P.mainNumberOnMobile)).optional(),
});

const G = groupSchema.shape;
const memberRefs = z.array(phoneRef).max(60);
const groupAddArgs = z.strictObject({
  name: G.name,
  internalNumber: G.internalNumber.optional(),
  ringMode: G.ringMode,
  members: memberRefs.default([]),
  ringSecondsPerMember: bare(G.ringSecondsPerMember).optional(),
  did: G.did,
  enabled: bare(G.enabled).optional(),
});
const groupUpdateArgs = z.strictObject({
  group: internalNumberArg,
  ...patchOf(groupSchema.omit({ members: true })).shape,
  members: memberRefs.optional(),
});

const D = directoryEntrySchema.shape;
const speedDialArg = D.speedDial
  .unwrap()
  .refine((n) => Number(n) >= NUMBERING.speedDial.min && Number(n) <= NUMBERING.speedDial.max, `a speed dial within ${NUMBERING.speedDial.min}-${NUMBERING.speedDial.max} (NUM-5)`);
/**
 * A directory entry is named by its speed dial when it has one, else by its
 * name and number together (add refuses duplicates of both): its position in
 * the list is not used, it shifts when another entry is removed.
 */
const directoryMatch = z.union([z.strictObject({ speedDial: speedDialArg }), z.strictObject({ name: D.name, number: D.number })]);

function findEntry(c: Readonly<Config>, m: z.infer<typeof directoryMatch>): number {
  const i = 'speedDial' in m ? c.directory.findIndex((d) => d.speedDial === m.speedDial) : c.directory.findIndex((d) => d.name === m.name && d.number === m.number);
  if (i < 0) fail('E_NOT_FOUND', 'speedDial' in m ? `no directory entry with speed dial ${m.speedDial}` : `no directory entry ${m.name} (${m.number})`);
  return i;
}

function checkSpeedDial(c: Readonly<Config>, speedDial: string | null | undefined, except?: number): void {
  if (speedDial === undefined || speedDial === null) return;
  const owner = c.directory.findIndex((d, i) => i !== except && d.speedDial === speedDial);
  if (owner >= 0) fail('E_CONFLICT', `speed dial ${speedDial} is already ${c.directory[owner]!.name}'s (DIR-1)`);
}

function checkUnique(c: Readonly<Config>, name: string, number: string, except?: number): void {
  if (c.directory.some((d, i) => i !== except && d.name === name && d.number === number)) fail('E_CONFLICT', `${name} (${number}) is already in the directory`);
}

const C = configSchema.shape;
const timezone = bare(C.system)
  .shape.timezone.unwrap()
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone, e.g. Europe/Paris');
const settingsUpdateArgs = z.strictObject({
  company: patchOf(bare(C.company)).optional(),
  // Passwords are write-only: absent keeps the stored one, "" removes it.
  trunk: patchOf(bare(C.trunk)).optional(),
  capacity: patchOf(bare(C.capacity)).optional(),
  smtp: patchOf(bare(C.smtp)).optional(),
  system: z.strictObject({ hostname: bare(C.system).shape.hostname.unwrap().optional(), timezone: timezone.optional() }).optional(),
});

const announcementsShape = bare(C.announcements).shape;
const receptionUpdateArgs = z.strictObject({
  /** The reception phone (NUM-1) by internal number or MAC; null: none. */
  phone: phoneRef.nullable().optional(),
  ringsBeforeOverflow: bare(bare(C.reception).shape.ringsBeforeOverflow).optional(),
  forwardAll: patchOf(bare(bare(C.reception).shape.forwardAll)).optional(),
  announcements: z
    .strictObject({ preAnswer: patchOf(bare(announcementsShape.preAnswer)).optional(), holdMusic: announcementsShape.holdMusic.unwrap().nullable().optional() })
    .optional(),
  // Keys are replaced as a whole list (their order is the menu's).
  autoAttendant: patchOf(autoAttendantSchema).optional(),
});

/** YYYY-MM-DD (a day of the box's time zone) or an ISO date-time. */
const dateArg = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
/** GET passes query strings: numbers may come as text. */
const pageSizeArg = z.coerce
  .number()
  .refine((n) => n === 10 || n === 20 || n === 50, 'pages of 10, 20 or 50 (LOG-1)')
  .default(10);

// ---------------------------------------------------------------------------
// Dates of the journal filter, in the box's time zone.

function tzOffsetMs(utcMs: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(utcMs);
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** Epoch ms of local midnight of a YYYY-MM-DD day in tz (DST-safe: the offset is re-read at the result). */
function localMidnight(day: string, tz: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  let t = guess - tzOffsetMs(guess, tz);
  const again = guess - tzOffsetMs(t, tz);
  if (again !== t) t = again;
  return t;
}

function dayAfter(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------

export function registerAdminCommands(registry: CommandRegistry, deps: AdminDeps): void {
  const { config } = deps;

  /** Applies a change; a refusal (ours or the schema's, with the field path) is thrown, nothing is stored. */
  const apply = (mutate: (draft: Config) => void): void => {
    const r = config.update(mutate);
    if (!r.ok) throw r.error;
  };

  const registered = (): Set<string> => {
    const r = safely(() => deps.live.registeredMacs());
    return new Set(Array.isArray(r) ? r : []);
  };

  const showPhone = (mac: string) => {
    const p = findPhone(config.get(), mac);
    return phoneView(p, registered().has(p.mac));
  };

  registry.register(
    defineCommand({
      name: 'dashboard',
      summary: 'phones registered, trunk, DSL, powerline, calls in progress, LEDs (WEB-2)',
      args: noArgs,
      roles: ADMIN,
      readOnly: true,
      run: () => {
        const regs = registered();
        const phones = config.get().phones;
        const calls = safely(() => deps.live.calls());
        const list = Array.isArray(calls) ? calls : [];
        return {
          phones: { total: phones.length, registered: phones.filter((p) => regs.has(p.mac)).length },
          trunk: safely(() => deps.live.trunk()) ?? null,
          dsl: safely(() => deps.live.dsl()) ?? null,
          plc: safely(() => deps.live.plc()) ?? null,
          calls: { count: list.length, list, ...(Array.isArray(calls) ? {} : { error: calls.error }) },
          leds: safely(() => deps.live.leds()) ?? null,
        };
      },
    }),

    // --- users (WEB-3, WEB-4, WEB-5, NUM-9) --------------------------------
    defineCommand({
      name: 'phone list',
      summary: 'the phones, as the admin web lists them (WEB-3)',
      args: noArgs,
      roles: ADMIN,
      readOnly: true,
      run: () => {
        const regs = registered();
        return [...config.get().phones]
          .sort((a, b) => a.internalNumber.localeCompare(b.internalNumber))
          .map((p) => ({
            mac: p.mac,
            registered: regs.has(p.mac),
            internalNumber: p.internalNumber,
            lastName: p.lastName,
            firstName: p.firstName,
            did: p.did ?? null,
            email: p.email ?? null,
            model: p.model,
            restrictionProfile: p.restrictionProfile,
            forwardRestrictionProfile: p.forwardRestrictionProfile,
            hasUserWeb: hasUserWeb(p),
            userPasswordSet: p.userPasswordHash !== undefined,
            mobile: p.mobile !== undefined,
          }));
      },
    }),
    defineCommand({
      name: 'phone show',
      summary: 'a phone record, secrets removed (WEB-4)',
      positional: ['phone'],
      args: z.strictObject({ phone: phoneRef }),
      roles: ADMIN,
      readOnly: true,
      run: ({ phone }) => showPhone(phone),
    }),
    defineCommand({
      name: 'phone update',
      summary: 'change a phone record: general, voicemail, services and forwards, restrictions, simultaneous ring (WEB-4)',
      args: phoneUpdateArgs,
      roles: ADMIN,
      run: (args) => {
        const { phone, ...patch } = args;
        let mac = '';
        apply((c) => {
          const p = findPhone(c, phone);
          mac = p.mac;
          mergePatch(p as unknown as Plain, patch as Plain);
          // CID-2, GRP-6: presenting a group's number needs a group that has one.
          if (p.presentedIdentity === 'group' && (patch.presentedIdentity !== undefined || patch.presentedGroup !== undefined)) {
            const g = p.presentedGroup !== undefined ? c.groups.find((x) => x.internalNumber === p.presentedGroup) : undefined;
            if (!g?.did) fail('E_BAD_ARGUMENTS', 'presentedGroup: presenting a group needs a group with a direct line (CID-2, GRP-6)');
          }
          // MOB-1: the admin allows simultaneous ring, for DID phones, with a mobile number.
          if (patch.simultaneousRing !== undefined) {
            const s = p.simultaneousRing;
            if (s.allowed && p.did === undefined) fail('E_BAD_ARGUMENTS', 'simultaneousRing.allowed: only phones with a direct line (MOB-1)');
            if (s.enabled && (!s.allowed || s.mobile === undefined)) fail('E_BAD_ARGUMENTS', 'simultaneousRing.enabled: needs allowed and a mobile number (MOB-1)');
          }
          if (patch.mainNumberOnMobile !== undefined && p.mainNumberOnMobile.enabled && p.mainNumberOnMobile.mobile === undefined)
            fail('E_BAD_ARGUMENTS', 'mainNumberOnMobile.enabled: needs a mobile number (MOB-3)');
          // Only the forwards this change touches: an unrelated edit must not be blocked by a stored state.
          for (const k of Object.keys(patch.forwards ?? {}) as Array<keyof Phone['forwards']>)
            if (p.forwards[k].enabled && p.forwards[k].destination === undefined) fail('E_BAD_ARGUMENTS', `forwards.${k}: an enabled forward needs a destination (FWD-1)`);
        });
        return showPhone(mac);
      },
    }),
    defineCommand({
      name: 'phone reset-password',
      summary: 'user web password back to the internal number, to change at next login (WEB-5)',
      positional: ['phone'],
      args: z.strictObject({ phone: phoneRef }),
      roles: ADMIN,
      run: ({ phone }) => {
        let mac = '';
        apply((c) => {
          const p = findPhone(c, phone);
          mac = p.mac;
          delete p.userPasswordHash;
        });
        const p = findPhone(config.get(), mac);
        return { internalNumber: p.internalNumber, hasUserWeb: hasUserWeb(p), userPasswordSet: false };
      },
    }),
    defineCommand({
      name: 'phone associate',
      summary: 'move a phone record to another handset (MAC): number, voicemail, groups follow (NUM-9)',
      positional: ['phone', 'mac'],
      args: z.strictObject({ phone: phoneRef, mac: macArg }),
      roles: ADMIN,
      run: ({ phone, mac }) => {
        apply((c) => {
          const p = findPhone(c, phone);
          if (p.mac === mac) return;
          if (c.phones.some((x) => x.mac === mac)) fail('E_CONFLICT', `the handset ${mac} is already phone ${c.phones.find((x) => x.mac === mac)!.internalNumber}`);
          const old = p.mac;
          p.mac = mac;
          for (const g of c.groups) g.members = g.members.map((m) => (m === old ? mac : m));
          if (c.reception.phone === old) c.reception.phone = mac;
        });
        return showPhone(mac);
      },
    }),

    // --- groups (GRP-1..6) -------------------------------------------------
    defineCommand({
      name: 'group list',
      summary: 'the groups: state, number, name, ring type, external number, members (GRP-3)',
      args: noArgs,
      roles: ADMIN,
      readOnly: true,
      run: () => {
        const c = config.get();
        return [...c.groups].sort((a, b) => a.internalNumber.localeCompare(b.internalNumber)).map((g) => groupView(c, g));
      },
    }),
    defineCommand({
      name: 'group add',
      summary: 'create a group (GRP-1, GRP-3); its number is allocated in 621-699 when not given',
      args: groupAddArgs,
      roles: ADMIN,
      run: (a) => {
        let num = '';
        apply((c) => {
          const used = usedNumbers(c);
          if (a.internalNumber !== undefined) {
            const owner = used.get(a.internalNumber);
            if (owner) fail('E_CONFLICT', `internal number ${a.internalNumber} is already used by ${owner}`);
            num = a.internalNumber;
          } else {
            for (let n = NUMBERING.group.min; n <= NUMBERING.group.max && num === ''; n++) if (!used.has(String(n))) num = String(n);
            if (num === '') fail('E_CONFLICT', `no free group number in ${NUMBERING.group.min}-${NUMBERING.group.max}`);
          }
          c.groups.push({
            internalNumber: num,
            name: a.name,
            ringMode: a.ringMode,
            members: [...new Set(a.members.map((m) => findPhone(c, m).mac))],
            ...(a.did !== undefined ? { did: a.did } : {}),
            enabled: a.enabled ?? true,
            ringSecondsPerMember: a.ringSecondsPerMember ?? 15,
          });
        });
        const c = config.get();
        return groupView(c, findGroup(c, num));
      },
    }),
    defineCommand({
      name: 'group update',
      summary: 'change a group (GRP-3); members are internal numbers, in ring order',
      args: groupUpdateArgs,
      roles: ADMIN,
      run: (a) => {
        const { group, members, ...patch } = a;
        let num = group;
        apply((c) => {
          const g = findGroup(c, group);
          if (g.internalNumber === STANDARD && (members !== undefined || patch.internalNumber !== undefined || patch.enabled === false || patch.ringMode !== undefined))
            fail('E_FORBIDDEN', 'the Standard group 999 always rings every phone at once; only its name, ring time and direct line change (GRP-2)');
          if (patch.internalNumber !== undefined && patch.internalNumber !== group) {
            const owner = usedNumbers(c).get(patch.internalNumber);
            if (owner) fail('E_CONFLICT', `internal number ${patch.internalNumber} is already used by ${owner}`);
            // What names the group by number follows it.
            for (const s of c.schedules) if (s.target === group) s.target = patch.internalNumber;
            for (const p of c.phones) {
              if (p.presentedGroup === group) p.presentedGroup = patch.internalNumber;
              p.groupsLeft = p.groupsLeft.map((n) => (n === group ? patch.internalNumber! : n));
            }
            num = patch.internalNumber;
          }
          mergePatch(g as unknown as Plain, patch as Plain);
          if (members !== undefined) g.members = [...new Set(members.map((m) => findPhone(c, m).mac))];
        });
        const c = config.get();
        return groupView(c, findGroup(c, num));
      },
    }),
    defineCommand({
      name: 'group remove',
      summary: 'delete a group and its day/night schedule (GRP-3; not the Standard group, GRP-2)',
      positional: ['group'],
      args: z.strictObject({ group: internalNumberArg, confirm: z.boolean().optional() }),
      roles: ADMIN,
      confirm: 'The group and its day/night schedule will be removed.',
      run: ({ group }) => {
        if (group === STANDARD) fail('E_FORBIDDEN', 'the Standard group 999 cannot be removed (GRP-2)');
        apply((c) => {
          findGroup(c, group);
          c.groups = c.groups.filter((g) => g.internalNumber !== group);
          // Choice: a schedule belongs to its group (GRP-5), so it goes with it rather than blocking the removal.
          c.schedules = c.schedules.filter((s) => s.target !== group);
          for (const p of c.phones) {
            p.groupsLeft = p.groupsLeft.filter((n) => n !== group);
            if (p.presentedGroup === group) {
              delete p.presentedGroup;
              if (p.presentedIdentity === 'group') p.presentedIdentity = p.did !== undefined ? 'did' : 'main';
            }
          }
        });
        return { removed: group };
      },
    }),

    // --- day/night service (GRP-5) -----------------------------------------
    defineCommand({
      name: 'schedule list',
      summary: 'day/night schedules of the main number and the groups (GRP-5)',
      args: noArgs,
      roles: ADMIN,
      readOnly: true,
      run: () => structuredClone(config.get().schedules),
    }),
    defineCommand({
      name: 'schedule set',
      summary: 'create or replace the day/night schedule of "main" or a group (GRP-5)',
      args: scheduleSchema,
      roles: ADMIN,
      run: (s) => {
        apply((c) => {
          if (s.target !== 'main') findGroup(c, s.target);
          // No from < to check: a slot with to <= from crosses midnight (pbx/schedule.ts slotCovers).
          const i = c.schedules.findIndex((x) => x.target === s.target);
          if (i >= 0) c.schedules[i] = s;
          else c.schedules.push(s);
        });
        return structuredClone(config.get().schedules.find((x) => x.target === s.target)!);
      },
    }),
    defineCommand({
      name: 'schedule remove',
      summary: 'remove the day/night schedule of "main" or a group (GRP-5)',
      positional: ['target'],
      args: z.strictObject({ target: scheduleSchema.shape.target }),
      roles: ADMIN,
      run: ({ target }) => {
        apply((c) => {
          if (!c.schedules.some((s) => s.target === target)) fail('E_NOT_FOUND', `no schedule for ${target}`);
          c.schedules = c.schedules.filter((s) => s.target !== target);
        });
        return { removed: target };
      },
    }),

    // --- restriction profiles (RES-1, RES-2) -------------------------------
    defineCommand({
      name: 'restriction list',
      summary: 'the 10 outgoing restriction profiles (RES-2)',
      args: noArgs,
      roles: ADMIN,
      readOnly: true,
      run: () => [...config.get().restrictionProfiles].sort((a, b) => a.id - b.id).map((p) => structuredClone(p)),
    }),
    defineCommand({
      name: 'restriction update',
      summary: 'rename or change an editable profile, 8 or 9 (RES-2)',
      args: z.strictObject({ id: restrictionProfileSchema.shape.id, name: restrictionProfileSchema.shape.name.optional(), allow: patchOf(restrictionProfileSchema.shape.allow).optional() }),
      roles: ADMIN,
      run: ({ id, name, allow }) => {
        apply((c) => {
          const p = c.restrictionProfiles.find((x) => x.id === id);
          if (!p) fail('E_NOT_FOUND', `no restriction profile ${id}`);
          if (!p.editable) fail('E_FORBIDDEN', `profile ${id} is fixed; only profiles 8 and 9 can be changed (RES-2)`);
          if (name !== undefined) p.name = name;
          if (allow !== undefined) mergePatch(p.allow, allow);
        });
        return structuredClone(config.get().restrictionProfiles.find((x) => x.id === id)!);
      },
    }),

    // --- directory (DIR-1, NUM-5) ------------------------------------------
    defineCommand({
      name: 'directory list',
      summary: 'the company directory, by name (DIR-1)',
      args: noArgs,
      roles: ['admin', 'user'],
      readOnly: true,
      run: () => [...config.get().directory].map((d) => ({ ...d })).sort((a, b) => a.name.localeCompare(b.name, 'fr')),
    }),
    defineCommand({
      name: 'directory add',
      summary: 'add a contact, with an optional speed dial 700-869 (DIR-1, NUM-5)',
      args: z.strictObject({ name: D.name, number: D.number, speedDial: speedDialArg.optional() }),
      roles: ADMIN,
      run: (e) => {
        apply((c) => {
          checkUnique(c, e.name, e.number);
          checkSpeedDial(c, e.speedDial);
          c.directory.push({ name: e.name, number: e.number, ...(e.speedDial !== undefined ? { speedDial: e.speedDial } : {}) });
        });
        return { ...e };
      },
    }),
    defineCommand({
      name: 'directory update',
      summary: 'change a contact, found by its speed dial or by name and number (DIR-1)',
      args: z.strictObject({ match: directoryMatch, name: D.name.optional(), number: D.number.optional(), speedDial: speedDialArg.nullable().optional() }),
      roles: ADMIN,
      run: ({ match, ...patch }) => {
        let result: z.infer<typeof directoryEntrySchema> | undefined;
        apply((c) => {
          const i = findEntry(c, match);
          const e = c.directory[i]!;
          checkUnique(c, patch.name ?? e.name, patch.number ?? e.number, i);
          checkSpeedDial(c, patch.speedDial, i);
          mergePatch(e as unknown as Plain, patch as Plain);
          result = { ...e };
        });
        return result!;
      },
    }),
    defineCommand({
      name: 'directory remove',
      summary: 'remove a contact, found by its speed dial or by name and number (DIR-1)',
      args: z.strictObject({ match: directoryMatch }),
      roles: ADMIN,
      run: ({ match }) => {
        let removed: z.infer<typeof directoryEntrySchema> | undefined;
        apply((c) => {
          const i = findEntry(c, match);
          removed = { ...c.directory[i]! };
          c.directory.splice(i, 1);
        });
        return { removed: removed! };
      },
    }),

    // --- reception (NUM-1, INB-1, INB-2, VOX-2, VOX-4, VOX-6) --------------
    defineCommand({
      name: 'reception show',
      summary: 'reception phone, overflow, forward, pre-answer, hold music, auto attendant',
      args: noArgs,
      roles: ADMIN,
      readOnly: true,
      run: () => receptionView(config.get()),
    }),
    defineCommand({
      name: 'reception update',
      summary: 'change the reception settings; announcement files are uploaded with "announcement import"',
      args: receptionUpdateArgs,
      roles: ADMIN,
      run: (a) => {
        apply((c) => {
          if (a.phone === null) delete c.reception.phone;
          else if (a.phone !== undefined) c.reception.phone = findPhone(c, a.phone).mac;
          if (a.ringsBeforeOverflow !== undefined) c.reception.ringsBeforeOverflow = a.ringsBeforeOverflow;
          if (a.forwardAll !== undefined) mergePatch(c.reception.forwardAll as unknown as Plain, a.forwardAll as Plain);
          // Each rule checked only when its part is changed, so that an unrelated edit is never blocked.
          if (a.forwardAll !== undefined && c.reception.forwardAll.enabled && c.reception.forwardAll.destination === undefined)
            fail('E_BAD_ARGUMENTS', 'forwardAll.destination: needed to forward the main number (INB-2)');
          if (a.announcements !== undefined) mergePatch(c.announcements as unknown as Plain, a.announcements as Plain);
          if (a.announcements !== undefined && c.announcements.preAnswer.enabled && c.announcements.preAnswer.file === undefined)
            fail('E_BAD_ARGUMENTS', 'announcements.preAnswer.file: the pre-answer needs an announcement (VOX-4)');
          if (a.autoAttendant !== undefined) {
            const n = a.autoAttendant.internalNumber;
            if (n !== undefined && n !== null && n !== c.autoAttendant.internalNumber) {
              const owner = usedNumbers(c).get(n);
              if (owner) fail('E_CONFLICT', `internal number ${n} is already used by ${owner}`);
            }
            mergePatch(c.autoAttendant as unknown as Plain, a.autoAttendant as Plain);
          }
          if (a.autoAttendant !== undefined && c.autoAttendant.enabled && c.autoAttendant.prompt === undefined)
            fail('E_BAD_ARGUMENTS', 'autoAttendant.prompt: the auto attendant needs a welcome prompt (VOX-6)');
        });
        return receptionView(config.get());
      },
    }),

    // --- settings ----------------------------------------------------------
    defineCommand({
      name: 'settings show',
      summary: 'company, trunk, capacity, mail server, system (passwords not shown)',
      args: noArgs,
      roles: ADMIN,
      readOnly: true,
      run: () => settingsView(config.get()),
    }),
    defineCommand({
      name: 'settings update',
      summary: 'change company, trunk, capacity (NUM-8), mail server, host name and time zone; passwords are write-only',
      args: settingsUpdateArgs,
      roles: ADMIN,
      run: (a) => {
        apply((c) => mergePatch(c as unknown as Plain, a as Plain));
        return settingsView(config.get());
      },
    }),

    // --- call journal (LOG-1) ----------------------------------------------
    defineCommand({
      name: 'journal search',
      summary: 'calls by phone, kind and date range, newest first, in pages of 10, 20 or 50 (LOG-1)',
      args: z.strictObject({
        phone: phoneRef.optional(),
        kind: z.enum(['missed', 'answered', 'emitted']).optional(),
        from: dateArg.optional(),
        to: dateArg.optional(),
        page: z.coerce.number().int().min(1).max(10_000).default(1),
        pageSize: pageSizeArg,
      }),
      roles: ADMIN,
      readOnly: true,
      run: (a) => {
        const c = config.get();
        const tz = c.system.timezone;
        const mac = a.phone !== undefined ? findPhone(c, a.phone).mac : undefined;
        // A bare day means the whole day of the box's time zone, both ends included.
        const from = a.from === undefined ? undefined : a.from.length === 10 ? localMidnight(a.from, tz) : Date.parse(a.from);
        const to = a.to === undefined ? undefined : a.to.length === 10 ? localMidnight(dayAfter(a.to), tz) - 1 : Date.parse(a.to);
        if (from !== undefined && to !== undefined && from > to) fail('E_BAD_ARGUMENTS', 'from: must not be after to');
        const all = deps.journal.query({
          ...(mac !== undefined ? { phone: mac } : {}),
          ...(a.kind !== undefined ? { kind: a.kind } : {}),
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
        });
        const byMac = new Map(c.phones.map((p) => [p.mac, p.internalNumber]));
        const rows = all.slice((a.page - 1) * a.pageSize, a.page * a.pageSize).map((e: JournalEntry) => ({
          ...e,
          phones: [...e.phones],
          date: new Date(e.startedAt).toISOString(),
          // Internal numbers beside MACs: what the admin recognises.
          phoneNumbers: e.phones.map((m) => byMac.get(m) ?? null),
        }));
        return { total: all.length, page: a.page, pageSize: a.pageSize, pages: Math.max(1, Math.ceil(all.length / a.pageSize)), rows };
      },
    }),
  );
}
