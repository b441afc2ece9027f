import test from 'ava';
import { writeWav } from '../../firmware/media/wav.ts';
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

/** A second of a 440 Hz tone as an 8 kHz PCM WAV, base64: a valid upload. */
function toneWavBase64(): string {
  const s = new Int16Array(8000);
  for (let i = 0; i < s.length; i++) s[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return writeWav(s).toString('base64');
}

test('issue 10 §1: every state-changing route, called as the pages call it, changes the store (and the table covers them all)', async (t) => {
  // 478 chose a password already: the admin's reset puts the internal number back.
  const env = await webApp(t, { mutate: (c) => void (c.phones[1]!.userPasswordHash = 'scrypt$16384$8$1$AAAA$AAAA') });
  const { admin, user } = await sessions(env);
  const phone = (mac: string) => env.config.get().phones.find((p) => p.mac === mac)!;
  env.voicemail.store(MAC1, new Int16Array(8000), '0612345678');
  env.voicemail.store(MAC1, new Int16Array(8000), '0612345679');
  const [m1, m2] = env.voicemail.messages(MAC1);
  const wav = toneWavBase64();
  const firstHash = phone(MAC1).userPasswordHash;
  // Applied in this order: some depend on the one before (a group before its schedule...).
  const cases: Array<[string, Session, unknown, () => boolean]> = [
    ['settings update', admin, { company: { name: 'Boulangerie Dupont' } }, () => env.config.get().company.name === 'Boulangerie Dupont'],
    ['phone update', admin, { phone: '603', firstName: 'Ana', lastName: 'Lopez', voicemail: { emailEnabled: false } }, () => phone('00:08:5d:00:00:03').lastName === 'Lopez'],
    ['phone associate', admin, { phone: '603', mac: '00:08:5d:00:00:33' }, () => env.config.get().phones.some((p) => p.mac === '00:08:5d:00:00:33')],
    ['group add', admin, { name: 'Atelier', ringMode: 'sequential', members: ['601', '478'] }, () => env.config.get().groups.some((g) => g.name === 'Atelier' && g.members.length === 2)],
    ['group update', admin, { group: '621', name: 'Ventes et SAV' }, () => env.config.get().groups.some((g) => g.name === 'Ventes et SAV')],
    ['schedule set', admin, { target: '621', enabled: true, daySlots: [{ days: [1, 2, 3, 4, 5], from: '08:30', to: '18:00' }], nightDestination: 'voicemail', holidaysAreNight: true, override: 'auto' }, () => env.config.get().schedules.some((s) => s.target === '621')],
    ['schedule remove', admin, { target: '621' }, () => !env.config.get().schedules.some((s) => s.target === '621')],
    ['group remove', admin, { group: '622', confirm: true }, () => !env.config.get().groups.some((g) => g.internalNumber === '622')],
    ['restriction update', admin, { id: 9, name: 'Commerciaux' }, () => env.config.get().restrictionProfiles.find((p) => p.id === 9)!.name === 'Commerciaux'],
    ['directory add', admin, { name: 'Électricien', number: '0577000003', speedDial: '702' }, () => env.config.get().directory.some((d) => d.speedDial === '702')],
    ['directory update', admin, { match: { speedDial: '702' }, number: '0577000004' }, () => env.config.get().directory.some((d) => d.number === '0577000004')],
    ['directory remove', admin, { match: { speedDial: '701' } }, () => !env.config.get().directory.some((d) => d.speedDial === '701')],
    ['announcement import', admin, { kind: 'hold-music', data: wav }, () => env.config.get().announcements.holdMusic !== undefined],
    ['reception update', admin, { phone: '478', ringsBeforeOverflow: 4 }, () => env.config.get().reception.ringsBeforeOverflow === 4 && env.config.get().reception.phone === MAC2],
    ['phone reset-password', admin, { phone: '478' }, () => phone(MAC2).userPasswordHash === undefined],
    ['my contact add', user, { name: 'Maman', number: '0612345678' }, () => phone(MAC1).contacts.length === 1],
    ['my contact remove', user, { index: 0 }, () => phone(MAC1).contacts.length === 0],
    ['my forwards set', user, { busy: { enabled: true, destination: 'voicemail' } }, () => phone(MAC1).forwards.busy.enabled],
    ['my keys set', user, { keys: [{ position: 1, kind: 'supervision', target: '478', label: 'Jean' }] }, () => phone(MAC1).screenKeys.length === 1],
    ['my settings set', user, { callWaiting: false }, () => !phone(MAC1).callWaiting],
    ['my greeting set', user, { data: wav }, () => phone(MAC1).voicemail.greeting !== undefined],
    ['my greeting remove', user, {}, () => phone(MAC1).voicemail.greeting === undefined],
    ['my voicemail saved', user, { id: m1!.id }, () => env.voicemail.messages(MAC1).find((m) => m.id === m1!.id)?.state === 'saved'],
    ['my voicemail delete', user, { id: m2!.id }, () => !env.voicemail.messages(MAC1).some((m) => m.id === m2!.id)],
    ['my password', user, { current: 'Bonjour-Soleil-7', new: 'Bonsoir-Lune-8' }, () => phone(MAC1).userPasswordHash !== firstHash],
    ['mobile enable', admin, { phone: '478' }, () => phone(MAC2).mobile !== undefined],
    ['mobile revoke', admin, { phone: '478', confirm: true }, () => phone(MAC2).mobile === undefined],
    ['admin password', admin, { current: ADMIN_PASSWORD, new: 'Admin-Choisi-9' }, () => env.config.get().admin.passwordHash !== undefined],
  ];
  const mutating = env.registry.list().filter((c) => !c.readOnly && (c.roles.includes('admin') || c.roles.includes('user'))).map((c) => c.name);
  t.deepEqual([...new Set(cases.map((c) => c[0]))].sort(), mutating.sort(), 'one case per state-changing route');
  for (const [name, s, body, changed] of cases) {
    t.false(changed(), `${name}: not already so`);
    const res = await post(env.app, s, `/api/v1/${name.split(' ').join('/')}`, body);
    t.is(res.statusCode, 200, `${name}: ${res.body}`);
    t.true(changed(), `${name} changed the store`);
  }
});
