export { TechnicianConsole, splitWords, MAX_LINE, type ConsoleOptions } from './console.ts';
