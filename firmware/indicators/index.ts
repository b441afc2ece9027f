export * from './led-policy.ts';
export { PatternEngine, BLINK, blinkLevel } from './pattern-engine.ts';
export * from './button-gestures.ts';
export { ButtonWatcher } from './button-watcher.ts';
export { IndicatorService, type IndicatorDeps, type IndicatorActions, type GestureRecord, type LedReport } from './indicator-service.ts';
export { registerIndicatorCommands, type LedsResult } from './commands.ts';
