import { Gpio } from 'onoff';
import { openSync, writeSync, closeSync } from 'node:fs';
import type { Unsubscribe } from '../../core/events.ts';
import { PbxError } from '../../core/errors.ts';
import type { Board, Button, Led, SerialLine, Watchdog } from '../board.ts';
import type { BoardDefinition, ButtonRole, LedRole, SerialRole } from '../definition.ts';
import { openDeviceSerialLine } from '../serial-device.ts';

class GpioLed implements Led {
  private on = false;
  constructor(
    readonly role: LedRole,
    private readonly gpio: Gpio,
  ) {}
  set(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    this.gpio.writeSync(on ? 1 : 0);
  }
  isOn(): boolean {
    return this.on;
  }
}

class GpioButton implements Button {
  private pressed: boolean;
  private readonly handlers = new Set<(pressed: boolean) => void>();
  constructor(
    readonly role: ButtonRole,
    private readonly gpio: Gpio,
  ) {
    this.pressed = gpio.readSync() === 1;
    gpio.watch((err, value) => {
      if (err) return; // a failed edge read is followed by the next edge; nothing to do here
      const pressed = value === 1;
      if (pressed === this.pressed) return;
      this.pressed = pressed;
      for (const h of [...this.handlers]) h(pressed);
    });
  }
  isPressed(): boolean {
    return this.pressed;
  }
  onChange(handler: (pressed: boolean) => void): Unsubscribe {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}

/** /dev/watchdog: any write kicks it. Absent on boards without one. */
class DeviceWatchdog implements Watchdog {
  private fd: number | undefined;
  constructor(path: string | undefined) {
    if (path) this.fd = openSync(path, 'w');
  }
  kick(): void {
    if (this.fd !== undefined) writeSync(this.fd, '1');
  }
  close(): void {
    if (this.fd === undefined) return;
    // "V" is the magic close: the kernel stops the watchdog instead of rebooting.
    writeSync(this.fd, 'V');
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A Linux board: LEDs and buttons through sysfs GPIO (onoff), serial lines through serialport. */
export class LinuxBoard implements Board {
  readonly leds: ReadonlyMap<LedRole, Led>;
  readonly buttons: ReadonlyMap<ButtonRole, Button>;
  readonly watchdog: DeviceWatchdog;
  private readonly gpios: Gpio[] = [];
  private readonly open: SerialLine[] = [];

  constructor(readonly definition: BoardDefinition) {
    if (!Gpio.accessible) throw new PbxError('E_NOT_SUPPORTED', 'sysfs GPIO is not accessible on this system');
    const leds = new Map<LedRole, Led>();
    for (const [role, line] of Object.entries(definition.leds)) {
      if (!line || line.gpio === undefined) continue;
      const gpio = new Gpio(line.gpio, 'out', 'none', { activeLow: line.activeLow });
      this.gpios.push(gpio);
      leds.set(role as LedRole, new GpioLed(role as LedRole, gpio));
    }
    const buttons = new Map<ButtonRole, Button>();
    for (const [role, line] of Object.entries(definition.buttons)) {
      if (!line || line.gpio === undefined) continue;
      const gpio = new Gpio(line.gpio, 'in', 'both', { activeLow: line.activeLow, debounceTimeout: 10 });
      this.gpios.push(gpio);
      buttons.set(role as ButtonRole, new GpioButton(role as ButtonRole, gpio));
    }
    this.leds = leds;
    this.buttons = buttons;
    this.watchdog = new DeviceWatchdog(definition.watchdog?.path);
  }

  async openSerial(role: SerialRole): Promise<SerialLine> {
    const def = this.definition.serial[role];
    if (!def) throw new PbxError('E_NOT_SUPPORTED', `board ${this.definition.id} has no ${role} serial line`);
    const line = await openDeviceSerialLine(role, def.path, def.baudRate);
    this.open.push(line);
    return line;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.open.map((l) => l.close()));
    this.open.length = 0;
    for (const g of this.gpios.splice(0)) g.unexport();
    this.watchdog.close();
  }
}
