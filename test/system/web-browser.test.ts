// The admin and user web pages (issue 10, WEB-1..WEB-7) in a real browser
// (headless Chromium through playwright-core) against the real runtime on the
// simulated board. What the pages do is checked where it lands: the
// configuration file of the store. Screenshots go to test/artifacts/web/.
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';
import { descendants, RuntimeProcess } from '../helpers/runtime-process.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

const SHOTS = path.join(ROOT, 'test/artifacts/web');
const CHROMIUM = '/usr/bin/chromium';
const HOSTILE = '<img src=x onerror=alert(1)>';

interface Box {
  rt: RuntimeProcess;
  base: string;
  dataDir: string;
  adminPassword: string;
}

/** The runtime on the sim board with three phones: 601, 602 (no DID) and 412 (DID 0145678912). */
async function startBox(t: ExecutionContext): Promise<Box> {
  const dataDir = tmpDir(t, 'web-browser');
  const rt = new RuntimeProcess(t, ['--board', 'sim', '--data-dir', dataDir, '--sip-port', '0', '--http-port', '0']);
  const boot = await rt.ready();
  const port = Number(/admin web: http:\/\/127\.0\.0\.1:(\d+)\//.exec(boot)?.[1]);
  t.true(port > 0, boot);
  const pw = /password:\s*(\S+)/.exec(await rt.command('admin-password'))?.[1];
  t.truthy(pw, 'admin-password prints the device password');
  for (const line of ['phone add 00:08:5d:00:00:01', 'phone add 00:08:5d:00:00:02', 'phone add 00:08:5d:00:00:03 0145678912'])
    t.regex(await rt.command(line), /phone added: internal number \d{3}/);
  return { rt, base: `http://127.0.0.1:${port}`, dataDir, adminPassword: pw! };
}

async function launch(t: ExecutionContext): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(async () => {
    await browser.close().catch(() => undefined);
    // Whatever Chromium left behind (zygote, renderers) is ours: by PID only.
    for (const pid of descendants(process.pid)) {
      try {
        if (/chrom/i.test(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'))) process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  });
  return browser;
}

/** A page that fails the test on any script error and counts dialogs (an injected alert would open one). */
async function openPage(t: ExecutionContext, browser: Browser, viewport = { width: 1200, height: 900 }): Promise<{ page: Page; dialogs: string[] }> {
  const context = await browser.newContext({ viewport, locale: 'fr-FR' });
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    // Our own delete confirmations are confirm(); anything else (alert) is an injection.
    void (d.type() === 'confirm' ? d.accept() : d.dismiss());
  });
  page.on('pageerror', (e) => t.fail(`script error in the page: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) t.fail(`CSP violation: ${m.text()}`);
  });
  return { page, dialogs };
}

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

function storedConfig(box: Box): any {
  return JSON.parse(fs.readFileSync(path.join(box.dataDir, 'config.json'), 'utf8'));
}

/** Polls the stored configuration until `check` holds (the store writes atomically, right after the answer). */
async function storeHas(box: Box, check: (c: any) => boolean, what: string): Promise<any> {
  for (let i = 0; i < 50; i++) {
    const c = storedConfig(box);
    if (check(c)) return c;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the store never got ${what}:\n${JSON.stringify(storedConfig(box), null, 1).slice(0, 3000)}`);
}

async function login(page: Page, base: string, user: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('Identifiant', { exact: true }).fill(user);
  await page.getByLabel('Mot de passe', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

async function go(page: Page, base: string, route: string): Promise<void> {
  await page.goto(`${base}/#/${route}`);
  await page.locator('main .page').waitFor();
}

/** The REST API as the admin (for set-up the test does not drive through the pages). */
async function adminApi(box: Box): Promise<(name: string, args?: unknown) => Promise<any>> {
  const res = await fetch(`${box.base}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: box.adminPassword }) });
  const s = (await res.json()) as { csrfToken: string };
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  return async (name, args = {}) => {
    const r = await fetch(`${box.base}/api/v1/${name.split(' ').join('/')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken, Cookie: cookie },
      body: JSON.stringify(args),
    });
    const body = (await r.json()) as { result?: unknown; error?: { message: string } };
    if (!r.ok) throw new Error(`${name}: ${body.error?.message}`);
    return body.result;
  };
}

/** 0.5 s of a 440 Hz tone, 8 kHz 16-bit mono PCM: a WAV the box accepts (VOX-3). */
function smallWav(): Buffer {
  const n = 4000;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** Not an MP3 decoder's delight, but what a browser would send: ID3 tag then frame sync. */
function fakeMp3(): Buffer {
  return Buffer.concat([Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x0a', 'latin1'), Buffer.alloc(10), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(400, 0x55)]);
}

test.serial('WEB-2 admin web: sequential group, day/night schedule, WAV accepted and MP3 refused on the page, journal filter, mobile QR', async (t) => {
  t.timeout(60_000);
  const box = await startBox(t);
  const browser = await launch(t);
  const { page, dialogs } = await openPage(t, browser);

  await login(page, box.base, 'admin', 'not-the-password');
  await t.notThrowsAsync(page.locator('.msg.error', { hasText: 'Identifiant ou mot de passe incorrect' }).waitFor(), 'a wrong password is refused on the page');
  await login(page, box.base, 'admin', box.adminPassword);
  await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
  t.regex(await page.locator('main').innerText(), /0 sur 3/, 'phones registered / total (WEB-2 dashboard)');
  await shot(page, 'admin-dashboard');

  // Users and groups: a sequential group with two members, in ring order (GRP-1, GRP-3).
  await go(page, box.base, 'users/groups');
  await page.getByRole('button', { name: /créer un groupement/i }).click();
  const gf = page.locator('form.group-form');
  await gf.getByLabel('Nom', { exact: true }).fill('Commercial');
  await gf.getByLabel('Type de sonnerie').selectOption('sequential');
  await gf.getByLabel('Téléphone', { exact: true }).selectOption('602');
  await gf.getByRole('button', { name: 'Ajouter ce membre' }).click();
  await gf.getByLabel('Téléphone', { exact: true }).selectOption('412');
  await gf.getByRole('button', { name: 'Ajouter ce membre' }).click();
  await gf.getByRole('button', { name: 'Valider' }).click();
  await gf.locator('.msg.ok').waitFor();
  const afterGroup = await storeHas(box, (c) => c.groups.some((g: any) => g.name === 'Commercial'), 'the group');
  const group = afterGroup.groups.find((g: any) => g.name === 'Commercial');
  t.is(group.ringMode, 'sequential');
  t.is(group.internalNumber, '621', 'the first free group number');
  t.deepEqual(group.members, ['00:08:5d:00:00:02', '00:08:5d:00:00:03'], 'members in the order chosen (602 then 412)');
  await page.locator('table.groups tr[data-group="621"]').waitFor();
  await shot(page, 'admin-users-groups');
  for (const tab of ['list', 'association', 'restrictions']) {
    await go(page, box.base, `users/${tab}`);
    await shot(page, `admin-users-${tab}`);
  }
  t.is(await page.locator('table.profiles tbody tr').count(), 10, 'the ten restriction profiles (RES-2)');

  // Reception: day/night schedule of the new group, weekdays 08:30-12:00 and 14:00-18:00 (GRP-5).
  await go(page, box.base, 'reception');
  const sf = page.locator('form.schedule-form');
  await sf.getByLabel('Numéro concerné').selectOption('621');
  await sf.getByLabel('Destination de nuit').fill('voicemail');
  const slot1 = sf.locator('fieldset.slot').nth(0);
  await slot1.getByLabel('De').fill('08:30');
  await slot1.getByLabel('À').fill('12:00');
  await sf.getByRole('button', { name: 'Ajouter une plage' }).click();
  const slot2 = sf.locator('fieldset.slot').nth(1);
  await slot2.getByLabel('De').fill('14:00');
  await slot2.getByLabel('À').fill('18:00');
  await slot2.getByLabel('ven').uncheck();
  await sf.getByRole('button', { name: 'Valider' }).click();
  await sf.locator('.msg.ok').waitFor();
  const sched = (await storeHas(box, (c) => c.schedules.length === 1, 'the schedule')).schedules[0];
  t.like(sched, { target: '621', enabled: true, nightDestination: 'voicemail' });
  t.deepEqual(sched.daySlots, [
    { days: [1, 2, 3, 4, 5], from: '08:30', to: '12:00' },
    { days: [1, 2, 3, 4], from: '14:00', to: '18:00' },
  ]);

  // Hold music: a WAV is accepted (VOX-3) ...
  const hold = page.locator('section.card', { has: page.getByRole('heading', { name: /musique d.attente/i }) });
  await hold.getByLabel('Fichier audio (WAV ou G.729)').setInputFiles({ name: 'musique.wav', mimeType: 'audio/wav', buffer: smallWav() });
  await hold.getByRole('button', { name: 'Envoyer le fichier' }).click();
  await t.notThrowsAsync(hold.locator('.msg.ok', { hasText: 'Fichier chargé' }).waitFor());
  t.is((await storeHas(box, (c) => c.announcements.holdMusic !== undefined, 'the hold music')).announcements.holdMusic, 'hold-music.wav');
  await t.notThrowsAsync(hold.getByText('Fichier actuel : hold-music.wav').waitFor(), 'the page shows the new file');
  // ... an MP3 is refused with the message next to the form, and nothing changes.
  const pre = page.locator('section.card', { has: page.getByRole('heading', { name: /pré-décroché/i }) });
  await pre.getByLabel('Fichier audio (WAV ou G.729)').setInputFiles({ name: 'accueil.mp3', mimeType: 'audio/mpeg', buffer: fakeMp3() });
  await pre.getByRole('button', { name: 'Envoyer le fichier' }).click();
  const refusal = pre.locator('form.upload .msg.error');
  await refusal.waitFor();
  t.regex(await refusal.innerText(), /Format de fichier refusé : seuls les fichiers WAV ou G\.729 sont acceptés/);
  t.is(await refusal.getAttribute('role'), 'alert');
  t.is(storedConfig(box).announcements.preAnswer.file, undefined, 'a refused file stores nothing');
  await shot(page, 'admin-reception');

  // Journal with a filter (LOG-1): the request carries it, the count is shown.
  await go(page, box.base, 'journal');
  await page.getByLabel('Téléphone', { exact: true }).selectOption('601');
  await page.getByLabel("Type d\u2019appel").selectOption('missed');
  await page.getByLabel('Par page').selectOption('20');
  const [resp] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/v1/journal/search?')), page.getByRole('button', { name: 'Rechercher' }).click()]);
  const q = new URL(resp.url()).searchParams;
  t.deepEqual([q.get('phone'), q.get('kind'), q.get('pageSize')], ['601', 'missed', '20']);
  t.is(resp.status(), 200);
  await t.notThrowsAsync(page.locator('.count', { hasText: '0 appel(s)' }).waitFor());
  await shot(page, 'admin-journal');
  await page.emulateMedia({ media: 'print' });
  t.false(await page.locator('form.filters').isVisible(), 'the print view hides the filters');
  await shot(page, 'admin-journal-print');
  await page.emulateMedia({ media: 'screen' });

  // Mobile application (WEB-7): enable, the QR code is an image from a data: URL, revoke.
  await go(page, box.base, 'mobile');
  await page.getByLabel('Téléphone', { exact: true }).selectOption('601');
  await page.getByRole('button', { name: 'Activer' }).click();
  const qr = page.getByRole('img', { name: /QR code/ });
  await qr.waitFor();
  t.regex((await qr.getAttribute('src')) ?? '', /^data:image\/svg\+xml;base64,/);
  t.truthy((await storeHas(box, (c) => c.phones.some((p: any) => p.mobile), 'the mobile account')).phones.find((p: any) => p.internalNumber === '601').mobile);
  await shot(page, 'admin-mobile');
  await page.getByRole('button', { name: 'révoquer' }).click();
  await storeHas(box, (c) => !c.phones.some((p: any) => p.mobile), 'the revocation');

  for (const p of ['directory', 'settings', 'phone/601']) {
    await go(page, box.base, p);
    await shot(page, `admin-${p.replace('/', '-')}`);
  }
  t.deepEqual(dialogs, ['Révoquer le compte mobile du 601 ? L\u2019application sera déconnectée.'], 'only our own confirmation opened a dialog');
});

test.serial('WEB-5, WEB-6 user web: named by the admin page, forced password change, forward and screen keys stored', async (t) => {
  t.timeout(60_000);
  const box = await startBox(t);
  const browser = await launch(t);
  const { page, dialogs } = await openPage(t, browser);

  // The admin names phone 601 on its record (WEB-4 general tab): it then has a user web (WEB-5).
  await login(page, box.base, 'admin', box.adminPassword);
  await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
  await go(page, box.base, 'users/list');
  await page.getByRole('link', { name: 'modifier 601' }).click();
  const general = page.locator('form.general-form');
  await general.getByLabel('Nom', { exact: true }).fill('Martin');
  await general.getByLabel('Prénom').fill('Claire');
  await general.getByRole('button', { name: 'Valider' }).click();
  await general.locator('.msg.ok').waitFor();
  await t.notThrowsAsync(page.getByText('Identifiant web utilisateur : Claire.Martin').waitFor());
  await storeHas(box, (c) => c.phones.some((p: any) => p.firstName === 'Claire' && p.lastName === 'Martin'), 'the name');
  await shot(page, 'admin-phone-record');
  await page.getByRole('button', { name: 'Déconnexion' }).click();

  // First login with the internal number: everything waits for a new password.
  await login(page, box.base, 'Claire.Martin', '601');
  await page.getByRole('heading', { name: 'Changement du mot de passe' }).waitFor();
  t.is(await page.locator('nav a').count(), 0, 'no menu before the password is changed');
  await shot(page, 'user-forced-password');
  await page.getByLabel('Mot de passe actuel').fill('601');
  await page.getByLabel(/^Nouveau mot de passe/).fill('court');
  await page.getByLabel('Confirmer le nouveau mot de passe').fill('court');
  await page.getByRole('button', { name: 'Valider' }).click();
  await t.notThrowsAsync(page.locator('.msg.error', { hasText: 'Mot de passe refusé' }).waitFor(), 'a weak password is refused with the box message');
  await page.getByLabel(/^Nouveau mot de passe/).fill('Bonjour-Claire-26');
  await page.getByLabel('Confirmer le nouveau mot de passe').fill('Bonjour-Claire-26');
  await page.getByRole('button', { name: 'Valider' }).click();
  await page.getByRole('heading', { name: /tableau de bord – Claire Martin/i }).waitFor();
  t.truthy((await storeHas(box, (c) => c.phones.find((p: any) => p.internalNumber === '601').userPasswordHash, 'the password hash')).phones);
  await shot(page, 'user-dashboard');

  // My forwards: unconditional to 602 (FWD-1).
  await go(page, box.base, 'forwards');
  const unc = page.locator('fieldset[data-kind="unconditional"]');
  await unc.getByLabel('Activé').check();
  await unc.getByLabel(/^Destination/).fill('602');
  await page.getByRole('button', { name: 'Valider' }).click();
  await page.locator('form.forwards-form .msg.ok').waitFor();
  const fwd = (await storeHas(box, (c) => c.phones.find((p: any) => p.internalNumber === '601').forwards.unconditional.enabled, 'the forward')).phones.find((p: any) => p.internalNumber === '601').forwards;
  t.deepEqual(fwd.unconditional, { enabled: true, destination: '602' });
  // A forward the box refuses shows its reason next to the form.
  await page.locator('fieldset[data-kind="busy"]').getByLabel('Activé').check();
  await page.locator('fieldset[data-kind="busy"]').getByLabel(/^Destination/).fill('601');
  await page.getByRole('button', { name: 'Valider' }).click();
  await t.notThrowsAsync(page.locator('form.forwards-form .msg.error', { hasText: /Non autorisé|Données incorrectes/ }).waitFor(), 'forwarding to oneself is refused');
  await shot(page, 'user-forwards');

  // My screen keys: a supervision key on screen 1, a speed dial on screen 2 (KEY-1).
  await go(page, box.base, 'keys');
  const k1 = page.locator('fieldset.key[data-position="1"]');
  await k1.getByLabel('Fonction').selectOption('supervision');
  await k1.getByLabel('Numéro').fill('602');
  await k1.getByLabel('Libellé').fill('Accueil');
  await page.getByRole('tab', { name: 'Écran 2' }).click();
  const k11 = page.locator('fieldset.key[data-position="11"]');
  await k11.getByLabel('Fonction').selectOption('speed-dial');
  await k11.getByLabel('Numéro').fill('0612345678');
  await k11.getByLabel('Libellé').fill('Mobile');
  await page.getByRole('button', { name: 'Valider' }).click();
  await page.locator('form.keys-form .msg.ok').waitFor();
  const keys = (await storeHas(box, (c) => c.phones.find((p: any) => p.internalNumber === '601').screenKeys.length === 2, 'the keys')).phones.find((p: any) => p.internalNumber === '601').screenKeys;
  t.deepEqual(keys, [
    { position: 1, kind: 'supervision', target: '602', label: 'Accueil' },
    { position: 11, kind: 'speed-dial', target: '0612345678', label: 'Mobile' },
  ]);
  await shot(page, 'user-keys');

  for (const p of ['calls', 'contacts', 'settings', 'voicemail', 'codes']) {
    await go(page, box.base, p);
    await shot(page, `user-${p}`);
  }
  t.true((await page.locator('table.codes tbody tr').count()) > 20, 'the feature-code memo');

  // Phone-sized screen: the menu collapses behind a button.
  await page.setViewportSize({ width: 375, height: 740 });
  await go(page, box.base, 'dashboard');
  t.false(await page.locator('nav#nav').isVisible(), 'the menu is folded on a small screen');
  await page.getByRole('button', { name: 'Menu' }).click();
  t.true(await page.getByRole('link', { name: 'mes renvois' }).isVisible());
  await shot(page, 'user-mobile-menu');
  // English on the language switch, remembered.
  await page.getByLabel('Langue').selectOption('en');
  await page.getByRole('heading', { name: /dashboard/i }).waitFor();
  t.is(await page.evaluate(() => localStorage.getItem('pbxgate.lang')), 'en');
  t.deepEqual(dialogs, []);
});

test.serial('WEB-3 hostile names are shown as text on every page that lists them, no script runs', async (t) => {
  t.timeout(60_000);
  const box = await startBox(t);
  const api = await adminApi(box);
  await api('phone update', { phone: '602', firstName: HOSTILE, lastName: '<script>alert(2)</script>' });
  await api('phone update', { phone: '601', firstName: 'Paul', lastName: 'Durand' });
  await api('directory add', { name: `${HOSTILE}"'&`, number: '0140000000', speedDial: '700' });
  await api('group add', { name: '<b onmouseover=alert(3)>Vente</b>', ringMode: 'simultaneous', members: ['602'] });
  const browser = await launch(t);
  const { page, dialogs } = await openPage(t, browser);
  await login(page, box.base, 'admin', box.adminPassword);
  await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();

  await go(page, box.base, 'users/list');
  const row = page.locator('table.phones tr[data-phone="602"]');
  t.is(await row.locator('td').nth(3).innerText(), HOSTILE, 'the first name cell holds the text');
  t.is(await row.locator('td').nth(2).innerText(), '<script>alert(2)</script>');
  await shot(page, 'xss-users');
  await go(page, box.base, 'users/groups');
  t.true((await page.locator('table.groups').innerText()).includes('<b onmouseover=alert(3)>Vente</b>'));
  await page.locator('table.groups td:has-text("Vente")').first().hover();
  await go(page, box.base, 'directory');
  t.true((await page.locator('table.directory').innerText()).includes(`${HOSTILE}"'&`));
  await go(page, box.base, 'journal');
  t.true(((await page.getByLabel('Téléphone', { exact: true }).textContent()) ?? '').includes(HOSTILE), 'the phone filter lists the name as text');
  await go(page, box.base, 'mobile');
  await go(page, box.base, 'phone/602');
  t.is(await page.locator('form.general-form').getByLabel('Prénom').inputValue(), HOSTILE);
  await shot(page, 'xss-phone-record');

  // The user web of Paul Durand lists the directory and the other phones too.
  await page.getByRole('button', { name: 'Déconnexion' }).click();
  await login(page, box.base, 'Paul.Durand', '601');
  await page.getByLabel('Mot de passe actuel').fill('601');
  await page.getByLabel(/^Nouveau mot de passe/).fill('Paul-Durand-2026');
  await page.getByLabel('Confirmer le nouveau mot de passe').fill('Paul-Durand-2026');
  await page.getByRole('button', { name: 'Valider' }).click();
  await page.getByRole('heading', { name: /tableau de bord – Paul Durand/i }).waitFor();
  await go(page, box.base, 'contacts');
  t.true((await page.locator('table.directory').innerText()).includes(HOSTILE));
  await go(page, box.base, 'keys');
  await shot(page, 'xss-user-contacts-keys');

  // No element came out of the data: no <img>, <script> or <b> anywhere in the page's main area.
  t.is(await page.locator('main img, main script, main b').count(), 0);
  t.deepEqual(dialogs, [], 'no alert() ran');
});
