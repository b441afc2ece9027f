import type { Unsubscribe } from '../../core/events.ts';
import { PbxError } from '../../core/errors.ts';
import type { Board, Button, Led, SerialLine, Watchdog } from '../board.ts';
import type { BoardDefinition, ButtonRole, LedRole, SerialRole } from '../definition.ts';
import { openDeviceSerialLine } from '../serial-device.ts';
import { StdioSerialLine } from './stdio-line.ts';

export class SimLed implements Led {
  private on = false;
  private readonly listeners = new Set<(on: boolean) => void>();
  constructor(readonly role: LedRole) {}
  set(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    for (const l of this.listeners) l(on);
  }
  isOn(): boolean {
    return this.on;
  }
  /** Observes changes (tests, console). */
  watch(listener: (on: boolean) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export class SimButton implements Button {
  private pressed = false;
  private readonly handlers = new Set<(pressed: boolean) => void>();
  constructor(readonly role: ButtonRole) {}
  isPressed(): boolean {
    return this.pressed;
  }
  onChange(handler: (pressed: boolean) => void): Unsubscribe {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  /** Drives the button (console `button`, tests). */
  setPressed(pressed: boolean): void {
    if (pressed === this.pressed) return;
    this.pressed = pressed;
    for (const h of [...this.handlers]) h(pressed);
  }
}

/**
 * An in-process serial line: what one end writes, the other end receives.
 * The simulated modem line is one; modem-sim attaches to its peer end.
 */
export class MemorySerialLine implements SerialLine {
  peer!: MemorySerialLine;
  private readonly dataHandlers = new Set<(chunk: Buffer) => void>();
  private readonly closeHandlers = new Set<(err?: Error) => void>();
  private closed = false;

  constructor(
    readonly role: SerialRole,
    readonly path: string,
  ) {}

  static pair(role: SerialRole): [MemorySerialLine, MemorySerialLine] {
    const a = new MemorySerialLine(role, 'sim');
    const b = new MemorySerialLine(role, 'sim-peer');
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  async write(data: Buffer | string): Promise<void> {
    if (this.closed) throw new Error('serial line closed');
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    // Delivered asynchronously, as a UART would.
    queueMicrotask(() => this.peer.deliver(chunk));
  }
  onData(handler: (chunk: Buffer) => void): Unsubscribe {
    this.dataHandlers.add(handler);
    return () => this.dataHandlers.delete(handler);
  }
  onClose(handler: (err?: Error) => void): Unsubscribe {
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const h of [...this.closeHandlers]) h();
    this.peer.closeFromPeer();
  }
  private deliver(chunk: Buffer): void {
    if (this.closed) return;
    for (const h of [...this.dataHandlers]) h(chunk);
  }
  private closeFromPeer(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of [...this.closeHandlers]) h(new Error('peer closed the line'));
  }
}

class CountingWatchdog implements Watchdog {
  kicks = 0;
  kick(): void {
    this.kicks++;
  }
}

/**
 * The simulated board: LEDs and buttons in memory, observable and drivable
 * from the console and from tests; the console on stdio; the modem line
 * in-process (or a pseudo-terminal path given in the board file).
 */
export class SimBoard implements Board {
  readonly leds: ReadonlyMap<LedRole, SimLed>;
  readonly buttons: ReadonlyMap<ButtonRole, SimButton>;
  readonly watchdog = new CountingWatchdog();
  private readonly peers = new Map<SerialRole, MemorySerialLine>();
  private readonly open: SerialLine[] = [];

  constructor(readonly definition: BoardDefinition) {
    this.leds = new Map(Object.keys(definition.leds).map((r) => [r as LedRole, new SimLed(r as LedRole)]));
    this.buttons = new Map(Object.keys(definition.buttons).map((r) => [r as ButtonRole, new SimButton(r as ButtonRole)]));
  }

  async openSerial(role: SerialRole): Promise<SerialLine> {
    const def = this.definition.serial[role];
    if (!def) throw new PbxError('E_NOT_SUPPORTED', `board ${this.definition.id} has no ${role} serial line`);
    let line: SerialLine;
    if (def.path === 'stdio') line = new StdioSerialLine(role);
    else if (def.path === 'sim') {
      const [ours, theirs] = MemorySerialLine.pair(role);
      this.peers.set(role, theirs);
      line = ours;
    } else line = await openDeviceSerialLine(role, def.path, def.baudRate);
    this.open.push(line);
    // A line closed by its owner (modem reconnection) is forgotten, so reopening does not pile them up.
    line.onClose(() => {
      const i = this.open.indexOf(line);
      if (i >= 0) this.open.splice(i, 1);
    });
    return line;
  }

  /** The far end of an in-process line (what the simulated modem speaks on). */
  peerOf(role: SerialRole): MemorySerialLine | undefined {
    return this.peers.get(role);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.open.map((l) => l.close()));
    this.open.length = 0;
  }
}
