import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import type { Logger } from '../core/logger.ts';
import { ERROR_CODES, type ErrorCode } from '../core/errors.ts';
import type { AnyCommand, CommandContext, CommandRegistry } from '../api/registry.ts';
import type { WebAuth, WebSession } from './auth.ts';
import type { WebAssets } from './assets.ts';
import { openApiDocument, commandPath, queryToArgs } from './openapi.ts';

/** A handler that answers some paths before the web's own (phone provisioning, issue 9). */
export type HttpPreHandler = (
  method: string,
  url: string,
  userAgent: string | undefined,
  remoteAddress: string,
) => { status: number; contentType: string; body: string | Buffer; headers?: Record<string, string> } | undefined;

export interface WebAppDeps {
  registry: CommandRegistry;
  auth: WebAuth;
  assets: WebAssets;
  log: Logger;
  version: string;
  health: () => unknown;
  /** Phone provisioning and the mobile app's one-time configuration (served before everything else). */
  preHandler?: () => HttpPreHandler | undefined;
  /** The WAV of one of a user's voicemail messages, or undefined (WEB-6 "my voicemail"). */
  voicemailWav?: (mac: string, id: string) => Buffer | undefined;
  /** Requests per minute from one address on /api (the login has its own lockout on top). */
  apiRatePerMinute?: number;
}

export const SESSION_COOKIE = 'pbxgate_session';
const API = '/api/v1';
/** JSON bodies: commands with an upload say how much more they take (Command.bodyLimit). */
const DEFAULT_BODY_LIMIT = 64 * 1024;
const MAX_BODY_LIMIT = 24 * 1024 * 1024;

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  E_UNKNOWN_COMMAND: 404,
  E_NOT_FOUND: 404,
  E_BAD_ARGUMENTS: 400,
  E_CONFIG_INVALID: 400,
  E_WEAK_PASSWORD: 400,
  E_MEDIA_FORMAT: 415,
  E_UNAUTHORIZED: 401,
  E_LOGIN_FAILED: 401,
  E_FORBIDDEN: 403,
  E_CSRF: 403,
  E_PASSWORD_CHANGE_REQUIRED: 403,
  E_CONFLICT: 409,
  E_CONFIRMATION_REQUIRED: 409,
  E_NOT_SUPPORTED: 409,
  E_TOO_LARGE: 413,
  E_LOCKED_OUT: 429,
  E_CONFIG_IO: 503,
  E_MODEM_UNAVAILABLE: 503,
  E_MODEM_ERROR: 502,
  E_MODEM_TIMEOUT: 504,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 500;
}

/** What a user still on the default password may do: read who they are, and change it. */
const ALLOWED_BEFORE_PASSWORD_CHANGE = new Set(['my password', 'my profile', 'feature-codes']);

const loginBody = z.strictObject({ login: z.string().min(1).max(128), password: z.string().min(1).max(128) });

function sendError(reply: FastifyReply, code: ErrorCode, message: string, extra: Record<string, string> = {}): FastifyReply {
  for (const [k, v] of Object.entries(extra)) void reply.header(k, v);
  return reply.code(httpStatusOf(code)).send({ error: { code, message } });
}

/**
 * The box's web: REST API generated from the command registry (issue 10 §1),
 * sessions and CSRF (§6), the pages (§2-5) from the embedded assets, phone
 * provisioning first. Built apart from the listening service so tests can
 * drive it with fastify's inject.
 */
export async function buildWebApp(deps: WebAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: DEFAULT_BODY_LIMIT,
    // The board serves a handful of people: small timeouts keep slow clients from holding sockets.
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    return503OnClosing: true,
    trustProxy: false,
  });
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    max: deps.apiRatePerMinute ?? 600,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: { code: 'E_LOCKED_OUT', message: `too many requests, retry in ${Math.ceil(ctx.ttl / 1000)} s` } }),
  });

  app.addHook('onRequest', async (req, reply) => {
    // Security headers on everything (§6); the pages load only what the box serves.
    void reply.headers({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
      'Content-Security-Policy':
        "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    });
    const pre = deps.preHandler?.();
    if (!pre) return;
    let answer: ReturnType<HttpPreHandler>;
    try {
      answer = pre(req.method, req.url, req.headers['user-agent'], req.socket.remoteAddress ?? '');
    } catch (err) {
      deps.log.error({ err: (err as Error).message, url: req.url }, 'http pre-handler failed');
      return sendError(reply, 'E_INTERNAL', 'internal error');
    }
    if (answer) return reply.code(answer.status).headers({ 'Content-Type': answer.contentType, ...(answer.headers ?? {}) }).send(answer.body);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    // Never a stack trace to the client (§6): a code and a sentence; the details go to the log.
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 'E_TOO_LARGE', 'request body too large');
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply.code(415).send({ error: { code: 'E_BAD_ARGUMENTS', message: 'send JSON (Content-Type: application/json)' } });
    if (err.statusCode === 429) return reply.code(429).send({ error: { code: 'E_LOCKED_OUT', message: 'too many requests' } });
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)
      return reply.code(err.statusCode).send({ error: { code: 'E_BAD_ARGUMENTS', message: err.statusCode === 400 ? 'malformed request' : ERROR_CODES.E_BAD_ARGUMENTS } });
    deps.log.error({ err: err.message, stack: err.stack, url: req.url }, 'web request failed');
    return sendError(reply, 'E_INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return sendError(reply, 'E_NOT_FOUND', 'no such API route');
    return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
  });

  const sessionOf = (req: FastifyRequest): WebSession | undefined => deps.auth.session(req.cookies[SESSION_COOKIE]);
  const csrfOk = (req: FastifyRequest, s: WebSession): boolean => {
    const token = req.headers['x-csrf-token'];
    return typeof token === 'string' && token.length === s.csrfToken.length && token === s.csrfToken;
  };
  const sessionView = (s: WebSession) => ({ role: s.role, login: s.login, csrfToken: s.csrfToken, mustChangePassword: s.mustChangePassword });

  app.get('/healthz', async () => deps.health());

  // --- sessions --------------------------------------------------------------
  app.post(`${API}/session`, { config: { rateLimit: { max: 60, timeWindow: 60_000 } } }, async (req, reply) => {
    const parsed = loginBody.safeParse(req.body);
    if (!parsed.success) return sendError(reply, 'E_BAD_ARGUMENTS', 'login and password are required');
    const r = await deps.auth.login(parsed.data.login, parsed.data.password, req.socket.remoteAddress ?? '');
    if (!r.ok) {
      deps.log.warn({ login: parsed.data.login.slice(0, 64), from: req.socket.remoteAddress, code: r.error.code }, 'web login refused');
      return sendError(reply, r.error.code, r.error.message, r.retryAfterSeconds !== undefined ? { 'Retry-After': String(r.retryAfterSeconds) } : {});
    }
    deps.log.info({ login: r.session.login, role: r.session.role, from: req.socket.remoteAddress }, 'web login');
    void reply.setCookie(SESSION_COOKIE, r.session.id, { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 12 * 3600 });
    return sessionView(r.session);
  });
  app.get(`${API}/session`, async (req, reply) => {
    const s = sessionOf(req);
    if (!s) return sendError(reply, 'E_UNAUTHORIZED', 'login required');
    void reply.header('Cache-Control', 'no-store');
    return sessionView(s);
  });
  app.delete(`${API}/session`, async (req, reply) => {
    const s = sessionOf(req);
    if (!s) return sendError(reply, 'E_UNAUTHORIZED', 'login required');
    if (!csrfOk(req, s)) return sendError(reply, 'E_CSRF', 'missing or wrong anti-forgery token');
    deps.auth.logout(s.id);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { loggedOut: true };
  });

  app.get(`${API}/openapi.json`, async () => openApiDocument(deps.registry, deps.version));

  // --- commands ----------------------------------------------------------------
  const run = async (command: AnyCommand, args: unknown, req: FastifyRequest, reply: FastifyReply, mutating: boolean) => {
    void reply.header('Cache-Control', 'no-store');
    const s = sessionOf(req);
    if (!s) return sendError(reply, 'E_UNAUTHORIZED', 'login required');
    if (mutating && !csrfOk(req, s)) return sendError(reply, 'E_CSRF', 'missing or wrong anti-forgery token');
    if (!command.roles.includes(s.role)) return sendError(reply, 'E_FORBIDDEN', 'not allowed for this account');
    if (s.mustChangePassword && !ALLOWED_BEFORE_PASSWORD_CHANGE.has(command.name))
      return sendError(reply, 'E_PASSWORD_CHANGE_REQUIRED', 'change the default password first');
    const ctx: CommandContext = s.role === 'user' ? { role: 'user', ...(s.phone !== undefined ? { phone: s.phone } : {}) } : { role: 'admin' };
    const outcome = await deps.registry.invoke(command.name, args, ctx);
    if (!outcome.ok) {
      if (outcome.code === 'E_INTERNAL') {
        deps.log.error({ command: command.name, err: outcome.message }, 'web command failed');
        return sendError(reply, 'E_INTERNAL', 'internal error');
      }
      return sendError(reply, outcome.code, outcome.message);
    }
    if (command.name === 'my password' || command.name === 'admin password') deps.auth.passwordChanged(s);
    if (mutating) deps.log.info({ command: command.name, by: s.login }, 'web change');
    return { result: outcome.result };
  };

  for (const command of deps.registry.list()) {
    if (!command.roles.includes('admin') && !command.roles.includes('user')) continue; // technician only: console
    const url = `${API}/${commandPath(command.name)}`;
    const bodyLimit = Math.min(command.bodyLimit ?? DEFAULT_BODY_LIMIT, MAX_BODY_LIMIT);
    app.post(url, { bodyLimit }, (req, reply) => run(command, req.body ?? {}, req, reply, true));
    if (command.readOnly) {
      app.get(url, (req, reply) => run(command, queryToArgs(command, req.query as Record<string, string | string[]>), req, reply, false));
    }
  }

  if (deps.voicemailWav) {
    const wavOf = deps.voicemailWav;
    app.get(`${API}/my/voicemail/:id/audio`, async (req, reply) => {
      const s = sessionOf(req);
      if (!s) return sendError(reply, 'E_UNAUTHORIZED', 'login required');
      if (s.role !== 'user' || s.phone === undefined) return sendError(reply, 'E_FORBIDDEN', 'not allowed for this account');
      if (s.mustChangePassword) return sendError(reply, 'E_PASSWORD_CHANGE_REQUIRED', 'change the default password first');
      const { id } = req.params as { id: string };
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return sendError(reply, 'E_BAD_ARGUMENTS', 'bad message id');
      const wav = wavOf(s.phone, id);
      if (!wav) return sendError(reply, 'E_NOT_FOUND', 'no such message');
      return reply
        .header('Cache-Control', 'no-store')
        .header('Content-Disposition', `attachment; filename="message-${id}.wav"`)
        .type('audio/wav')
        .send(wav);
    });
  }

  // --- pages ---------------------------------------------------------------------
  app.get('/*', async (req, reply) => {
    const pathname = req.url.split('?')[0] ?? '/';
    if (pathname.startsWith('/api/')) return sendError(reply, 'E_NOT_FOUND', 'no such API route');
    const asset = deps.assets.get(pathname === '/' ? '/index.html' : pathname);
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
    if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.header('ETag', asset.etag).header('Cache-Control', 'no-cache').type(asset.contentType).send(asset.body);
  });

  return app;
}
