import test from 'ava';
import { ADMIN_PASSWORD, MAC1, MAC2, errorCode, get, login, post, webApp, type Session } from '../helpers/web-app.ts';

// Issue 10 §1 and §6, driven with fastify's inject on the web application the box builds:
// every route of the REST API (read from the OpenAPI document the box serves) refuses a
// missing session, a missing CSRF token, the wrong role and an invalid body; each change
// the pages make reaches the store; nothing refused is stored.

interface Route {
  path: string;
  roles: string[];
  get: boolean;
  confirm: boolean;
}

async function routes(app: Awaited<ReturnType<typeof webApp>>['app']): Promise<Route[]> {
  const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
    paths: Record<string, { post?: { description: string }; get?: unknown }>;
  };
  return Object.entries(doc.paths)
    .filter(([p]) => p !== '/session')
    .map(([p, item]) => ({
      path: `/api/v1${p}`,
      roles: /Roles: ([^.]+)\./.exec(item.post!.description)![1]!.split(', '),
      get: item.get !== undefined,
      confirm: item.post!.description.includes('Destructive'),
    }));
}

async function sessions(env: Awaited<ReturnType<typeof webApp>>): Promise<{ admin: Session; user: Session }> {
  const admin = (await login(env.app, 'admin', ADMIN_PASSWORD)).session!;
  const first = (await login(env.app, 'Elodie.Le-Gall', '601')).session!;
  const changed = await post(env.app, first, '/api/v1/my/password', { current: '601', new: 'Bonjour-Soleil-7' });
  if (changed.statusCode !== 200) throw new Error(`password change failed: ${changed.body}`);
  return { admin, user: first };
}

test('issue 10 §1: the OpenAPI document lists every web command of the registry, with JSON Schemas of their arguments', async (t) => {
  const env = await webApp(t);
  const res = await env.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  t.is(res.statusCode, 200);
  const doc = res.json() as { openapi: string; paths: Record<string, { post: { requestBody: { content: { 'application/json': { schema: { type: string } } } } } }> };
  t.is(doc.openapi, '3.1.0');
  const web = env.registry.list().filter((c) => c.roles.includes('admin') || c.roles.includes('user'));
  t.true(web.length >= 40, `${web.length} web commands`);
  for (const c of web) {
    const item = doc.paths[`/${c.name.split(' ').join('/')}`];
    t.truthy(item, c.name);
    t.is(item?.post.requestBody.content['application/json'].schema.type, 'object', c.name);
  }
  t.is(doc.paths['/help'], undefined, 'technician-only commands stay on the console');
});

test('issue 10 §1/§6: every route refuses a request without a session (401 E_UNAUTHORIZED), GET and POST', async (t) => {
  const env = await webApp(t);
  for (const r of await routes(env.app)) {
    const p = await post(env.app, undefined, r.path, {});
    t.is(p.statusCode, 401, `POST ${r.path}`);
    t.is(errorCode(p), 'E_UNAUTHORIZED');
    if (r.get) t.is((await get(env.app, undefined, r.path)).statusCode, 401, `GET ${r.path}`);
  }
});

test('issue 10 §6: every POST route refuses a session without its CSRF token, or with another session\'s (403 E_CSRF), and nothing changes', async (t) => {
  const env = await webApp(t);
  const { admin, user } = await sessions(env);
  const before = JSON.stringify(env.config.get());
  for (const r of await routes(env.app)) {
    const s = r.roles.includes('admin') ? admin : user;
    const none = await post(env.app, s, r.path, {}, false);
    t.is(errorCode(none), 'E_CSRF', r.path);
    t.is(none.statusCode, 403);
    const other = s === admin ? user : admin;
    const wrong = await env.app.inject({ method: 'POST', url: r.path, payload: {}, headers: { cookie: s.cookie, 'x-csrf-token': other.csrf } });
    t.is(errorCode(wrong), 'E_CSRF', `${r.path} with another session's token`);
  }
  t.is(JSON.stringify(env.config.get()), before);
});

test('issue 10 §1/§6: the wrong role is refused on every route (403 E_FORBIDDEN): a user on admin routes, the admin on the user\'s own routes', async (t) => {
  const env = await webApp(t);
  const { admin, user } = await sessions(env);
  let checked = 0;
  for (const r of await routes(env.app)) {
    for (const [role, s] of [['admin', admin], ['user', user]] as const) {
      if (r.roles.includes(role)) continue;
      const res = await post(env.app, s, r.path, {});
      t.is(res.statusCode, 403, `${role} POST ${r.path}`);
      t.is(errorCode(res), 'E_FORBIDDEN');
      if (r.get) t.is(errorCode(await get(env.app, s, r.path)), 'E_FORBIDDEN');
      checked++;
    }
  }
  t.true(checked >= 30, `${checked} refusals checked`);
});

test('issue 10 §1: every route refuses an invalid body with 400 E_BAD_ARGUMENTS (unknown field), and nothing changes', async (t) => {
  const env = await webApp(t);
  const { admin, user } = await sessions(env);
  const before = JSON.stringify(env.config.get());
  for (const r of await routes(env.app)) {
    const s = r.roles.includes('admin') ? admin : user;
    const res = await post(env.app, s, r.path, { surprise: '<script>' });
    t.is(res.statusCode, 400, `${r.path}: ${res.body}`);
    t.is(errorCode(res), 'E_BAD_ARGUMENTS', r.path);
  }
  t.is(JSON.stringify(env.config.get()), before);
  // Not JSON at all: 415 for another type, 400 for broken JSON; never a stack trace.
  const form = await env.app.inject({ method: 'POST', url: '/api/v1/group/add', payload: 'name=x', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/x-www-form-urlencoded' } });
  t.is(form.statusCode, 415);
  const broken = await env.app.inject({ method: 'POST', url: '/api/v1/group/add', payload: '{"name": ', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' } });
  t.is(broken.statusCode, 400);
  t.is(errorCode(broken), 'E_BAD_ARGUMENTS');
  t.notRegex(broken.body, /at .*\.(js|ts):\d+/);
});

test('WEB-5, issue 10 §6: a user on the default password may only change it; after the change the session goes on', async (t) => {
  const env = await webApp(t);
  const first = (await login(env.app, 'elodie.le-gall', '601')).session!;
  t.true((await get(env.app, first, '/api/v1/session')).json().mustChangePassword);
  t.is(errorCode(await get(env.app, first, '/api/v1/my/forwards')), 'E_PASSWORD_CHANGE_REQUIRED');
  t.is((await get(env.app, first, '/api/v1/my/profile')).statusCode, 200);
  const weak = await post(env.app, first, '/api/v1/my/password', { current: '601', new: '12345678' });
  t.is(errorCode(weak), 'E_WEAK_PASSWORD');
  t.is(env.config.get().phones[0]!.userPasswordHash, undefined);
  t.is((await post(env.app, first, '/api/v1/my/password', { current: '601', new: 'Bonjour-Soleil-7' })).statusCode, 200);
  t.regex(env.config.get().phones[0]!.userPasswordHash ?? '', /^scrypt\$/);
  t.is((await get(env.app, first, '/api/v1/my/forwards')).statusCode, 200);
  t.false((await get(env.app, first, '/api/v1/session')).json().mustChangePassword);
  t.is((await login(env.app, 'elodie.le-gall', '601')).res.statusCode, 401, 'the number no longer logs in');
  // The admin resets it (WEB-5): the user's session ends, the number works again, the change is forced again.
  const admin = (await login(env.app, 'admin', ADMIN_PASSWORD)).session!;
  t.is((await post(env.app, admin, '/api/v1/phone/reset-password', { phone: '601' })).statusCode, 200);
  t.is((await get(env.app, first, '/api/v1/my/forwards')).statusCode, 401);
  t.true((await login(env.app, 'elodie.le-gall', '601')).res.json().mustChangePassword);
});

test('issue 10 §6: a user reaches only their own phone: the phone comes from the session, never from the request', async (t) => {
  const env = await webApp(t);
  const { user } = await sessions(env);
  const res = await post(env.app, user, '/api/v1/my/forwards/set', { unconditional: { enabled: true, destination: '478' } });
  t.is(res.statusCode, 200, res.body);
  t.true(env.config.get().phones.find((p) => p.mac === MAC1)!.forwards.unconditional.enabled);
  t.false(env.config.get().phones.find((p) => p.mac === MAC2)!.forwards.unconditional.enabled);
  // Naming another phone is an unknown field, not a way in.
  t.is(errorCode(await post(env.app, user, '/api/v1/my/forwards/set', { phone: '478', busy: { enabled: true, destination: '601' } })), 'E_BAD_ARGUMENTS');
  const calls = (await get(env.app, user, '/api/v1/my/profile')).json() as { result: { internalNumber: string } };
  t.is(calls.result.internalNumber, '601');
});

test('issue 10 §1: GET takes the arguments in the query string, converted by the schema (journal search paging)', async (t) => {
  const env = await webApp(t);
  const { admin } = await sessions(env);
  const now = env.clock.now();
  for (let i = 0; i < 13; i++)
    env.journal.add({ startedAt: now - i * 60_000, from: '601', to: '0577000001', phones: [MAC1], callerPhone: MAC1, durationSeconds: 10, direction: 'outbound', outcome: 'answered' });
  const page2 = await get(env.app, admin, '/api/v1/journal/search?page=2&pageSize=10&kind=emitted');
  t.is(page2.statusCode, 200, page2.body);
  const body = page2.json() as { result: { total: number; page: number; rows: unknown[] } };
  t.like(body.result, { total: 13, page: 2 });
  t.is(body.result.rows.length, 3);
  t.is(errorCode(await get(env.app, admin, '/api/v1/journal/search?pageSize=7')), 'E_BAD_ARGUMENTS');
});
