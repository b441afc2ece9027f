import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { FakeClock } from '../../firmware/core/clock.ts';
import { CallJournal, CONFIG_FILE, ConfigStore, type Config } from '../../firmware/config/index.ts';
import { CommandRegistry } from '../../firmware/api/index.ts';
import { registerAdminCommands } from '../../firmware/web/admin-commands.ts';
import { registerUserCommands, greetingImporter, messageWavPath } from '../../firmware/web/user-commands.ts';
import { registerAnnouncementCommands } from '../../firmware/pbx/announcement-commands.ts';
import { Announcements } from '../../firmware/pbx/announcements.ts';
import { VoicemailService } from '../../firmware/pbx/voicemail/service.ts';
import { BUILTIN_PLAN } from '../../firmware/pbx/frenchplan/index.ts';
import { MobileApp } from '../../firmware/pbx/mobile-app.ts';
import { WebAuth, buildWebApp, registerAccountCommands, assetsFromDir, SESSION_COOKIE, type LockoutPolicy } from '../../firmware/web/index.ts';
import { makePhone, sampleConfig } from './config.ts';
import { silentLogs } from './logs.ts';
import { ROOT, tmpDir } from './tmp.ts';

export const MAC1 = '00:08:5d:00:00:01'; // 601 Élodie Le Gall, default password
export const MAC2 = '00:08:5d:00:00:02'; // 478 Jean Martin (DID 0577110078)
export const ADMIN_PASSWORD = 'device-pass-1';

/**
 * The web application as the box builds it (issue 10), in process, driven
 * with fastify's inject: the real command registry of the web (admin, user,
 * account commands), a real config store on a temporary directory, the pages
 * of web/. Only the live telephony state the dashboard shows is given as data.
 */
export async function webApp(t: ExecutionContext, opts: { lockout?: LockoutPolicy; mutate?: (c: Config) => void } = {}) {
  const dir = tmpDir(t, 'web-api');
  const c = sampleConfig();
  c.phones[0] = { ...c.phones[0]!, firstName: 'Élodie', lastName: 'Le Gall' };
  c.phones[1] = { ...c.phones[1]!, firstName: 'Jean', lastName: 'Martin' };
  c.phones.push(makePhone(3));
  c.groups.push({ internalNumber: '621', name: 'Ventes', ringMode: 'sequential', members: [MAC1, MAC2], enabled: true, ringSecondsPerMember: 15 });
  c.directory = [{ name: 'Plombier', number: '0577000001', speedDial: '701' }];
  opts.mutate?.(c);
  fs.writeFileSync(path.join(dir, CONFIG_FILE), JSON.stringify(c));
  const clock = new FakeClock();
  const logs = silentLogs();
  const config = new ConfigStore(dir, clock, logs.get('config'));
  config.load();
  const journal = new CallJournal();
  const registry = new CommandRegistry();
  registerAccountCommands(registry, config);
  registerAdminCommands(registry, {
    config,
    clock,
    journal,
    live: {
      registeredMacs: () => [MAC1],
      trunk: () => ({ state: 'registered' }),
      dsl: () => ({ state: 'showtime' }),
      plc: () => ({ adapters: [] }),
      calls: () => [],
      leds: () => [{ role: 'power', pattern: 'on' }],
    },
  });
  const announcements = new Announcements(dir, () => config.get(), logs.get('announcements'));
  const voicemail = new VoicemailService({ dataDir: dir, announcements, log: logs.get('voicemail'), config: () => config.get() });
  registerAnnouncementCommands(registry, { config, announcements });
  const userDeps = { config, journal, plan: () => BUILTIN_PLAN, voicemail, importGreeting: greetingImporter({ config, announcements }) };
  registerUserCommands(registry, userDeps);
  // WEB-7 without SIP running: no registrations to count or drop.
  new MobileApp({ config, clock, log: logs.get('mobile'), server: () => ({ sipHost: '192.168.1.1', sipPort: 5060, httpBase: 'http://192.168.1.1' }) }).register(registry);
  const auth = new WebAuth(() => config.get(), clock, opts.lockout);
  const app = await buildWebApp({
    registry,
    auth,
    assets: assetsFromDir(path.join(ROOT, 'web')),
    log: logs.get('http'),
    version: 'test',
    health: () => ({ ok: true }),
    voicemailWav: (mac, id) => {
      const file = messageWavPath(userDeps, mac, id);
      return file === undefined ? undefined : fs.readFileSync(file);
    },
  });
  t.teardown(() => app.close());
  return { app, config, clock, registry, auth, journal, voicemail, dir, file: config.file };
}

export interface Session {
  cookie: string;
  csrf: string;
}

export async function login(app: FastifyInstance, loginName: string, password: string, remoteAddress = '127.0.0.1'): Promise<{ res: LightMyRequestResponse; session?: Session }> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { login: loginName, password }, remoteAddress });
  if (res.statusCode !== 200) return { res };
  const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE);
  return { res, session: { cookie: `${SESSION_COOKIE}=${cookie!.value}`, csrf: (res.json() as { csrfToken: string }).csrfToken } };
}

/** A state-changing call with the session's cookie and CSRF token. */
export function post(app: FastifyInstance, s: Session | undefined, url: string, payload: unknown, csrf = true): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    payload: payload as Record<string, unknown>,
    headers: { ...(s ? { cookie: s.cookie } : {}), ...(s && csrf ? { 'x-csrf-token': s.csrf } : {}) },
  });
}

export function get(app: FastifyInstance, s: Session | undefined, url: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: s ? { cookie: s.cookie } : {} });
}

export function errorCode(res: LightMyRequestResponse): string | undefined {
  try {
    return (res.json() as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}
