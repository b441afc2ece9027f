import { createServer, type Server } from 'node:http';
import type { Service, ServiceContext } from '../core/service.ts';
import type { Logger } from '../core/logger.ts';

/** A handler that answers some paths before this server's own (phone provisioning, issue 9). */
export type HttpPreHandler = (
  method: string,
  url: string,
  userAgent: string | undefined,
  remoteAddress: string,
) => { status: number; contentType: string; body: string; headers?: Record<string, string> } | undefined;

/**
 * Minimal HTTP endpoint until the admin web lands (issue 10): GET /healthz
 * answers the service states as JSON, phone provisioning files are served
 * by the pre-handler (docs/provisioning.md); everything else is 404.
 */
export class HealthHttpService implements Service {
  readonly name = 'http';
  readonly dependsOn = ['config'] as const;
  private server: Server | undefined;
  private boundPort = 0;
  private pre: HttpPreHandler | undefined;

  setPreHandler(handler: HttpPreHandler): void {
    this.pre = handler;
  }

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly health: () => unknown,
    private readonly log: Logger,
  ) {}

  get address(): { host: string; port: number } {
    return { host: this.host, port: this.boundPort };
  }

  start(ctx: ServiceContext): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((req, res) => {
        res.setHeader('X-Content-Type-Options', 'nosniff');
        let pre: ReturnType<HttpPreHandler>;
        try {
          pre = this.pre?.(req.method ?? 'GET', req.url ?? '/', req.headers['user-agent'], req.socket.remoteAddress ?? '');
        } catch (err) {
          this.log.error({ err: (err as Error).message, url: req.url }, 'http pre-handler failed');
          res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('internal error\n');
          return;
        }
        if (pre) {
          res.writeHead(pre.status, { 'Content-Type': pre.contentType, ...(pre.headers ?? {}) });
          res.end(pre.body);
          return;
        }
        if (req.method === 'GET' && req.url === '/healthz') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(this.health()));
          return;
        }
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('not found\n');
      });
      server.headersTimeout = 10_000;
      server.requestTimeout = 10_000;
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        server.on('error', (err) => ctx.fail(err));
        const a = server.address();
        this.boundPort = typeof a === 'object' && a ? a.port : this.port;
        this.server = server;
        this.log.info({ host: this.host, port: this.boundPort }, 'http listening');
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
