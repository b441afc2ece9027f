import { SerialPort } from 'serialport';
import type { Unsubscribe } from '../core/events.ts';
import { PbxError } from '../core/errors.ts';
import type { SerialLine } from './board.ts';
import type { SerialRole } from './definition.ts';

/** A real tty (board UART, USB adapter, or a pseudo-terminal made by socat). */
class DeviceSerialLine implements SerialLine {
  constructor(
    readonly role: SerialRole,
    readonly path: string,
    private readonly port: SerialPort,
  ) {}

  write(data: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }
  onData(handler: (chunk: Buffer) => void): Unsubscribe {
    this.port.on('data', handler);
    return () => {
      this.port.off('data', handler);
    };
  }
  onClose(handler: (err?: Error) => void): Unsubscribe {
    const h = (err?: Error | null): void => handler(err ?? undefined);
    this.port.on('close', h);
    return () => {
      this.port.off('close', h);
    };
  }
  close(): Promise<void> {
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}

/**
 * Opens a serial device by the path the board definition gives
 * (SerialPort.list() needs udevadm, absent on busybox boards).
 */
export function openDeviceSerialLine(role: SerialRole, path: string, baudRate: number): Promise<SerialLine> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => {
      if (err) {
        reject(new PbxError('E_NOT_SUPPORTED', `cannot open ${role} line ${path}: ${err.message}`));
        return;
      }
      // A device that goes away mid-write emits 'error' (EIO); unheard, it would kill the process.
      // The loss itself is reported through 'close', which the line's owner handles (reopen).
      port.on('error', () => {});
      resolve(new DeviceSerialLine(role, path, port));
    });
  });
}
