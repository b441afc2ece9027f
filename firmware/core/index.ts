export * from './clock.ts';
export * from './events.ts';
export * from './errors.ts';
export * from './logger.ts';
export * from './service.ts';
