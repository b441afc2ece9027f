import type { Clock, TimerHandle } from '../core/index.ts';
import { LED_ROLES, type Led, type LedRole } from '../hal/index.ts';
import type { LedPattern } from './led-policy.ts';

/**
 * Blink rates (docs/indicators.md): slow = 1 Hz (500 ms on, 500 ms off),
 * fast = 4 Hz (125 ms on, 125 ms off). One tick of the fast half-period drives
 * both, so every blinking LED is in phase: all blinkers light together on the
 * tick that starts a slow period.
 */
export const BLINK = { tickMs: 125, fastHalfTicks: 1, slowHalfTicks: 4 } as const;

/** Lit or not, for a blinking pattern at a given tick since the blinking started. */
export function blinkLevel(pattern: 'slow' | 'fast', tick: number): boolean {
  const half = pattern === 'fast' ? BLINK.fastHalfTicks : BLINK.slowHalfTicks;
  return Math.floor(tick / half) % 2 === 0;
}

/**
 * Drives the board's LEDs from patterns. Holds a clock timer only while at
 * least one LED blinks; writes a LED only when its level changes (a GPIO
 * write per tick per LED would be wasted work on the board).
 */
export class PatternEngine {
  private readonly current = new Map<LedRole, LedPattern>();
  private readonly lit = new Map<LedRole, boolean>();
  private timer: TimerHandle | undefined;
  private tick = 0;

  constructor(
    private readonly leds: ReadonlyMap<LedRole, Led>,
    private readonly clock: Clock,
  ) {}

  /** Sets one LED's pattern; a role the board has no LED for is ignored. */
  setPattern(role: LedRole, pattern: LedPattern): void {
    this.apply({ [role]: pattern });
  }

  /** Sets several patterns at once (one timer decision for all). */
  apply(patterns: Partial<Record<LedRole, LedPattern>>): void {
    for (const [role, pattern] of Object.entries(patterns) as Array<[LedRole, LedPattern]>) {
      if (!this.leds.has(role) || this.current.get(role) === pattern) continue;
      this.current.set(role, pattern);
    }
    this.schedule();
    this.render();
  }

  /** The pattern of each LED the board has, in role order (console, API). */
  patterns(): Partial<Record<LedRole, LedPattern>> {
    const out: Partial<Record<LedRole, LedPattern>> = {};
    for (const role of LED_ROLES) if (this.leds.has(role)) out[role] = this.current.get(role) ?? 'off';
    return out;
  }

  /** Is a timer armed (tests: none while nothing blinks). */
  ticking(): boolean {
    return this.timer !== undefined;
  }

  /** Every LED off, the timer cancelled; the engine can be used again after. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.tick = 0;
    this.current.clear();
    for (const [role, led] of this.leds) {
      led.set(false);
      this.lit.set(role, false);
    }
  }

  private blinking(): boolean {
    for (const p of this.current.values()) if (p === 'slow' || p === 'fast') return true;
    return false;
  }

  private schedule(): void {
    const need = this.blinking();
    if (need && !this.timer) {
      // A new blinking period starts lit, at tick 0.
      this.tick = 0;
      this.timer = this.clock.setInterval(() => {
        // 8 ticks = one slow period, which holds a whole number of fast ones.
        this.tick = (this.tick + 1) % (2 * BLINK.slowHalfTicks);
        this.render();
      }, BLINK.tickMs);
    } else if (!need && this.timer) {
      this.timer.cancel();
      this.timer = undefined;
      this.tick = 0;
    }
  }

  private render(): void {
    for (const [role, led] of this.leds) {
      const p = this.current.get(role) ?? 'off';
      const on = p === 'on' ? true : p === 'off' ? false : blinkLevel(p, this.tick);
      if (this.lit.get(role) === on) continue;
      this.lit.set(role, on);
      led.set(on);
    }
  }
}
