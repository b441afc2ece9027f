import { parseArgs } from 'node:util';
import type { KamailioAuth } from './kamailio.ts';

/** The options every pbxgate-vs-Kamailio benchmark takes (bench/calls.ts, bench/register.ts), checked. */
export interface BenchArgs {
  kamailioAuth: KamailioAuth;
  /** SIPp instances driving the load (1 or 2). */
  instances: 1 | 2;
  /** Run only this target (pbxgate or kamailio). */
  only: string | undefined;
  /** How pbxgate runs: exe or tsx (pbx-target.ts chooses when absent). */
  pbx: string | undefined;
  /** Kamailio's worker children. */
  children: number;
  probeSeconds: number;
  sustainSeconds: number;
  startRate: number;
  /** The benchmark's own string options, as given. */
  extra: Record<string, string | undefined>;
}

/**
 * Parses process.argv for a benchmark: the common options with their
 * defaults (startRate differs per benchmark) and `extra` string options of
 * its own. Throws on an unknown option or a bad value.
 */
export function parseBenchArgs(defaults: { startRate: number }, extra: Record<string, { default?: string }> = {}): BenchArgs {
  const { values } = parseArgs({
    options: {
      'kamailio-auth': { type: 'string', default: 'pv' },
      instances: { type: 'string', default: '2' },
      only: { type: 'string' },
      pbx: { type: 'string' },
      children: { type: 'string', default: '4' },
      'probe-seconds': { type: 'string', default: '5' },
      'sustain-seconds': { type: 'string', default: '20' },
      'start-rate': { type: 'string', default: String(defaults.startRate) },
      ...Object.fromEntries(Object.entries(extra).map(([name, o]) => [name, { type: 'string' as const, ...(o.default !== undefined ? { default: o.default } : {}) }])),
    },
    strict: true,
  });
  const str = (name: string): string | undefined => {
    const v = (values as Record<string, string | boolean | undefined>)[name];
    return typeof v === 'string' ? v : undefined;
  };
  const kamailioAuth = str('kamailio-auth');
  if (kamailioAuth !== 'pv' && kamailioAuth !== 'db') throw new Error('--kamailio-auth is pv or db');
  const instances = Number(str('instances'));
  if (instances !== 1 && instances !== 2) throw new Error('--instances is 1 or 2');
  return {
    kamailioAuth,
    instances,
    only: str('only'),
    pbx: str('pbx'),
    children: Number(str('children')),
    probeSeconds: Number(str('probe-seconds')),
    sustainSeconds: Number(str('sustain-seconds')),
    startRate: Number(str('start-rate')),
    extra: Object.fromEntries(Object.keys(extra).map((name) => [name, str(name)])),
  };
}
