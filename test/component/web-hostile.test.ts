import test from 'ava';
import { writeWav } from '../../firmware/media/wav.ts';
import { UPLOAD_BODY_LIMIT } from '../../firmware/pbx/announcement-commands.ts';
import { ADMIN_PASSWORD, MAC1, errorCode, get, login, post, webApp } from '../helpers/web-app.ts';

// Issue 10 "hostile input": CSRF, oversized uploads, path traversal, injection strings in
// names, a login flood; and the §6 headers and cookie. Each refusal leaves the store as it was.

test('issue 10 §6: the session cookie is HttpOnly and SameSite=Strict; pages and API carry the security headers', async (t) => {
  const env = await webApp(t);
  const { res } = await login(env.app, 'admin', ADMIN_PASSWORD);
  const cookie = res.cookies.find((c) => c.name === 'pbxgate_session')!;
  t.true(cookie.httpOnly);
  t.is(cookie.sameSite, 'Strict');
  t.is(cookie.path, '/');
  t.true(cookie.value.length >= 40, 'a 256-bit session id');
  for (const url of ['/', '/api/v1/session', '/api/v1/nothing-here']) {
    const r = await env.app.inject({ method: 'GET', url });
    t.regex(String(r.headers['content-security-policy']), /default-src 'self'.*script-src 'self'.*frame-ancestors 'none'/, url);
    t.is(r.headers['x-frame-options'], 'DENY');
    t.is(r.headers['x-content-type-options'], 'nosniff');
    t.is(r.headers['referrer-policy'], 'no-referrer');
  }
  t.is((await env.app.inject({ method: 'GET', url: '/' })).headers['content-type'], 'text/html; charset=utf-8');
});

test('issue 10 §6: CSRF: a logout or a change without the token is refused and changes nothing; a forged cookie is no session', async (t) => {
  const env = await webApp(t);
  const { session } = await login(env.app, 'admin', ADMIN_PASSWORD);
  const before = JSON.stringify(env.config.get());
  const change = await env.app.inject({ method: 'POST', url: '/api/v1/settings/update', payload: { company: { name: 'Pirate' } }, headers: { cookie: session!.cookie } });
  t.is(change.statusCode, 403);
  t.is(errorCode(change), 'E_CSRF');
  const logout = await env.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: session!.cookie } });
  t.is(errorCode(logout), 'E_CSRF');
  t.is((await get(env.app, session, '/api/v1/session')).statusCode, 200, 'still logged in');
  t.is(JSON.stringify(env.config.get()), before);
  const forged = await env.app.inject({ method: 'POST', url: '/api/v1/settings/update', payload: { company: { name: 'Pirate' } }, headers: { cookie: 'pbxgate_session=AAAA', 'x-csrf-token': session!.csrf } });
  t.is(errorCode(forged), 'E_UNAUTHORIZED');
  // With the token, logout works and the session is gone.
  t.is((await env.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: session!.cookie, 'x-csrf-token': session!.csrf } })).statusCode, 200);
  t.is((await get(env.app, session, '/api/v1/session')).statusCode, 401);
});

test('issue 10 §6 / VOX-3: an oversized upload is refused with 413 E_TOO_LARGE and the announcement in place stays; a small body route takes 64 KiB at most', async (t) => {
  const env = await webApp(t);
  const { session } = await login(env.app, 'admin', ADMIN_PASSWORD);
  const tone = new Int16Array(8000).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  t.is((await post(env.app, session, '/api/v1/announcement/import', { kind: 'hold-music', data: writeWav(tone).toString('base64') })).statusCode, 200);
  const before = JSON.stringify(env.config.get());
  const huge = 'A'.repeat(UPLOAD_BODY_LIMIT + 10);
  const res = await post(env.app, session, '/api/v1/announcement/import', { kind: 'hold-music', data: huge });
  t.is(res.statusCode, 413);
  t.is(errorCode(res), 'E_TOO_LARGE');
  const big = await post(env.app, session, '/api/v1/settings/update', { company: { name: 'x'.repeat(70_000) } });
  t.is(big.statusCode, 413);
  // An MP3 (ID3 header) under the limit: refused by content with a clear message, nothing replaced.
  const mp3 = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'), Buffer.alloc(4000, 0xff)]);
  const refused = await post(env.app, session, '/api/v1/announcement/import', { kind: 'hold-music', data: mp3.toString('base64') });
  t.is(errorCode(refused), 'E_MEDIA_FORMAT');
  t.regex((refused.json() as { error: { message: string } }).error.message, /MP3/i);
  t.is(JSON.stringify(env.config.get()), before);
});

test('issue 10 §6: path traversal: URLs never leave the pages, an announcement may not name a file on the box, file references are names only', async (t) => {
  const env = await webApp(t);
  const { session } = await login(env.app, 'admin', ADMIN_PASSWORD);
  for (const url of ['/../package.json', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/web/../firmware/main.ts', '/config.json', '/index.html%00.js', '//etc/passwd']) {
    const r = await env.app.inject({ method: 'GET', url });
    t.is(r.statusCode, 404, url);
    t.notRegex(r.body, /root:|"version"|import /, url);
  }
  const before = JSON.stringify(env.config.get());
  const byPath = await post(env.app, session, '/api/v1/announcement/import', { kind: 'hold-music', file: '/etc/passwd' });
  t.is(errorCode(byPath), 'E_FORBIDDEN');
  const ref = await post(env.app, session, '/api/v1/reception/update', { announcements: { holdMusic: '../config.json' } });
  t.is(errorCode(ref), 'E_BAD_ARGUMENTS');
  t.is(JSON.stringify(env.config.get()), before);
  // The one binary route checks its id: no way out of the user's mailbox.
  const user = (await login(env.app, 'elodie.le-gall', '601')).session!;
  await post(env.app, user, '/api/v1/my/password', { current: '601', new: 'Bonjour-Soleil-7' });
  for (const id of ['..%2F..%2Fconfig.json', '..', 'x%00y']) {
    const r = await get(env.app, user, `/api/v1/my/voicemail/${id}/audio`);
    t.true([400, 404].includes(r.statusCode), `${id}: ${r.statusCode}`);
    t.notRegex(r.body, /devicePassword/);
  }
});

test('issue 10 §6: SQL and HTML injection strings in names are stored as plain text and come back as JSON data, never as markup', async (t) => {
  const env = await webApp(t);
  const { session } = await login(env.app, 'admin', ADMIN_PASSWORD);
  const html = '<img src=x onerror=alert(1)>';
  const sql = "Robert'); DROP TABLE phones;--";
  t.is((await post(env.app, session, '/api/v1/phone/update', { phone: '601', firstName: html, lastName: sql })).statusCode, 200);
  t.is((await post(env.app, session, '/api/v1/directory/add', { name: `</script>${html}`, number: '0577000009' })).statusCode, 200);
  const p = env.config.get().phones.find((x) => x.mac === MAC1)!;
  t.deepEqual([p.firstName, p.lastName], [html, sql]);
  const list = await get(env.app, session, '/api/v1/phone/list');
  t.is(list.headers['content-type'], 'application/json; charset=utf-8');
  const rows = (list.json() as { result: Array<{ firstName: string; lastName: string }> }).result;
  t.true(rows.some((r) => r.firstName === html && r.lastName === sql));
  t.is(env.config.get().phones.length, 3, 'no phone lost');
});

test('issue 10 §6: 50 wrong logins lock the login out; the right password is refused during the lock and works after it', async (t) => {
  const env = await webApp(t);
  const codes = new Map<string, number>();
  for (let i = 0; i < 50; i++) {
    const { res } = await login(env.app, 'admin', `guess-${i}`, '192.168.1.66');
    const code = errorCode(res) ?? String(res.statusCode);
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  t.is(codes.get('E_LOGIN_FAILED'), 5, 'five tries, then the lock');
  t.is(codes.get('E_LOCKED_OUT'), 45);
  const locked = await login(env.app, 'admin', ADMIN_PASSWORD, '192.168.1.66');
  t.is(locked.res.statusCode, 429);
  t.is(errorCode(locked.res), 'E_LOCKED_OUT');
  t.regex(String(locked.res.headers['retry-after']), /^\d+$/);
  env.clock.advance(5 * 60_000 + 1);
  const after = await login(env.app, 'admin', ADMIN_PASSWORD, '192.168.1.66');
  t.is(after.res.statusCode, 200);
  t.truthy(after.session);
});

test('issue 10 §6: errors are a code and a sentence: unknown routes, bad JSON and wrong methods show no stack trace', async (t) => {
  const env = await webApp(t);
  const { session } = await login(env.app, 'admin', ADMIN_PASSWORD);
  const unknown = await get(env.app, session, '/api/v1/no/such/route');
  t.is(unknown.statusCode, 404);
  t.is(errorCode(unknown), 'E_NOT_FOUND');
  const bad = await env.app.inject({ method: 'POST', url: '/api/v1/session', payload: '{"login":', headers: { 'content-type': 'application/json' } });
  t.is(bad.statusCode, 400);
  const put = await env.app.inject({ method: 'PUT', url: '/api/v1/phone/update', payload: {}, headers: { cookie: session!.cookie } });
  t.is(put.statusCode, 404);
  for (const r of [unknown, bad, put]) t.notRegex(r.body, /node_modules|at .+:\d+:\d+|\.ts\b/);
});
