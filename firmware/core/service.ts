/**
 * Service lifecycle. Constructors only assign; start() acquires resources,
 * stop() releases every one of them. A running service that breaks reports it
 * through ctx.fail(); the supervisor (app/) then restarts it with back-off.
 */
export interface ServiceContext {
  /** Aborted when the service is being stopped. */
  readonly signal: AbortSignal;
  /** Reports a failure after start: the supervisor stops and restarts the service. */
  fail(err: unknown): void;
}

export interface Service {
  readonly name: string;
  /** Names of services that must be running before this one starts. */
  readonly dependsOn?: readonly string[];
  start(ctx: ServiceContext): Promise<void>;
  stop(): Promise<void>;
}

export type ServiceState = 'stopped' | 'starting' | 'running' | 'backoff' | 'stopping' | 'failed';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  restarts: number;
  lastError?: string;
}
