import test from 'ava';
import { FakeClock } from '../../firmware/core/index.ts';
import type { Config } from '../../firmware/config/index.ts';
import { WebAuth, findUserPhone, userLogin, hashPassword, verifyPassword, passwordProblem } from '../../firmware/web/index.ts';
import { makePhone, sampleConfig } from '../helpers/config.ts';

// Issue 10 §6 and WEB-1/WEB-5: logins, sessions and the lockout, on a fake clock.

function setup(mutate: (c: Config) => void = () => {}) {
  const config = sampleConfig();
  config.phones[0] = { ...config.phones[0]!, firstName: 'Élodie', lastName: 'Le Gall' };
  mutate(config);
  const clock = new FakeClock();
  const auth = new WebAuth(() => config, clock, { perLoginFailures: 5, perAddressFailures: 20, windowMs: 600_000, lockMs: 300_000 });
  return { config, clock, auth };
}

test('WEB-5: the login is Firstname.Lastname without accents or spaces, any case; a phone without a name has none', (t) => {
  t.is(userLogin({ firstName: 'Élodie', lastName: 'Le Gall' }), 'elodie.le-gall');
  t.is(userLogin({ firstName: '', lastName: 'Martin' }), undefined);
  const { config } = setup();
  t.is(findUserPhone(config, 'Elodie.Le-Gall')?.mac, config.phones[0]!.mac);
  t.is(findUserPhone(config, 'ELODIE.LE-GALL.601')?.mac, config.phones[0]!.mac);
  t.is(findUserPhone(config, 'elodie.le-gall.478'), undefined, 'the number must be that person\'s');
});

test('WEB-5: two phones with the same name: only Firstname.Lastname.<number> logs in, never a guess between them', (t) => {
  const { config } = setup((c) => c.phones.push(makePhone(3, { firstName: 'Elodie', lastName: 'Le Gall' })));
  t.is(findUserPhone(config, 'elodie.le-gall'), undefined);
  t.is(findUserPhone(config, 'elodie.le-gall.603')?.internalNumber, '603');
});

test('WEB-1: admin with the device password; once the admin chose a password, only that one', async (t) => {
  const { auth, config } = setup();
  const r = await auth.login('admin', 'device-pass-1', '10.0.0.2');
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.session.role, 'admin');
  t.truthy(auth.session(r.session.id));
  config.admin.passwordHash = await hashPassword('Chosen-pass-42');
  t.is(auth.session(r.session.id), undefined, 'the old session ended with the old password');
  t.false((await auth.login('admin', 'device-pass-1', '10.0.0.2')).ok);
  t.true((await auth.login('admin', 'Chosen-pass-42', '10.0.0.2')).ok);
});

test('WEB-5: the user\'s first password is the internal number, and the session must change it; a reset by the admin ends the session', async (t) => {
  const { auth, config } = setup();
  const r = await auth.login('elodie.le-gall', '601', '10.0.0.3');
  t.true(r.ok);
  if (!r.ok) return;
  t.true(r.session.mustChangePassword);
  t.is(r.session.phone, config.phones[0]!.mac);
  // The user changes it (my password stores the hash), the session lives on, no longer forced.
  config.phones[0]!.userPasswordHash = await hashPassword('Nouveau-mot-2');
  auth.passwordChanged(r.session);
  t.false(auth.session(r.session.id)!.mustChangePassword);
  t.false((await auth.login('elodie.le-gall', '601', '10.0.0.3')).ok, 'the number no longer works');
  // The admin resets it: back to the number, and the open session ends.
  delete config.phones[0]!.userPasswordHash;
  t.is(auth.session(r.session.id), undefined);
  t.true((await auth.login('elodie.le-gall', '601', '10.0.0.3')).ok);
});

test('issue 10 §6: an unknown login and a wrong password get the same error', async (t) => {
  const { auth } = setup();
  const a = await auth.login('nobody.here', 'x', '10.0.0.4');
  const b = await auth.login('elodie.le-gall', 'wrong', '10.0.0.4');
  t.false(a.ok);
  t.false(b.ok);
  if (a.ok || b.ok) return;
  t.deepEqual([a.error.code, a.error.message], [b.error.code, b.error.message]);
  t.is(a.error.code, 'E_LOGIN_FAILED');
});

test('issue 10 §6: 5 failures lock that login from that address; the right password is refused until the lock ends, then works', async (t) => {
  const { auth, clock } = setup();
  for (let i = 0; i < 5; i++) t.is((await auth.login('admin', `guess-${i}`, '10.0.0.5')).ok, false);
  const locked = await auth.login('admin', 'device-pass-1', '10.0.0.5');
  t.false(locked.ok);
  if (!locked.ok) {
    t.is(locked.error.code, 'E_LOCKED_OUT');
    t.is(locked.retryAfterSeconds, 300);
  }
  t.true((await auth.login('admin', 'device-pass-1', '10.0.0.6')).ok, 'another address is not locked out by the attacker');
  clock.advance(299_000);
  t.false((await auth.login('admin', 'device-pass-1', '10.0.0.5')).ok);
  clock.advance(2_000);
  t.true((await auth.login('admin', 'device-pass-1', '10.0.0.5')).ok);
});

test('issue 10 §6: 20 failures from one address over several logins lock the address', async (t) => {
  const { auth, clock } = setup();
  for (let i = 0; i < 20; i++) await auth.login(`user${i % 4}.x`, 'guess', '10.0.0.7');
  const r = await auth.login('elodie.le-gall', '601', '10.0.0.7');
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'E_LOCKED_OUT');
  clock.advance(300_001);
  t.true((await auth.login('elodie.le-gall', '601', '10.0.0.7')).ok);
});

test('issue 10 §6: sessions expire after 30 min idle and 12 h in all; logout ends one', async (t) => {
  const { auth, clock } = setup();
  const open = async () => {
    const r = await auth.login('admin', 'device-pass-1', '10.0.0.8');
    if (!r.ok) throw r.error;
    return r.session.id;
  };
  const idle = await open();
  clock.advance(30 * 60_000 + 1);
  t.is(auth.session(idle), undefined);
  const busy = await open();
  for (let i = 0; i < 25; i++) {
    clock.advance(29 * 60_000);
    if (i < 24) t.truthy(auth.session(busy), `still open after ${(i + 1) * 29} min of activity`);
  }
  t.is(auth.session(busy), undefined, 'ended after 12 h even though active');
  const out = await open();
  auth.logout(out);
  t.is(auth.session(out), undefined);
  t.is(auth.session('forged-cookie'), undefined);
});

test('issue 10 §6: scrypt hashes verify, reject a wrong password and a malformed hash; weak passwords are named', async (t) => {
  const h = await hashPassword('Un-Bon-Mot-7');
  t.regex(h, /^scrypt\$16384\$8\$1\$/);
  t.true(await verifyPassword('Un-Bon-Mot-7', h));
  t.false(await verifyPassword('un-bon-mot-7', h));
  t.false(await verifyPassword('x', 'scrypt$3$8$1$AA==$AA=='));
  t.false(await verifyPassword('x', 'md5$abc'));
  t.not(await hashPassword('Un-Bon-Mot-7'), h, 'a new salt every time');
  t.is(passwordProblem('short'), 'at least 8 characters');
  t.is(passwordProblem('12345678'), 'not only digits');
  t.is(passwordProblem('Elodie.Le-Gall', ['elodie.le-gall']), 'not your login, name or number');
  t.is(passwordProblem('Correct-Horse-9'), undefined);
});
