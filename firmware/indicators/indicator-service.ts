import type { Clock, Logger, Service, Unsubscribe } from '../core/index.ts';
import { LED_ROLES, type Board, type ButtonRole, type LedRole } from '../hal/index.ts';
import { factoryResetArmed, type Gesture, type GestureStep } from './button-gestures.ts';
import { ButtonWatcher } from './button-watcher.ts';
import { explainLeds, type LedDecision, type LedPattern, type SystemState } from './led-policy.ts';
import { PatternEngine } from './pattern-engine.ts';

/** What the buttons make the gateway do; the runtime performs it (executors at the edge). */
export interface IndicatorActions {
  /** Clean reboot (reset button, short press). */
  reboot(): void;
  /** Configuration back to defaults, journal cleared (reset button held 10 s). */
  factoryReset(): void;
  /** Opens the powerline pairing window (pairing button). */
  startPairing(): void;
}

export interface IndicatorDeps {
  board: Board;
  clock: Clock;
  log: Logger;
  /** The facts the LEDs show, read again on every change notice. */
  snapshot(): SystemState;
  /** Calls onChange whenever the state may have changed; returns the way to stop. */
  subscribe(onChange: () => void): Unsubscribe;
  actions: IndicatorActions;
}

export interface GestureRecord {
  role: ButtonRole;
  gesture: Gesture;
  /** Wall-clock ms (shown to people). */
  at: number;
}

export interface LedReport {
  role: LedRole;
  pattern: LedPattern;
  /** Lit at this instant (a blinking LED is either). */
  lit: boolean;
  reason: string;
}

/**
 * LEDs from system state, buttons to actions (GW-3). The policy and the
 * gesture recognizer are pure; this service is the part that holds the
 * subscription, the button handlers and the blink timer, and releases them
 * on stop.
 */
export class IndicatorService implements Service {
  readonly name = 'indicators';
  lastGesture: GestureRecord | undefined;
  private readonly engine: PatternEngine;
  private watchers: ButtonWatcher[] = [];
  private unsubscribe: Unsubscribe | undefined;
  private decisions: Record<LedRole, LedDecision> | undefined;
  private started = false;

  constructor(private readonly deps: IndicatorDeps) {
    this.engine = new PatternEngine(deps.board.leds, deps.clock);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.watchers = [...this.deps.board.buttons.values()].map((b) => new ButtonWatcher(b, this.deps.clock, (step, role) => this.onStep(step, role)));
    for (const w of this.watchers) w.start();
    this.unsubscribe = this.deps.subscribe(() => this.refresh());
    this.refresh();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
    this.engine.stop();
    this.decisions = undefined;
  }

  /** The pattern of each LED the board has (console, API). */
  patterns(): Partial<Record<LedRole, LedPattern>> {
    return this.engine.patterns();
  }

  /** Each LED of the board: pattern, level now, and why (the `leds` command). */
  report(): LedReport[] {
    const patterns = this.engine.patterns();
    return LED_ROLES.flatMap((role) => {
      const led = this.deps.board.leds.get(role);
      if (!led) return [];
      const pattern = patterns[role] ?? 'off';
      const reason = this.decisions?.[role].reason ?? 'indicators not running';
      return [{ role, pattern, lit: led.isOn(), reason }];
    });
  }

  /** Re-reads the state and applies the policy (also called on every change notice). */
  refresh(): void {
    if (!this.started) return;
    let state: SystemState;
    try {
      state = this.deps.snapshot();
    } catch (err) {
      // The LEDs keep their last patterns rather than going dark on a bad read.
      this.deps.log.error({ err: (err as Error)?.message }, 'indicators: system state unavailable');
      return;
    }
    // The recognizer knows about the held reset button before the runtime does.
    const armed = this.watchers.some((w) => factoryResetArmed(w.state));
    const decisions = explainLeds(armed ? { ...state, factoryResetPending: true } : state);
    const changed = LED_ROLES.filter((r) => this.decisions?.[r].pattern !== decisions[r].pattern);
    this.decisions = decisions;
    if (changed.length === 0) return;
    this.deps.log.debug({ leds: Object.fromEntries(changed.map((r) => [r, decisions[r].pattern])) }, 'LED patterns');
    this.engine.apply(Object.fromEntries(LED_ROLES.map((r) => [r, decisions[r].pattern])));
  }

  private onStep(step: GestureStep, role: ButtonRole): void {
    if (step.ignored) this.deps.log.info({ button: role, heldMs: step.ignored.heldMs, reason: step.ignored.reason }, 'button press ignored');
    if (step.gestures.length === 0) return;
    // The power LED follows the armed state before any action runs (an action may stop us).
    this.refresh();
    for (const gesture of step.gestures) {
      this.lastGesture = { role, gesture, at: this.deps.clock.now() };
      this.deps.log.warn({ button: role, gesture }, 'button gesture');
      try {
        if (gesture === 'reboot') this.deps.actions.reboot();
        else if (gesture === 'factory-reset') this.deps.actions.factoryReset();
        else if (gesture === 'pairing') this.deps.actions.startPairing();
        // 'factory-reset-armed' has no action: the power LED blinking fast is its effect.
      } catch (err) {
        this.deps.log.error({ button: role, gesture, err: (err as Error)?.message }, 'button action failed');
      }
    }
  }
}
