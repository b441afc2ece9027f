import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { phoneSchema, type ConfigStore } from '../config/index.ts';
import { defineCommand, fail, type CommandRegistry } from '../api/index.ts';
import { allocateInternalNumber } from './numbering.ts';

const mac = z
  .string()
  .transform((s) => s.toLowerCase().replace(/-/g, ':'))
  .pipe(z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'a MAC address like 00:08:5d:12:34:56'));

/**
 * Technician commands to declare a phone by hand (before auto-provisioning
 * does it, KEY-2) and to read its SIP credentials. Restriction profile
 * defaults follow RES-3: all allowed with a DID, profile 1 without.
 */
export function registerPhoneCommands(registry: CommandRegistry, config: ConfigStore, clock: Clock): void {
  registry.register(
    defineCommand({
      name: 'phone add',
      summary: 'declare a phone by MAC (optional DID): it gets an internal number and SIP credentials',
      positional: ['mac', 'did'],
      args: z.strictObject({ mac, did: z.string().regex(/^0[1-9]\d{8}$/, 'a French number 0XXXXXXXXX').optional() }),
      roles: ['technician', 'admin'],
      run: ({ mac: m, did }) => {
        let added: { internalNumber: string; username: string; password: string; note?: string } | undefined;
        const r = config.update((c) => {
          if (c.phones.some((p) => p.mac === m)) fail('E_BAD_ARGUMENTS', `phone ${m} already exists`);
          const n = allocateInternalNumber(c, did);
          if (!n.ok) fail('E_BAD_ARGUMENTS', n.reason);
          const password = randomBytes(12).toString('base64url');
          added = { internalNumber: n.number, username: n.number, password, ...(n.note !== undefined ? { note: n.note } : {}) };
          // The schema's defaults are the factory settings of a new phone (forwards, voicemail, keys...).
          c.phones.push(
            phoneSchema.parse({
              mac: m,
              internalNumber: n.number,
              ...(did !== undefined ? { did } : {}),
              sip: { username: n.number, password },
              // RES-3: all allowed with a DID, profile 1 (emergency, free and service numbers) without.
              restrictionProfile: did ? 10 : 1,
              forwardRestrictionProfile: did ? 10 : 1,
              presentedIdentity: did ? 'did' : 'main',
              installedAt: new Date(clock.now()).toISOString(),
            }),
          );
        });
        if (!r.ok) throw r.error;
        return added!;
      },
      format: (a) => `phone added: internal number ${a.internalNumber}${a.note !== undefined ? ` (${a.note})` : ''}\nSIP username: ${a.username}\nSIP password: ${a.password}`,
    }),
    defineCommand({
      name: 'phone remove',
      summary: 'remove a phone (by MAC or internal number)',
      positional: ['phone'],
      args: z.strictObject({ phone: z.string().min(3).max(17), confirm: z.boolean().optional() }),
      roles: ['technician', 'admin'],
      confirm: 'The phone, its forwards and its group memberships will be removed.',
      run: ({ phone }) => {
        const key = phone.toLowerCase();
        const r = config.update((c) => {
          const p = c.phones.find((x) => x.mac === key || x.internalNumber === key);
          if (!p) fail('E_NOT_FOUND', `no phone ${phone}`);
          c.phones = c.phones.filter((x) => x !== p);
          for (const g of c.groups) g.members = g.members.filter((m) => m !== p.mac);
          if (c.reception.phone === p.mac) delete c.reception.phone;
        });
        if (!r.ok) throw r.error;
        return { removed: phone };
      },
      format: (x) => `phone ${x.removed} removed`,
    }),
    defineCommand({
      name: 'phone key',
      summary: 'set or clear a screen key (KEY-1): phone key <phone> <position 1-24> supervision|speed-dial|clear [target] [label]',
      positional: ['phone', 'position', 'kind', 'target', 'label'],
      args: z.strictObject({
        phone: z.string().min(3).max(17),
        position: z.coerce.number().int().min(1).max(24),
        kind: z.enum(['supervision', 'speed-dial', 'clear']),
        target: z.string().optional(),
        label: z.string().max(24).optional(),
      }),
      roles: ['technician', 'admin'],
      run: ({ phone, position, kind, target, label }) => {
        const key = phone.toLowerCase();
        const r = config.update((c) => {
          const p = c.phones.find((x) => x.mac === key || x.internalNumber === key);
          if (!p) fail('E_NOT_FOUND', `no phone ${phone}`);
          const others = p.screenKeys.filter((k) => k.position !== position);
          if (kind === 'clear') p.screenKeys = others;
          else {
            if (target === undefined) fail('E_BAD_ARGUMENTS', `a ${kind} key needs a target number`);
            p.screenKeys = [...others, { position, kind, target, label: label ?? '' }].sort((a, b) => a.position - b.position);
          }
        });
        if (!r.ok) throw r.error;
        return { phone, position, kind };
      },
      format: (x) => (x.kind === 'clear' ? `key ${x.position} of ${x.phone} cleared` : `key ${x.position} of ${x.phone}: ${x.kind}`),
    }),
    defineCommand({
      name: 'phone credentials',
      summary: 'show the SIP credentials of a phone (by MAC or internal number)',
      positional: ['phone'],
      args: z.strictObject({ phone: z.string().min(3).max(17) }),
      roles: ['technician'],
      run: ({ phone }) => {
        const key = phone.toLowerCase();
        const p = config.get().phones.find((x) => x.mac === key || x.internalNumber === key);
        if (!p) fail('E_NOT_FOUND', `no phone ${phone}`);
        return { internalNumber: p.internalNumber, username: p.sip.username, password: p.sip.password, realm: config.get().sip.realm };
      },
      format: (x) => `internal number: ${x.internalNumber}\nSIP username: ${x.username}\nSIP password: ${x.password}\nrealm: ${x.realm}`,
    }),
  );
}
