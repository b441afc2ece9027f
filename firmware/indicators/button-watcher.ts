import type { Clock, TimerHandle, Unsubscribe } from '../core/index.ts';
import type { Button, ButtonRole } from '../hal/index.ts';
import { initialButtonState, stepButton, type ButtonInput, type ButtonState, type GestureStep } from './button-gestures.ts';

/**
 * The thin edge around the pure recognizer: feeds it a button's presses and
 * releases with monotonic times, and owns the one clock timer the current
 * state asks for (debounce, factory-reset notice).
 */
export class ButtonWatcher {
  private current: ButtonState;
  private timer: TimerHandle | undefined;
  private detach: Unsubscribe | undefined;

  constructor(
    private readonly button: Button,
    private readonly clock: Clock,
    private readonly onStep: (step: GestureStep, role: ButtonRole) => void,
  ) {
    this.current = initialButtonState(button.role);
  }

  get state(): ButtonState {
    return this.current;
  }

  start(): void {
    if (this.detach) return;
    this.current = initialButtonState(this.button.role);
    this.detach = this.button.onChange((pressed) => this.feed({ kind: pressed ? 'press' : 'release' }));
  }

  /** Detaches from the button and cancels the timer; the state goes back to idle. */
  dispose(): void {
    this.detach?.();
    this.detach = undefined;
    this.timer?.cancel();
    this.timer = undefined;
    this.current = initialButtonState(this.button.role);
  }

  private feed(input: ButtonInput): void {
    if (!this.detach) return;
    const step = stepButton(this.current, input, this.clock.monotonic());
    this.current = step.state;
    // State and timer are settled before the gestures run: an action that
    // stops the service (reboot) disposes a watcher that is already consistent.
    this.timer?.cancel();
    this.timer = step.timerMs === undefined ? undefined : this.clock.setTimeout(() => this.feed({ kind: 'timer' }), step.timerMs);
    this.onStep(step, this.button.role);
  }
}
