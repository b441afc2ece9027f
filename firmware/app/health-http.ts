import { createServer, type Server } from 'node:http';
import type { Service, ServiceContext } from '../core/service.ts';
import type { Logger } from '../core/logger.ts';

/**
 * Minimal HTTP endpoint until the admin web lands (issue 10): GET /healthz
 * answers the service states as JSON; everything else is 404.
 */
export class HealthHttpService implements Service {
  readonly name = 'http';
  readonly dependsOn = ['config'] as const;
  private server: Server | undefined;
  private boundPort = 0;

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
