export * from './registry.ts';
export { registerSystemCommands, formatUptime, pickPath, maskSecrets, type SystemDeps, type StatusSection } from './system-commands.ts';
