import type { Clock, TimerHandle } from '../core/clock.ts';

export const MEDIA_FRAME_MS = 20;
export const SAMPLES_PER_FRAME = 160; // 20 ms at 8 kHz

export type MediaTick = () => void;

/**
 * The one 20 ms clock of every player and recorder: a single interval timer
 * on the injected Clock, armed while at least one subscriber exists. Timers
 * fire late under load; each firing runs as many ticks as 20 ms periods have
 * passed on the monotonic clock (at most `maxCatchUp`), so long-run rates stay
 * right. A subscriber that throws is removed (one broken session must not stop
 * the others) and reported through `onError`.
 */
export class MediaClock {
  private readonly subscribers: MediaTick[] = [];
  private timer: TimerHandle | null = null;
  private nextDue = 0;
  private ticking = false;
  private readonly pendingRemovals: MediaTick[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly options: { periodMs?: number; maxCatchUp?: number; onError?: (err: unknown) => void } = {},
  ) {}

  get periodMs(): number {
    return this.options.periodMs ?? MEDIA_FRAME_MS;
  }

  /** Subscribers now (leak checks). */
  size(): number {
    return this.subscribers.length;
  }

  /** True while the interval timer is armed. */
  running(): boolean {
    return this.timer !== null;
  }

  /** Calls tick every period until the returned handle is cancelled (idempotent). */
  subscribe(tick: MediaTick): TimerHandle {
    this.subscribers.push(tick);
    if (!this.timer) {
      this.nextDue = this.clock.monotonic() + this.periodMs;
      this.timer = this.clock.setInterval(this.onTimer, this.periodMs);
    }
    let done = false;
    return {
      cancel: () => {
        if (done) return;
        done = true;
        if (this.ticking) this.pendingRemovals.push(tick);
        else this.remove(tick);
      },
    };
  }

  private remove(tick: MediaTick): void {
    const i = this.subscribers.indexOf(tick);
    if (i >= 0) this.subscribers.splice(i, 1);
    if (this.subscribers.length === 0 && this.timer) {
      this.timer.cancel();
      this.timer = null;
    }
  }

  private readonly onTimer = (): void => {
    const now = this.clock.monotonic();
    const period = this.periodMs;
    let ticks = 0;
    const max = this.options.maxCatchUp ?? 5;
    while (now + 0.5 >= this.nextDue && ticks < max) {
      this.nextDue += period;
      ticks++;
    }
    if (now + 0.5 >= this.nextDue) this.nextDue = now + period; // too far behind: drop the backlog
    if (ticks === 0) return;
    this.ticking = true;
    try {
      for (let t = 0; t < ticks; t++) {
        for (let i = 0; i < this.subscribers.length; i++) {
          const fn = this.subscribers[i]!;
          if (this.pendingRemovals.length > 0 && this.pendingRemovals.includes(fn)) continue;
          try {
            fn();
          } catch (err) {
            this.pendingRemovals.push(fn);
            this.options.onError?.(err);
          }
        }
      }
    } finally {
      this.ticking = false;
      while (this.pendingRemovals.length > 0) this.remove(this.pendingRemovals.pop()!);
    }
  };
}
