export type { Board, Led, Button, SerialLine, Watchdog } from './board.ts';
export * from './definition.ts';
export { loadBoardDefinition, embeddedBoardIds } from './boards.ts';
export { SimBoard, SimLed, SimButton, MemorySerialLine } from './sim/sim-board.ts';
