import { z } from 'zod';
import { defineCommand, fail, noArgs, type CommandRegistry } from '../api/index.ts';
import { PAIR_SECONDS_MAX, PAIR_SECONDS_MIN } from './protocol.ts';
import type { ModemControl, ModemSnapshot } from './service.ts';
import type { ModemSimulator } from './simulator.ts';

const roles = ['technician', 'admin'] as const;

function kbps(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)} Mbit/s` : `${n} kbit/s`;
}

function dB(n: number | null): string {
  return n === null ? '-' : `${n.toFixed(1)} dB`;
}

/** "2026-01-05 09:00:00" (UTC), as the journal prints times. */
function when(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

export function formatDsl(s: ModemSnapshot): string {
  const d = s.dsl;
  const lines = [
    `state: ${d.state} since ${when(d.since)}${s.line === 'closed' ? ' (modem line closed)' : ''}`,
    `rate: down ${kbps(d.downKbps)}, up ${kbps(d.upKbps)}`,
    `SNR margin: ${dB(d.snrMarginDb)}   attenuation: ${dB(d.attenuationDb)}`,
    `CRC errors: ${d.crcErrors ?? '-'}`,
    `retrains: ${d.retrains} (${d.failedRetrains} failed in a row)${d.nextRetrainAt ? `, next at ${when(d.nextRetrainAt)}` : ''}`,
    `alarm: ${d.alarm ? 'RAISED (the line does not come back)' : 'none'}`,
  ];
  if (s.version) lines.push(`modem: firmware ${s.version.firmware}, hardware ${s.version.hardware}`);
  return lines.join('\n');
}

export function formatPlc(s: ModemSnapshot): string {
  const p = s.plc;
  const head = `powerline adapters: ${p.adapters.length}${p.pairing && p.pairingUntil ? `, pairing until ${when(p.pairingUntil)}` : ''}`;
  return [head, ...p.adapters.map((a) => `  ${a.mac}  ${String(a.rateMbps).padStart(4)} Mbit/s  since ${when(a.since)}`)].join('\n');
}

/** One-line summaries for the `status` command (runtime.addStatusSection). */
export function dslStatusLine(s: ModemSnapshot): string {
  const d = s.dsl;
  const rates = d.state === 'showtime' ? ` ${kbps(d.downKbps)} down / ${kbps(d.upKbps)} up` : '';
  return `${d.state}${rates}${d.alarm ? ', ALARM' : ''}${s.line === 'closed' ? ' (modem line closed)' : ''}`;
}

export function plcStatusLine(s: ModemSnapshot): string {
  const n = s.plc.adapters.length;
  return `${n} adapter${n === 1 ? '' : 's'}${s.plc.pairing ? ', pairing' : ''}`;
}

/** Console/API commands of the modem: dsl, dsl retrain, plc, plc pair. */
export function registerModemCommands(registry: CommandRegistry, modem: ModemControl): void {
  registry.register(
    defineCommand({
      name: 'dsl',
      readOnly: true,
      summary: 'DSL line: state, rates, SNR margin, attenuation, CRC errors, retrains, alarm',
      args: noArgs,
      roles,
      run: () => modem.snapshot(),
      format: formatDsl,
    }),
    defineCommand({
      name: 'dsl retrain',
      summary: 'make the modem drop sync and train the DSL line again',
      args: noArgs,
      roles,
      confirm: 'The internet connection will be down for the time of the training (about a minute).',
      run: async () => {
        await modem.retrain();
        return { retraining: true };
      },
      format: () => 'DSL retrain started',
    }),
    defineCommand({
      name: 'plc',
      readOnly: true,
      summary: 'powerline adapters (MAC, PHY rate) and pairing mode',
      args: noArgs,
      roles,
      run: () => modem.snapshot(),
      format: formatPlc,
    }),
    defineCommand({
      name: 'plc pair',
      summary: `open powerline pairing (default 120 s, ${PAIR_SECONDS_MIN}-${PAIR_SECONDS_MAX}): plc pair [seconds]`,
      positional: ['seconds'],
      args: z.strictObject({ seconds: z.coerce.number().int().min(PAIR_SECONDS_MIN).max(PAIR_SECONDS_MAX).optional() }),
      roles,
      run: ({ seconds }) => modem.startPairing(seconds),
      format: (r) => `powerline pairing open for ${r.seconds} s: press the pairing button of the new adapter`,
    }),
  );
}

/**
 * The simulated board's modem, scriptable from the console (and tests), as
 * the field technician's bench would be: `sim modem drop|recover|noise
 * <crc>|garbage|mute on|off|plug <mac> <rate>|unplug <mac>|state`. Only
 * registered when the in-process simulator runs (board sim).
 */
export function registerSimulatorCommands(registry: CommandRegistry, sim: ModemSimulator): void {
  const macArg = z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'a MAC address like 00:0b:3b:12:34:56');
  registry.register(
    defineCommand({
      name: 'sim modem',
      summary: 'script the simulated modem: sim modem drop|recover|noise <crc>|garbage|mute <on|off>|plug <mac> <rate>|unplug <mac>|state',
      positional: ['action', 'arg1', 'arg2'],
      args: z.strictObject({
        action: z.enum(['drop', 'recover', 'noise', 'garbage', 'mute', 'plug', 'unplug', 'state']),
        arg1: z.string().optional(),
        arg2: z.string().optional(),
      }),
      roles: ['technician'],
      run: ({ action, arg1, arg2 }) => {
        const need = (v: string | undefined, what: string): string => {
          if (v === undefined) fail('E_BAD_ARGUMENTS', `sim modem ${action} needs ${what}`);
          return v;
        };
        switch (action) {
          case 'drop':
            sim.dropLine();
            break;
          case 'recover':
            sim.recover();
            break;
          case 'noise': {
            const n = z.coerce.number().int().min(1).max(100_000).safeParse(need(arg1, 'a CRC error count'));
            if (!n.success) fail('E_BAD_ARGUMENTS', 'noise needs a CRC error count (1-100000)');
            sim.noisy(n.data);
            break;
          }
          case 'garbage':
            sim.garbage();
            break;
          case 'mute': {
            const v = need(arg1, 'on or off');
            if (v !== 'on' && v !== 'off') fail('E_BAD_ARGUMENTS', 'mute on|off');
            sim.mute(v === 'on');
            break;
          }
          case 'plug': {
            const mac = macArg.safeParse(need(arg1, 'a MAC address'));
            const rate = z.coerce.number().int().min(1).max(2000).safeParse(need(arg2, 'a PHY rate in Mbit/s'));
            if (!mac.success || !rate.success) fail('E_BAD_ARGUMENTS', 'plug <mac> <rate Mbit/s>');
            sim.plugAdapter(mac.data.toLowerCase(), rate.data);
            break;
          }
          case 'unplug': {
            const mac = macArg.safeParse(need(arg1, 'a MAC address'));
            if (!mac.success) fail('E_BAD_ARGUMENTS', 'unplug <mac>');
            sim.unplugAdapter(mac.data.toLowerCase());
            break;
          }
          case 'state':
            break;
        }
        return sim.state();
      },
      format: (s) => JSON.stringify(s),
    }),
  );
}
