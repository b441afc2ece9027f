/**
 * Injectable time source. Every timer in the runtime (SIP Timers A-K, binding
 * expiry, ban periods, back-off) is armed through a Clock so that tests drive
 * time with FakeClock instead of waiting.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch (wall clock, for dates shown to people). */
  now(): number;
  /** Monotonic milliseconds, for durations and expiries. */
  monotonic(): number;
  /** Runs fn once after ms. The returned handle cancels it (idempotent). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Runs fn every ms until cancelled. */
  setInterval(fn: () => void, ms: number): TimerHandle;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  monotonic(): number {
    return performance.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, ms);
    // Timers never keep the process alive on their own: services own the lifetime.
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  }
}

interface FakeTimer {
  id: number;
  due: number;
  period: number | null;
  fn: () => void;
  cancelled: boolean;
}

/** Deterministic clock for tests: time moves only when advance() is called. */
export class FakeClock implements Clock {
  private current: number;
  private readonly wallOffset: number;
  private timers: FakeTimer[] = [];
  private nextId = 1;

  constructor(startWallMs = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.current = 0;
    this.wallOffset = startWallMs;
  }

  now(): number {
    return this.wallOffset + this.current;
  }
  monotonic(): number {
    return this.current;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }

  /** Number of timers still armed (to assert that owners cancel theirs). */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by ms, firing due timers in order of due time. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.current = next.due;
      if (next.period !== null) next.due += next.period;
      else next.cancelled = true;
      next.fn();
      this.timers = this.timers.filter((t) => !t.cancelled);
    }
    this.current = target;
  }

  private earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.cancelled) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  }

  private add(fn: () => void, ms: number, period: number | null): TimerHandle {
    const timer: FakeTimer = { id: this.nextId++, due: this.current + Math.max(0, ms), period, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }
}
