export { LineFramer, MAX_LINE, type FramerStats } from './framer.ts';
export * from './protocol.ts';
export { ModemDriver, DEFAULT_DRIVER_OPTIONS, timeoutFor, type DriverDeps, type DriverOptions, type DriverStats, type LineEvent } from './driver.ts';
export * from './supervisor.ts';
export {
  ModemService,
  DEFAULT_MODEM_OPTIONS,
  type ModemEvents,
  type ModemServiceDeps,
  type ModemServiceOptions,
  type ModemSnapshot,
  type ModemControl,
} from './service.ts';
export { registerModemCommands, registerSimulatorCommands, formatDsl, formatPlc, dslStatusLine, plcStatusLine } from './commands.ts';
export { ModemSimulator, DEFAULT_SIMULATOR_OPTIONS, type ByteDuplex, type SimulatorOptions, type SimulatorState } from './simulator.ts';
