import type { Unsubscribe } from '../core/events.ts';
import type { BoardDefinition, LedRole, ButtonRole, SerialRole } from './definition.ts';

/**
 * The hardware the runtime touches, behind small interfaces. Code above hal/
 * speaks roles ("internet" LED, "reset" button, "modem" line), never GPIO
 * numbers or device paths: those are data in board/<id>.json.
 */
export interface Led {
  readonly role: LedRole;
  set(on: boolean): void;
  isOn(): boolean;
}

export interface Button {
  readonly role: ButtonRole;
  isPressed(): boolean;
  /** Called on every press (true) and release (false). */
  onChange(handler: (pressed: boolean) => void): Unsubscribe;
}

export interface SerialLine {
  readonly role: SerialRole;
  readonly path: string;
  write(data: Buffer | string): Promise<void>;
  onData(handler: (chunk: Buffer) => void): Unsubscribe;
  /** Called once if the line goes away (device unplugged, peer closed). */
  onClose(handler: (err?: Error) => void): Unsubscribe;
  close(): Promise<void>;
}

export interface Watchdog {
  kick(): void;
}

export interface Board {
  readonly definition: BoardDefinition;
  readonly leds: ReadonlyMap<LedRole, Led>;
  readonly buttons: ReadonlyMap<ButtonRole, Button>;
  readonly watchdog: Watchdog;
  /** Opens a serial line by role; rejects when the board has none or it cannot be opened. */
  openSerial(role: SerialRole): Promise<SerialLine>;
  /** Releases GPIO lines and serial ports. */
  close(): Promise<void>;
}
