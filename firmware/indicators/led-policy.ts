import { LED_ROLES, type LedRole } from '../hal/index.ts';

/**
 * What each front-panel LED shows, decided from a snapshot of the system
 * (GW-3). Pure: the table in docs/indicators.md is this file, row for row,
 * and test/unit/indicators/led-policy.test.ts checks every row.
 */
export type LedPattern = 'off' | 'on' | 'slow' | 'fast';
export const LED_PATTERNS = ['off', 'on', 'slow', 'fast'] as const satisfies readonly LedPattern[];

export type DslState = 'unknown' | 'idle' | 'handshake' | 'training' | 'showtime' | 'down';

/**
 * The facts the LEDs depend on, gathered by the runtime (modem supervisor,
 * trunk client, registrar, call manager). Plain data: tests build it by hand.
 */
export interface SystemState {
  /** Every service started. */
  running: boolean;
  /** Services still starting (boot, or coming back after a reboot request). */
  booting: boolean;
  /** The reset button is held past the factory-reset threshold (release = factory reset). */
  factoryResetPending: boolean;
  dsl: DslState;
  /** The modem reports an alarm (loss of signal, too many errors, line fault). */
  dslAlarm: boolean;
  /**
   * The trunk client's state (pbx/trunk TrunkState: 'registered', 'static',
   * 'registering', 'failed', 'disabled'...). Typed loosely: indicators/ may
   * not import pbx/.
   */
  trunk: 'registered' | 'static' | (string & {});
  /** A trunk is configured and enabled (trunk.enabled in the config). */
  trunkEnabled: boolean;
  phonesRegistered: number;
  phonesConfigured: number;
  callsRinging: number;
  /** Powerline (Liveplug) adapters the modem sees. */
  plcAdapters: number;
  /** The powerline pairing window is open (pairing button, GW-3). */
  plcPairing: boolean;
}

export interface LedDecision {
  pattern: LedPattern;
  /** Why, in words, for the `leds` console command. */
  reason: string;
}

/**
 * 'static' is an IP-authenticated trunk: nothing registers, calls go straight
 * to the operator, so it counts as up as soon as the client has its address.
 */
export function trunkUp(state: Pick<SystemState, 'trunk'>): boolean {
  return state.trunk === 'registered' || state.trunk === 'static';
}

function power(s: SystemState): LedDecision {
  // The warning wins over everything: the technician is about to erase the box.
  if (s.factoryResetPending) return { pattern: 'fast', reason: 'factory reset armed: releasing the reset button erases the configuration' };
  if (s.booting) return { pattern: 'slow', reason: 'starting' };
  if (s.running) return { pattern: 'on', reason: 'running' };
  return { pattern: 'off', reason: 'stopped' };
}

function internet(s: SystemState): LedDecision {
  if (s.dslAlarm) return { pattern: 'fast', reason: 'DSL alarm' };
  switch (s.dsl) {
    case 'showtime':
      // No trunk configured yet: the LED is about the internet link alone, so
      // a box installed before its SIP account exists does not look broken.
      if (!s.trunkEnabled) return { pattern: 'on', reason: 'DSL up (no trunk configured)' };
      if (trunkUp(s)) return { pattern: 'on', reason: `DSL up, trunk ${s.trunk}` };
      return { pattern: 'slow', reason: `DSL up, trunk ${s.trunk}` };
    case 'handshake':
    case 'training':
      return { pattern: 'slow', reason: `DSL ${s.dsl}` };
    case 'idle':
    case 'down':
      return { pattern: 'off', reason: `DSL ${s.dsl}` };
    case 'unknown':
      // No word from the modem yet (starting, or a board without one): claim nothing.
      return { pattern: 'off', reason: 'DSL state unknown' };
  }
}

function telephony(s: SystemState): LedDecision {
  const phones = `${s.phonesRegistered} of ${s.phonesConfigured} phones registered`;
  // Internal calls ring without a trunk too: ringing is shown whatever the trunk does.
  if (s.callsRinging > 0) return { pattern: 'fast', reason: `${s.callsRinging} call(s) ringing` };
  if (s.phonesRegistered < 1) return { pattern: 'off', reason: phones };
  // No trunk configured: internal telephony works, and that is what the LED says.
  if (!s.trunkEnabled) return { pattern: 'on', reason: `${phones} (no trunk configured: internal calls only)` };
  if (trunkUp(s)) return { pattern: 'on', reason: `${phones}, trunk ${s.trunk}` };
  return { pattern: 'off', reason: `${phones}, trunk ${s.trunk}` };
}

function powerline(s: SystemState): LedDecision {
  if (s.plcPairing) return { pattern: 'fast', reason: 'pairing' };
  if (s.plcAdapters >= 1) return { pattern: 'on', reason: `${s.plcAdapters} adapter(s)` };
  return { pattern: 'off', reason: 'no adapter' };
}

/**
 * Every LED with its pattern and the reason. A box that is neither running
 * nor booting (stopping) shows nothing but a factory-reset warning.
 */
export function explainLeds(state: SystemState): Record<LedRole, LedDecision> {
  const p = power(state);
  if (!state.running && !state.booting) {
    const dark: LedDecision = { pattern: 'off', reason: 'stopped' };
    return { power: p, internet: dark, telephony: dark, powerline: dark };
  }
  return { power: p, internet: internet(state), telephony: telephony(state), powerline: powerline(state) };
}

export function ledPatterns(state: SystemState): Record<LedRole, LedPattern> {
  const d = explainLeds(state);
  return Object.fromEntries(LED_ROLES.map((r) => [r, d[r].pattern])) as Record<LedRole, LedPattern>;
}
