import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { Service, ServiceContext } from '../core/service.ts';
import type { ConfigStore } from '../config/store.ts';
import type { CommandRegistry } from '../api/registry.ts';
import { buildWebApp, type HttpPreHandler } from './app.ts';
import { WebAuth } from './auth.ts';
import { loadWebAssets, type WebAssets } from './assets.ts';

export interface WebServiceOptions {
  host: string;
  port: number;
  version: string;
  registry: CommandRegistry;
  config: ConfigStore;
  clock: Clock;
  log: Logger;
  health: () => unknown;
}

/**
 * The box's HTTP server (issue 10): admin and user web, REST API, /healthz,
 * and phone provisioning through the pre-handler (issue 9). Sessions outlive
 * a restart of the service but not of the process.
 */
export class WebService implements Service {
  readonly name = 'http';
  readonly dependsOn = ['config'] as const;
  readonly auth: WebAuth;
  private app: FastifyInstance | undefined;
  private boundPort = 0;
  private pre: HttpPreHandler | undefined;
  private voicemailWav: ((mac: string, id: string) => Buffer | undefined) | undefined;
  private assets: WebAssets | undefined;

  constructor(private readonly o: WebServiceOptions) {
    this.auth = new WebAuth(() => o.config.get(), o.clock);
  }

  setPreHandler(handler: HttpPreHandler): void {
    this.pre = handler;
  }

  setVoicemailWav(fn: (mac: string, id: string) => Buffer | undefined): void {
    this.voicemailWav = fn;
  }

  get address(): { host: string; port: number } {
    return { host: this.o.host, port: this.boundPort };
  }

  async start(ctx: ServiceContext): Promise<void> {
    this.assets ??= await loadWebAssets();
    if (this.assets.names.length === 0) this.o.log.warn({}, 'no web pages found (web/ or the executable assets): the API alone is served');
    const app = await buildWebApp({
      registry: this.o.registry,
      auth: this.auth,
      assets: this.assets,
      log: this.o.log,
      version: this.o.version,
      health: this.o.health,
      preHandler: () => this.pre,
      ...(this.voicemailWav ? { voicemailWav: this.voicemailWav } : {}),
    });
    await app.listen({ host: this.o.host, port: this.o.port });
    app.server.on('error', (err) => ctx.fail(err));
    const a = app.server.address();
    this.boundPort = typeof a === 'object' && a ? a.port : this.o.port;
    this.app = app;
    this.o.log.info({ host: this.o.host, port: this.boundPort, pages: this.assets.names.length }, 'http listening');
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    if (!app) return;
    app.server.closeAllConnections();
    await app.close();
  }
}
