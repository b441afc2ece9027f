export { Runtime, type RuntimeOptions, type RuntimeEvents } from './runtime.ts';
export { Supervisor, topologicalOrder, type SupervisorOptions } from './supervisor.ts';
