import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { LOG_LEVELS, type LogRegistry, type LogLevel } from '../core/logger.ts';
import type { ServiceStatus } from '../core/service.ts';
import type { ConfigStore } from '../config/store.ts';
import type { CallJournal } from '../config/journal.ts';
import { generateDevicePassword as generate } from '../config/defaults.ts';
import type { Board } from '../hal/board.ts';
import { BUTTON_ROLES, LED_ROLES, type ButtonRole, type LedRole } from '../hal/definition.ts';
import { SimBoard } from '../hal/sim/sim-board.ts';
import { defineCommand, fail, noArgs, usage, type CommandRegistry } from './registry.ts';

/** A line of `status` contributed by a service (phones, calls, DSL...). */
export interface StatusSection {
  name: string;
  render(): string;
}

export interface SystemDeps {
  version: string;
  clock: Clock;
  startedAt: number; // monotonic ms
  board: Board;
  config: ConfigStore;
  journal: CallJournal;
  logs: LogRegistry;
  services(): ServiceStatus[];
  statusSections(): StatusSection[];
  /** Clean reboot: stop every service, then restart the runtime (or the board). */
  reboot(): void;
  /** After a factory reset: reload the services that depend on the config. */
  afterFactoryReset(): void;
}

export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hh = String(Math.floor((s % 86400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${d}d ${hh}:${mm}:${ss}`;
}

/** Reads a dotted path ("sip.registrar.minExpires", "phones.0.mac") from an object. */
export function pickPath(root: unknown, path: string): { ok: true; value: unknown } | { ok: false } {
  let cur: unknown = root;
  for (const part of path.split('.')) {
    if (part === '') return { ok: false };
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return { ok: false };
    cur = (cur as Record<string, unknown>)[part];
  }
  return { ok: true, value: cur };
}

const SECRET_KEYS = new Set(['password', 'passwordHash', 'userPasswordHash', 'devicePassword', 'pin']);

/** Config as shown to a technician: secrets masked (admin-password shows the device password on purpose). */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.has(k) && typeof v === 'string' ? '********' : maskSecrets(v)]));
  return value;
}

export function registerSystemCommands(registry: CommandRegistry, deps: SystemDeps): void {
  const technician = ['technician'] as const;
  const techOrAdmin = ['technician', 'admin'] as const;

  registry.register(
    defineCommand({
      name: 'help',
      summary: 'list the commands',
      args: noArgs,
      roles: technician,
      run: () => registry.list('technician').map((c) => ({ usage: usage(c.name, c.positional ?? []), summary: c.summary })),
      format: (rows) => {
        const width = Math.max(...rows.map((r) => r.usage.length));
        return rows.map((r) => `${r.usage.padEnd(width)}  ${r.summary}`).join('\n');
      },
    }),
    defineCommand({
      name: 'status',
      readOnly: true,
      summary: 'uptime, version, board, services, phones, links',
      args: noArgs,
      roles: techOrAdmin,
      run: () => ({
        version: deps.version,
        board: deps.board.definition.id,
        boardName: deps.board.definition.name,
        uptime: formatUptime(deps.clock.monotonic() - deps.startedAt),
        services: deps.services(),
        sections: deps.statusSections().map((s) => ({ name: s.name, text: s.render() })),
      }),
      format: (r) =>
        [
          `version: ${r.version}`,
          `board: ${r.board} (${r.boardName})`,
          `uptime: ${r.uptime}`,
          `services: ${r.services.map((s) => `${s.name}=${s.state}${s.restarts ? `(${s.restarts} restarts)` : ''}`).join(' ')}`,
          ...r.sections.map((s) => `${s.name}: ${s.text}`),
        ].join('\n'),
    }),
    defineCommand({
      name: 'config show',
      readOnly: true,
      summary: 'show the configuration, or one part of it (e.g. sip.registrar)',
      positional: ['path'],
      args: z.strictObject({ path: z.string().max(200).optional() }),
      roles: technician,
      run: ({ path }) => {
        // Masked before picking: a path straight to a secret ("trunk.password") is masked too.
        const cfg = maskSecrets(deps.config.get());
        if (path === undefined) return cfg;
        const r = pickPath(cfg, path);
        if (!r.ok) fail('E_NOT_FOUND', `no configuration entry "${path}"`);
        return r.value;
      },
    }),
    defineCommand({
      name: 'admin-password',
      readOnly: true,
      summary: 'show the admin web password of this box',
      args: noArgs,
      roles: technician,
      run: () => {
        const a = deps.config.get().admin;
        return { login: 'admin', password: a.passwordHash ? null : a.devicePassword };
      },
      format: (r) =>
        r.password === null
          ? 'login: admin\npassword: changed by the administrator (use "admin-password reset" to go back to a device password)'
          : `login: admin\npassword: ${r.password}`,
    }),
    defineCommand({
      name: 'admin-password reset',
      summary: 'give the admin web a new random device password, and show it',
      args: noArgs,
      roles: technician,
      confirm: 'The admin web password will be replaced.',
      run: () => {
        let password = '';
        const r = deps.config.update((c) => {
          // A fresh device password, not the old one: it may be what leaked.
          password = generate();
          c.admin = { devicePassword: password };
        });
        if (!r.ok) throw r.error;
        return { login: 'admin', password };
      },
      format: (r) => `login: admin\npassword: ${r.password}`,
    }),
    defineCommand({
      name: 'factory-reset',
      summary: 'put the configuration back to factory defaults (new admin password)',
      args: noArgs,
      roles: technician,
      confirm: 'All configuration (phones, groups, forwards, trunk) will be erased.',
      run: () => {
        const password = deps.config.factoryReset();
        deps.afterFactoryReset();
        return { password };
      },
      format: (r) => `configuration reset to factory defaults\nadmin password: ${r.password}`,
    }),
    defineCommand({
      name: 'reboot',
      summary: 'restart the gateway cleanly',
      args: noArgs,
      roles: techOrAdmin,
      run: () => {
        // After the answer is printed: the caller sees "rebooting" first.
        setImmediate(() => deps.reboot());
        return { rebooting: true };
      },
      format: () => 'rebooting...',
    }),
    defineCommand({
      name: 'journal',
      readOnly: true,
      summary: 'recent calls (kept in RAM, 20 per phone, LOG-2): journal [internal number] [missed|answered|emitted]',
      positional: ['phone', 'kind'],
      args: z.strictObject({ phone: z.string().regex(/^\d{3}$/).optional(), kind: z.enum(['missed', 'answered', 'emitted']).optional() }),
      roles: techOrAdmin,
      run: ({ phone, kind }) => {
        let mac: string | undefined;
        if (phone !== undefined) {
          mac = deps.config.get().phones.find((p) => p.internalNumber === phone)?.mac;
          if (mac === undefined) fail('E_NOT_FOUND', `no phone ${phone}`);
        }
        return deps.journal.query({ ...(mac !== undefined ? { phone: mac } : {}), ...(kind !== undefined ? { kind } : {}) });
      },
      format: (rows) =>
        rows.length === 0
          ? 'no calls in the journal'
          : rows
              .map(
                (e) =>
                  `${new Date(e.startedAt).toISOString().slice(0, 19).replace('T', ' ')}  ${e.from} -> ${e.to}  ${e.outcome}${e.answeredBy ? ` by ${e.answeredBy}` : ''}  ${e.durationSeconds}s  ${e.direction}`,
              )
              .join('\n'),
    }),
    defineCommand({
      name: 'log level',
      summary: `show or set the log level (${LOG_LEVELS.join('|')}), of all or of one namespace`,
      positional: ['level', 'namespace'],
      args: z.strictObject({ level: z.enum(LOG_LEVELS).optional(), namespace: z.string().regex(/^[a-z0-9.-]{1,32}$/).optional() }),
      roles: technician,
      run: ({ level, namespace }) => {
        if (level !== undefined) deps.logs.setLevel(level as LogLevel, namespace);
        return {
          root: deps.logs.root.level,
          namespaces: Object.fromEntries(deps.logs.namespaces().map((n) => [n, deps.logs.get(n).level])),
        };
      },
      format: (r) => [`all: ${r.root}`, ...Object.entries(r.namespaces).map(([n, l]) => `${n}: ${l}`)].join('\n'),
    }),
    defineCommand({
      name: 'led',
      summary: 'show the LEDs, or set one on the simulated board (led <role> on|off)',
      positional: ['role', 'state'],
      args: z.strictObject({ role: z.enum(LED_ROLES).optional(), state: z.enum(['on', 'off']).optional() }),
      roles: technician,
      run: ({ role, state }) => {
        if (state !== undefined) {
          if (!(deps.board instanceof SimBoard)) fail('E_NOT_SUPPORTED', 'LEDs can only be forced on the simulated board');
          const led = deps.board.leds.get(role as LedRole);
          if (!led) fail('E_NOT_FOUND', `this board has no ${role} LED`);
          led.set(state === 'on');
        }
        const rows = [...deps.board.leds.values()].filter((l) => role === undefined || l.role === role);
        if (role !== undefined && rows.length === 0) fail('E_NOT_FOUND', `this board has no ${role} LED`);
        return Object.fromEntries(rows.map((l) => [l.role, l.isOn() ? 'on' : 'off']));
      },
      format: (r) => Object.entries(r).map(([k, v]) => `${k}: ${v}`).join('\n'),
    }),
    defineCommand({
      name: 'button',
      summary: 'press a button of the simulated board: button <role> press|release|click',
      positional: ['role', 'action'],
      args: z.strictObject({ role: z.enum(BUTTON_ROLES), action: z.enum(['press', 'release', 'click']) }),
      roles: technician,
      run: ({ role, action }) => {
        if (!(deps.board instanceof SimBoard)) fail('E_NOT_SUPPORTED', 'buttons can only be pressed from the console on the simulated board');
        const b = deps.board.buttons.get(role as ButtonRole);
        if (!b) fail('E_NOT_FOUND', `this board has no ${role} button`);
        if (action === 'press' || action === 'click') b.setPressed(true);
        if (action === 'release') b.setPressed(false);
        // A click is a short press as a finger makes it (200 ms): an instant one is contact bounce to the gesture recognizer.
        if (action === 'click') {
          const button = b;
          deps.clock.setTimeout(() => button.setPressed(false), CLICK_MS);
          return { role, pressed: true, clickMs: CLICK_MS };
        }
        return { role, pressed: b.isPressed() };
      },
      format: (r) => ('clickMs' in r ? `${r.role}: pressed for ${r.clickMs} ms` : `${r.role}: ${r.pressed ? 'pressed' : 'released'}`),
    }),
  );
}

/** How long `button <role> click` holds the simulated button. */
const CLICK_MS = 200;
