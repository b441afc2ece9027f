import { z } from 'zod';

/**
 * The whole persistent data model of SPEC.md, in one zod schema. The store
 * validates every load and every change against it; the web and the console
 * reuse the same pieces for their forms. Field comments cite the SPEC IDs.
 */
export const CONFIG_VERSION = 2;

/** Internal numbering plan (NUM-2..NUM-7). Ranges never collide with public short numbers (NUM-4). */
export const NUMBERING = {
  didPhone: { min: 400, max: 499 }, // NUM-2: "4" + last two digits of the DID
  plainPhone: { min: 601, max: 620 }, // NUM-3
  group: { min: 621, max: 699 }, // our choice (docs/config.md): groups share the 6xx block above phones
  speedDial: { min: 700, max: 869 }, // NUM-5
  voicemail: 888, // NUM-7
  standardGroup: 999, // NUM-6, GRP-2
} as const;

/** EU member states' country codes but France's own (french-numbering.md §4.6: default allow-list). */
export const EU_COUNTRY_CODES = [
  '30', '31', '32', '34', '36', '39', '40', '43', '45', '46', '48', '49',
  '351', '352', '353', '356', '357', '358', '359', '370', '371', '372', '385', '386', '420', '421',
] as const;

const internalNumber = z.string().regex(/^\d{3}$/, 'three digits');
/** A French national number (0 + 9 digits) or an international one (+ / 00 prefix). */
const publicNumber = z.string().regex(/^(0[1-9]\d{8}|\+[1-9]\d{6,14}|00[1-9]\d{6,14})$/, 'a French (0XXXXXXXXX) or international (+...) number');
/** Where a call can be sent: an internal number, a public number, or the phone's voicemail. */
const destination = z.string().regex(/^(\d{2,15}|\+[1-9]\d{6,14}|voicemail)$/, 'an internal or public number, or "voicemail"');
const macAddress = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'lower-case MAC address aa:bb:cc:dd:ee:ff');
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const fileRef = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a stored file name');
const sipSecret = z.string().min(12).max(64);

const forward = z.strictObject({
  enabled: z.boolean().default(false),
  destination: destination.optional(),
});

export const phoneSchema = z.strictObject({
  /** Stable identity: the phone's MAC address (NUM-9: the configuration follows the phone). */
  mac: macAddress,
  model: z.string().max(64).default('unknown'),
  internalNumber,
  /** Direct line (NUM-2); absent for 60x phones (NUM-3). */
  did: publicNumber.optional(),
  firstName: z.string().max(64).default(''),
  lastName: z.string().max(64).default(''),
  email: z.email().optional(),
  sip: z.strictObject({ username: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), password: sipSecret }),
  /** RES-4: one profile for own calls, one for forwards. RES-3 gives the defaults. */
  restrictionProfile: z.int().min(1).max(10),
  forwardRestrictionProfile: z.int().min(1).max(10),
  /** CID-1, CID-2: what outgoing calls present. */
  presentedIdentity: z.enum(['did', 'company', 'main', 'secret', 'group']).default('main'),
  presentedGroup: internalNumber.optional(),
  hideIdentity: z.boolean().default(false), // *65*1
  /** FWD-6 options. */
  callWaiting: z.boolean().default(true),
  automaticCallback: z.boolean().default(false),
  hideIdentityOnInternalForward: z.boolean().default(false),
  successiveForwarding: z.boolean().default(false),
  /** FWD-7: number shown on a call forwarded outside. */
  forwardedCallerId: z.enum(['main', 'first-caller', 'initiator']).default('main'),
  forwards: z
    .strictObject({
      unconditional: forward.default({ enabled: false }), // FWD-1
      busy: forward.default({ enabled: false }), // FWD-1
      noAnswer: forward.extend({ rings: z.int().min(1).max(12).default(5) }).default({ enabled: true, destination: 'voicemail', rings: 5 }), // FWD-1, FWD-4
      disconnect: forward.extend({ last: destination.optional() }).default({ enabled: false }), // FWD-2 *24
      disconnectOrNoAnswer: forward.extend({ last: destination.optional() }).default({ enabled: false }), // FWD-3 *27
    })
    .prefault({}),
  forwardProtection: z.boolean().default(false), // FWD-5 *89
  /** INB-4: do not ring on Standard-group overflow (*30*999). */
  standardOverflowOptOut: z.boolean().default(false),
  /** GRP-4: groups (internal numbers, not 999) this member has left with *30*n; the admin's membership is kept. */
  groupsLeft: z.array(internalNumber).max(11).default([]),
  voicemail: z
    .strictObject({
      enabled: z.boolean().default(true),
      pin: z.string().regex(/^\d{4,8}$/).optional(),
      emailEnabled: z.boolean().default(false), // VOX-1
      greeting: fileRef.optional(), // VOX-2
    })
    .prefault({}),
  preAnswer: z.strictObject({ enabled: z.boolean().default(false), recording: fileRef.optional() }).prefault({}), // VOX-5
  voicePresentation: z.int().min(0).max(5).default(0), // VOX-7
  simultaneousRing: z
    .strictObject({ allowed: z.boolean().default(false), enabled: z.boolean().default(false), mobile: publicNumber.optional() })
    .prefault({}), // MOB-1
  mainNumberOnMobile: z.strictObject({ enabled: z.boolean().default(false), mobile: publicNumber.optional() }).prefault({}), // MOB-3
  screenKeys: z
    .array(
      z.strictObject({
        position: z.int().min(1).max(24), // KEY-1: 9 per screen, 24 with "More"
        kind: z.enum(['supervision', 'speed-dial']),
        target: z.string().regex(/^(\d{2,15}|\+[1-9]\d{6,14})$/),
        label: z.string().max(24).default(''),
      }),
    )
    .max(24)
    .default([]),
  /** WEB-5: user web password (scrypt); absent = the internal number, to be changed at first login. */
  userPasswordHash: z.string().optional(),
  /** WEB-6 "my contacts": the user's own contacts, beside the company directory (docs/web.md). */
  contacts: z
    .array(z.strictObject({ name: z.string().min(1).max(64), number: z.string().regex(/^(\d{2,15}|\+[1-9]\d{6,14})$/, 'an internal or public number') }))
    .max(50)
    .default([]),
  /** WEB-7: a mobile SIP softphone account of this user: same internal number, its own credentials (docs/mobile-app.md). */
  mobile: z
    .strictObject({ username: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), password: sipSecret, enabledAt: z.iso.datetime() })
    .optional(),
  /** When the phone first auto-configured (NUM-3 allocates in this order). */
  installedAt: z.iso.datetime(),
});

export const groupSchema = z.strictObject({
  internalNumber,
  name: z.string().min(1).max(64),
  ringMode: z.enum(['simultaneous', 'sequential']), // GRP-1
  /** Members by MAC, in ring order for sequential groups. */
  members: z.array(macAddress).default([]),
  did: publicNumber.optional(), // GRP-6
  enabled: z.boolean().default(true),
  /** Sequential mode: seconds each member rings; simultaneous mode: seconds the whole group rings (docs/incoming.md). */
  ringSecondsPerMember: z.int().min(5).max(120).default(15),
});

/**
 * RES-1 categories, as today's French plan has them (french-numbering.md §4.7,
 * §4.8; the mapping of the guide's 2015 columns is in docs/outgoing.md).
 * Emergency numbers are always allowed (RES-4) and so have no switch.
 */
export const RESTRICTION_CATEGORIES = [
  'free', // 0800-0805, 30PQ, 31PQ, 116XYZ
  'operatorService', // the trunk operator's short numbers (3900, 3901, 10YT...): outgoing.operatorServices
  'national', // 01-05, 09, 0806-0809, public-service 3BPQ of the plan's allowlist
  'lowCapPremium', // 081 (the guide's "Azur")
  'mobile', // metropolitan 06/07
  'dom', // overseas departments inside the plan (0590, 0262, 0690...)
  'comTom', // overseas collectivities with their own country code (00 508, 681, 687, 689)
  'premium', // 082, 089, 3[2-9]PQ, 10YT
  'directory', // 118XYZ
  'international', // 00 + country code, further limited by outgoing.allowedCountryCodes
  'm2m', // 0700 and 0901 (14-digit, not for voice)
] as const;
export type RestrictionCategory = (typeof RESTRICTION_CATEGORIES)[number];

export const restrictionProfileSchema = z.strictObject({
  id: z.int().min(1).max(10),
  name: z.string().min(1).max(64),
  /** RES-2: only profiles 8 and 9 are editable. */
  editable: z.boolean(),
  allow: z.strictObject(Object.fromEntries(RESTRICTION_CATEGORIES.map((c) => [c, z.boolean()])) as Record<RestrictionCategory, z.ZodBoolean>),
});

export const directoryEntrySchema = z.strictObject({
  name: z.string().min(1).max(64),
  number: z.string().regex(/^(\d{2,15}|\+[1-9]\d{6,14})$/),
  speedDial: internalNumber.optional(), // DIR-1, NUM-5: 700..869
});

const scheduleSlot = z.strictObject({
  days: z.array(z.int().min(0).max(6)).min(1), // 0 = Sunday
  from: time,
  to: time,
});

export const scheduleSchema = z.strictObject({
  /** GRP-5: "main" (the main number) or a group's internal number. */
  target: z.union([z.literal('main'), internalNumber]),
  enabled: z.boolean().default(false),
  /** Day service periods; outside them calls go to nightDestination. */
  daySlots: z.array(scheduleSlot).default([]),
  nightDestination: destination,
  /** French public holidays are night all day (beyond the guide). */
  holidaysAreNight: z.boolean().default(true),
  /** Manual override by feature code (*40*n night, *41*n day, *42*n automatic): beyond the guide. */
  override: z.enum(['auto', 'day', 'night']).default('auto'),
});

export const autoAttendantSchema = z.strictObject({
  enabled: z.boolean().default(false), // VOX-6
  name: z.string().max(64).default('Standard automatique'),
  restrictionProfile: z.int().min(1).max(10).default(1),
  internalNumber: internalNumber.optional(),
  externalNumber: publicNumber.optional(),
  prompt: fileRef.optional(),
  keys: z
    .array(
      z.strictObject({
        digit: z.string().regex(/^[0-9*#]$/),
        action: z.discriminatedUnion('kind', [
          z.strictObject({ kind: z.literal('call'), number: destination }),
          z.strictObject({ kind: z.literal('voicemail'), internalNumber }),
          z.strictObject({ kind: z.literal('repeat') }),
        ]),
      }),
    )
    .max(12)
    .default([]),
});

export const configSchema = z
  .strictObject({
    version: z.literal(CONFIG_VERSION),
    admin: z.strictObject({
      /** WEB-1: the per-device password, readable on the console (the box's information display). */
      devicePassword: z.string().min(8),
      /** Set when the admin chose another password (scrypt); the device password then no longer works. */
      passwordHash: z.string().optional(),
    }),
    company: z
      .strictObject({
        name: z.string().max(64).default(''),
        mainNumber: publicNumber.optional(), // NUM-1
        companyNumber: publicNumber.optional(), // CID-3: chosen among the DIDs
        dids: z.array(publicNumber).default([]),
      })
      .prefault({}),
    reception: z
      .strictObject({
        /** NUM-1: the phone that carries the main number (by MAC). */
        phone: macAddress.optional(),
        /** INB-1: rings before the Standard group takes over. */
        ringsBeforeOverflow: z.int().min(1).max(10).default(3),
        forwardAll: forward.default({ enabled: false }), // INB-2
      })
      .prefault({}),
    capacity: z.strictObject({ maxExternalCalls: z.int().min(1).max(60).default(4) }).prefault({}), // NUM-8
    /** Outgoing external calls beyond the guide: operator codes and the toll-fraud guard (docs/outgoing.md). */
    outgoing: z
      .strictObject({
        /** Short numbers of the trunk operator, dialable with the operatorService switch (french-numbering.md §4.3). */
        operatorServices: z.array(z.string().regex(/^\d{3,6}$/)).max(50).default(['3900', '3901']),
        /** International calls go only to these country codes, whatever the profile (IRSF guard). */
        allowedCountryCodes: z.array(z.string().regex(/^[1-9]\d{0,2}$/)).max(250).default([...EU_COUNTRY_CODES]),
        /** At most this many external calls per phone in any 60 s (0 = no cap). Emergency calls are never counted against it. */
        maxCallsPerMinutePerPhone: z.int().min(0).max(600).default(10),
      })
      .prefault({}),
    trunk: z
      .strictObject({
        enabled: z.boolean().default(false),
        registrar: z.string().max(253).default(''),
        port: z.int().min(1).max(65535).default(5060),
        transport: z.enum(['udp', 'tcp']).default('udp'),
        domain: z.string().max(253).default(''),
        username: z.string().max(128).default(''),
        authUsername: z.string().max(128).default(''),
        password: z.string().max(128).default(''),
        /** false: an IP-authenticated trunk without registration; calls still answer digest challenges. */
        register: z.boolean().default(true),
        registerExpires: z.int().min(60).max(86400).default(600),
        /** Back-off after a failed registration: this long first, doubling up to retryMaxSeconds. */
        retryMinSeconds: z.int().min(1).max(3600).default(15),
        retryMaxSeconds: z.int().min(1).max(86400).default(600),
      })
      .prefault({}),
    phones: z.array(phoneSchema).max(60).default([]),
    groups: z.array(groupSchema).max(11, 'at most 10 groups besides the Standard group 999 (GRP-3)').default([]),
    restrictionProfiles: z.array(restrictionProfileSchema).length(10),
    directory: z.array(directoryEntrySchema).max(170).default([]),
    announcements: z
      .strictObject({
        preAnswer: z
          .strictObject({
            enabled: z.boolean().default(false), // VOX-4
            mode: z.enum(['while-ringing', 'before-ringing']).default('while-ringing'),
            file: fileRef.optional(),
          })
          .prefault({}),
        holdMusic: fileRef.optional(),
      })
      .prefault({}),
    autoAttendant: autoAttendantSchema.prefault({}),
    schedules: z.array(scheduleSchema).max(12).default([]),
    sip: z
      .strictObject({
        realm: z.string().min(1).max(64).default('pbxgate'),
        timers: z
          .strictObject({ t1: z.int().min(100).max(5000).default(500), t2: z.int().min(1000).max(16000).default(4000), t4: z.int().min(1000).max(20000).default(5000) })
          .prefault({}),
        registrar: z
          .strictObject({
            minExpires: z.int().min(10).max(3600).default(60),
            maxExpires: z.int().min(60).max(86400).default(3600),
            defaultExpires: z.int().min(60).max(86400).default(600),
            maxContactsPerPhone: z.int().min(1).max(10).default(3),
            /**
             * Threads that handle REGISTERs beside the main thread (docs/sip-registrar.md "threads"):
             * auto = one when the board has more than one core; 0 = none. Read when SIP starts.
             */
            threads: z.union([z.literal('auto'), z.int().min(0).max(8)]).default('auto'),
          })
          .prefault({}),
        ban: z
          .strictObject({
            maxFailures: z.int().min(1).max(1000).default(10),
            windowSeconds: z.int().min(1).max(86400).default(60),
            banSeconds: z.int().min(1).max(604800).default(900),
          })
          .prefault({}),
        nonceLifetimeSeconds: z.int().min(10).max(3600).default(300),
        /** No step of a call's ring plan rings longer than this (docs/incoming.md). */
        ringTimeoutSeconds: z.int().min(5).max(600).default(60),
        /** One ring, for settings counted in rings (INB-1, FWD-4): the French cadence is 1.5 s on, 3.5 s off. */
        ringCycleSeconds: z.int().min(1).max(10).default(5),
        // MD5 only by default: libre 1.x (baresip) rejects a 401 carrying any non-MD5 challenge and
        // SIPp 3.6.1 answers only the first one; SHA-256 is opt-in (docs/sip-registrar.md).
        digestAlgorithms: z.array(z.enum(['SHA-256', 'MD5'])).min(1).default(['MD5']),
      })
      .prefault({}),
    smtp: z
      .strictObject({
        host: z.string().max(253).default(''),
        port: z.int().min(1).max(65535).default(587),
        secure: z.boolean().default(false),
        user: z.string().max(128).default(''),
        password: z.string().max(128).default(''),
        from: z.string().max(128).default(''),
      })
      .prefault({}),
    system: z
      .strictObject({
        hostname: z.string().regex(/^[a-z0-9-]{1,63}$/).default('pbxgate'),
        timezone: z.string().max(64).default('Europe/Paris'),
        logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => checkCrossReferences(c, ctx));

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type Phone = z.infer<typeof phoneSchema>;
export type Group = z.infer<typeof groupSchema>;
export type RestrictionProfile = z.infer<typeof restrictionProfileSchema>;

function inRange(n: string, r: { min: number; max: number }): boolean {
  const v = Number(n);
  return v >= r.min && v <= r.max;
}

/** Rules that span sections: unique numbers, ranges by role, references that must exist. */
function checkCrossReferences(c: Config, ctx: z.RefinementCtx): void {
  const owners = new Map<string, string>();
  const claim = (num: string, owner: string, path: (string | number)[]): void => {
    const prev = owners.get(num);
    if (prev) ctx.addIssue({ code: 'custom', path, message: `internal number ${num} already used by ${prev}` });
    else owners.set(num, owner);
  };
  owners.set(String(NUMBERING.voicemail), 'voicemail access (888)');
  const macs = new Set<string>();
  const sipUsers = new Set<string>();
  c.phones.forEach((p, i) => {
    if (macs.has(p.mac)) ctx.addIssue({ code: 'custom', path: ['phones', i, 'mac'], message: `phone ${p.mac} is listed twice` });
    macs.add(p.mac);
    if (sipUsers.has(p.sip.username))
      ctx.addIssue({ code: 'custom', path: ['phones', i, 'sip', 'username'], message: `SIP username ${p.sip.username} is used twice` });
    sipUsers.add(p.sip.username);
    if (p.mobile) {
      if (sipUsers.has(p.mobile.username))
        ctx.addIssue({ code: 'custom', path: ['phones', i, 'mobile', 'username'], message: `SIP username ${p.mobile.username} is used twice` });
      sipUsers.add(p.mobile.username);
    }
    const range = p.did ? NUMBERING.didPhone : NUMBERING.plainPhone;
    if (!inRange(p.internalNumber, range))
      ctx.addIssue({ code: 'custom', path: ['phones', i, 'internalNumber'], message: `must be within ${range.min}-${range.max}` });
    claim(p.internalNumber, `phone ${p.mac}`, ['phones', i, 'internalNumber']);
    if (p.presentedIdentity === 'did' && !p.did)
      ctx.addIssue({ code: 'custom', path: ['phones', i, 'presentedIdentity'], message: 'a phone without a direct line cannot present one (CID-2)' });
  });
  const standard = c.groups.filter((g) => g.internalNumber === String(NUMBERING.standardGroup));
  if (standard.length !== 1) ctx.addIssue({ code: 'custom', path: ['groups'], message: 'the Standard group 999 must exist exactly once (GRP-2)' });
  c.groups.forEach((g, i) => {
    const isStandard = g.internalNumber === String(NUMBERING.standardGroup);
    if (!isStandard && !inRange(g.internalNumber, NUMBERING.group))
      ctx.addIssue({ code: 'custom', path: ['groups', i, 'internalNumber'], message: `must be within ${NUMBERING.group.min}-${NUMBERING.group.max}` });
    if (isStandard && g.ringMode !== 'simultaneous')
      ctx.addIssue({ code: 'custom', path: ['groups', i, 'ringMode'], message: 'the Standard group rings all phones at once (GRP-2)' });
    claim(g.internalNumber, `group ${g.name}`, ['groups', i, 'internalNumber']);
    g.members.forEach((m, j) => {
      if (!macs.has(m)) ctx.addIssue({ code: 'custom', path: ['groups', i, 'members', j], message: `no phone ${m}` });
    });
  });
  if (c.autoAttendant.internalNumber !== undefined) claim(c.autoAttendant.internalNumber, 'the auto attendant', ['autoAttendant', 'internalNumber']);
  c.directory.forEach((d, i) => {
    if (d.speedDial === undefined) return;
    if (!inRange(d.speedDial, NUMBERING.speedDial))
      ctx.addIssue({ code: 'custom', path: ['directory', i, 'speedDial'], message: `must be within ${NUMBERING.speedDial.min}-${NUMBERING.speedDial.max}` });
    claim(d.speedDial, `directory entry ${d.name}`, ['directory', i, 'speedDial']);
  });
  const ids = c.restrictionProfiles.map((p) => p.id).sort((a, b) => a - b);
  if (ids.join(',') !== '1,2,3,4,5,6,7,8,9,10')
    ctx.addIssue({ code: 'custom', path: ['restrictionProfiles'], message: 'profiles 1 to 10 must each exist once (RES-2)' });
  if (c.reception.phone !== undefined && !macs.has(c.reception.phone))
    ctx.addIssue({ code: 'custom', path: ['reception', 'phone'], message: `no phone ${c.reception.phone}` });
  if (c.company.companyNumber !== undefined && !c.company.dids.includes(c.company.companyNumber))
    ctx.addIssue({ code: 'custom', path: ['company', 'companyNumber'], message: 'the company number must be one of the DIDs (CID-3)' });
  c.schedules.forEach((s, i) => {
    if (s.target !== 'main' && !c.groups.some((g) => g.internalNumber === s.target))
      ctx.addIssue({ code: 'custom', path: ['schedules', i, 'target'], message: `no group ${s.target}` });
  });
}

/** The first issue as "field.path: message", for one-line errors. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
