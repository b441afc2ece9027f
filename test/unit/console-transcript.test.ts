// Console transcripts (GW-5): lines typed on the technician console, and the
// exact text that comes back, prompt included.
import test from 'ava';
import { makePhones } from '../support/pbx-process.ts';
import { MAX_LINE, splitWords } from '../../firmware/console/index.ts';
import { consoleHarness, PROMPT } from '../helpers/console-harness.ts';

const HELP = [
  'admin-password                 show the admin web password of this box',
  'admin-password reset           give the admin web a new random device password, and show it',
  'button <role> <action>         press a button of the simulated board: button <role> press|release|click',
  'config show <path>             show the configuration, or one part of it (e.g. sip.registrar)',
  'factory-reset                  put the configuration back to factory defaults (new admin password)',
  'help                           list the commands',
  'journal <phone> <kind>         recent calls (kept in RAM, 20 per phone, LOG-2): journal [internal number] [missed|answered|emitted]',
  'led <role> <state>             show the LEDs, or set one on the simulated board (led <role> on|off)',
  'log level <level> <namespace>  show or set the log level (fatal|error|warn|info|debug|trace|silent), of all or of one namespace',
  'reboot                         restart the gateway cleanly',
  'status                         uptime, version, board, services, phones, links',
].join('\n');

test('GW-5 transcript: status', async (t) => {
  const c = consoleHarness(t);
  c.clock.advance((26 * 3600 + 3 * 60 + 4) * 1000);
  t.is(
    await c.type('status\n'),
    [
      'version: 9.8.7',
      'board: sim (Simulated board (runs on a PC))',
      'uptime: 1d 02:03:04',
      'services: config=running http=running(2 restarts)',
      'phones: 0 registered',
      PROMPT,
    ].join('\n'),
  );
});

test('GW-5 transcript: help lists every technician command with its usage', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('help\n'), `${HELP}\n${PROMPT}`);
});

test('transcript: an empty line or a comment gives the prompt back and nothing else', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('\n'), PROMPT);
  t.is(await c.type('   \t \n'), PROMPT);
  t.is(await c.type('# technician note\n'), PROMPT);
});

test('transcript: CRLF, lone CR and LF each end one line; CRLF never makes an extra empty command', async (t) => {
  const c = consoleHarness(t);
  const expected = await c.type('admin-password\n');
  t.regex(expected, /^login: admin\npassword: \w{12}\npbxgate> $/);
  t.is(await c.type('admin-password\r\n'), expected);
  t.is(await c.type('admin-password\r'), expected);
  t.is(await c.type('\n'), '', 'the LF of a CRLF split across two chunks ends no second line');
  t.is(await c.type('\n'), PROMPT, 'a further LF is an empty line');
});

test('transcript: CRLF split across chunks and several lines in one chunk', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('led power on\r'), `power: on\n${PROMPT}`);
  t.is(await c.type('\nled power off\r\nled power\r\n'), `power: off\n${PROMPT}power: off\n${PROMPT}`);
});

test('transcript: backspace (DEL or BS) erases the last character typed', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('led powwer\x7f\x7f\x7fer\n'), `power: off\n${PROMPT}`);
  t.is(await c.type('led x\bpower\n'), `power: off\n${PROMPT}`);
  t.is(await c.type('led x\b\bpower\n'), `error E_UNKNOWN_COMMAND: unknown command "ledpower" (type help)\n${PROMPT}`);
  t.is(await c.type('\x7f\x7f\x7f\n'), PROMPT, 'backspace on an empty line is harmless');
});

test('transcript: Ctrl-C drops the line being typed and gives a fresh prompt', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('factory-re\x03'), `\n${PROMPT}`);
  t.is(await c.type('set\n'), `error E_UNKNOWN_COMMAND: unknown command "set" (type help)\n${PROMPT}`);
  t.is(c.calls.afterFactoryReset, 0);
});

test('transcript: a line longer than the limit is refused as a whole; the next line works', async (t) => {
  const c = consoleHarness(t);
  const password = c.config.get().admin.devicePassword;
  t.is(await c.type(`${'x'.repeat(2000)}\n`), `error E_BAD_ARGUMENTS: line too long (max ${MAX_LINE} characters)\n${PROMPT}`);
  t.is(await c.type(`admin-password ${'y'.repeat(600)}\nadmin-password\n`), `error E_BAD_ARGUMENTS: line too long (max 512 characters)\n${PROMPT}login: admin\npassword: ${password}\n${PROMPT}`);
  // Exactly at the limit the line is read (and here is an unknown command).
  t.is(await c.type(`${'z'.repeat(MAX_LINE)}\n`), `error E_UNKNOWN_COMMAND: unknown command "${'z'.repeat(MAX_LINE)}" (type help)\n${PROMPT}`);
});

test('transcript: control characters, escape sequences and invalid UTF-8 are line noise, not commands', async (t) => {
  const c = consoleHarness(t);
  const noise = `error E_BAD_ARGUMENTS: unprintable characters in the line, ignored\n${PROMPT}`;
  t.is(await c.type('sta\x01tus\n'), noise);
  t.is(await c.type('\x1b[A\n'), noise, 'arrow up');
  t.is(await c.type(Buffer.from([0xff, 0xfe, 0x73, 0x0a])), noise);
  t.is(await c.type('\x00\x00\x00\n'), noise);
  t.is(await c.type('led\tpower\n'), `power: off\n${PROMPT}`, 'a tab separates words');
});

test('transcript: unknown command', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('dsl status\n'), `error E_UNKNOWN_COMMAND: unknown command "dsl" (type help)\n${PROMPT}`);
  t.is(await c.type('config\n'), `error E_UNKNOWN_COMMAND: unknown command "config" (type help)\n${PROMPT}`);
});

test('transcript: too many arguments, with the usage', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('status now\n'), `error E_BAD_ARGUMENTS: too many arguments for "status" (usage: status)\n${PROMPT}`);
  t.is(await c.type('led power on now\n'), `error E_BAD_ARGUMENTS: too many arguments for "led" (usage: led <role> <state>)\n${PROMPT}`);
});

test('transcript: a bad argument names it and shows the usage', async (t) => {
  const c = consoleHarness(t);
  t.is(
    await c.type('led blue on\n'),
    `error E_BAD_ARGUMENTS: role: Invalid option: expected one of "power"|"internet"|"telephony"|"powerline" (usage: led <role> <state>)\n${PROMPT}`,
  );
  t.is(
    await c.type('button reset\n'),
    `error E_BAD_ARGUMENTS: action: Invalid option: expected one of "press"|"release"|"click" (usage: button <role> <action>)\n${PROMPT}`,
  );
  t.is(
    await c.type('log level loud\n'),
    `error E_BAD_ARGUMENTS: level: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent" (usage: log level <level> <namespace>)\n${PROMPT}`,
  );
});

test('transcript: quotes group words; an unterminated quote is refused', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('config show "sip.timers"\n'), `{\n  "t1": 500,\n  "t2": 4000,\n  "t4": 5000\n}\n${PROMPT}`);
  t.is(await c.type('config show "sip.timers\n'), `error E_BAD_ARGUMENTS: unterminated quote\n${PROMPT}`);
  t.is(await c.type('config show "sip timers"\n'), `error E_NOT_FOUND: no configuration entry "sip timers"\n${PROMPT}`);
});

test('transcript: config show of a section, of one value, secrets masked, unknown path', async (t) => {
  const c = consoleHarness(t);
  t.is(
    await c.type('config show sip.registrar\n'),
    `{\n  "minExpires": 60,\n  "maxExpires": 3600,\n  "defaultExpires": 600,\n  "maxContactsPerPhone": 3,\n  "threads": "auto"\n}\n${PROMPT}`,
  );
  t.is(await c.type('config show capacity.maxExternalCalls\n'), `4\n${PROMPT}`);
  t.is(await c.type('config show admin\n'), `{\n  "devicePassword": "********"\n}\n${PROMPT}`);
  t.true(c.config.update((cfg) => void (cfg.trunk.password = 'operator-secret')).ok);
  t.is(await c.type('config show trunk.password\n'), `"********"\n${PROMPT}`, 'a path straight to a secret is masked');
  t.false((await c.type('config show trunk\n')).includes('operator-secret'));
  t.is(await c.type('config show phones.0\n'), `error E_NOT_FOUND: no configuration entry "phones.0"\n${PROMPT}`);
  t.is(await c.type('config show sip..t1\n'), `error E_NOT_FOUND: no configuration entry "sip..t1"\n${PROMPT}`);
  const whole = await c.type('config show\n');
  t.false(whole.includes(c.config.get().admin.devicePassword), 'the whole config shows no secret');
  t.true(whole.startsWith('{\n  "version": 2,'));
});

test('transcript: factory-reset asks for confirmation; anything but "yes" cancels', async (t) => {
  const c = consoleHarness(t);
  const before = c.config.get().admin.devicePassword;
  const question = `All configuration (phones, groups, forwards, trunk) will be erased. Type "yes" to confirm:\n${PROMPT}`;
  t.is(await c.type('factory-reset\n'), question);
  t.is(await c.type('no\n'), `cancelled\n${PROMPT}`);
  t.is(await c.type('factory-reset\n'), question);
  t.is(await c.type('\n'), `cancelled\n${PROMPT}`, 'an empty answer cancels too');
  t.is(c.config.get().admin.devicePassword, before);
  t.is(c.calls.afterFactoryReset, 0);

  t.is(await c.type('factory-reset\n'), question);
  const answer = await c.type('YES\n');
  const password = c.config.get().admin.devicePassword;
  t.not(password, before);
  t.is(answer, `configuration reset to factory defaults\nadmin password: ${password}\n${PROMPT}`);
  t.is(c.calls.afterFactoryReset, 1);
});

test('transcript: Ctrl-C at the confirmation question cancels it', async (t) => {
  const c = consoleHarness(t);
  await c.type('factory-reset\n');
  t.is(await c.type('\x03'), `\n${PROMPT}`);
  t.is(await c.type('yes\n'), `error E_UNKNOWN_COMMAND: unknown command "yes" (type help)\n${PROMPT}`);
  t.is(c.calls.afterFactoryReset, 0);
});

test('transcript: admin-password reset (WEB-1) confirms, then shows and stores a new password', async (t) => {
  const c = consoleHarness(t);
  const before = c.config.get().admin.devicePassword;
  t.is(await c.type('admin-password\n'), `login: admin\npassword: ${before}\n${PROMPT}`);
  t.is(await c.type('admin-password reset\n'), `The admin web password will be replaced. Type "yes" to confirm:\n${PROMPT}`);
  const out = await c.type('yes\n');
  const after = c.config.get().admin.devicePassword;
  t.not(after, before);
  t.is(out, `login: admin\npassword: ${after}\n${PROMPT}`);
});

test('transcript: admin-password when the administrator chose a password', async (t) => {
  const c = consoleHarness(t);
  t.true(c.config.update((cfg) => void (cfg.admin.passwordHash = 'scrypt$x')).ok);
  t.is(
    await c.type('admin-password\n'),
    `login: admin\npassword: changed by the administrator (use "admin-password reset" to go back to a device password)\n${PROMPT}`,
  );
});

test('transcript: led shows and (on the simulated board) sets LEDs', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('led\n'), `power: off\ninternet: off\ntelephony: off\npowerline: off\n${PROMPT}`);
  t.is(await c.type('led internet on\n'), `internet: on\n${PROMPT}`);
  t.true(c.board.leds.get('internet')?.isOn());
  t.is(await c.type('led internet\n'), `internet: on\n${PROMPT}`);
});

test('transcript: button reset click presses the simulated button for 200 ms (a real press, not bounce), then releases it', async (t) => {
  const c = consoleHarness(t);
  const edges: boolean[] = [];
  c.board.buttons.get('reset')?.onChange((p) => edges.push(p));
  t.is(await c.type('button reset click\n'), `reset: pressed for 200 ms\n${PROMPT}`);
  t.deepEqual(edges, [true]);
  c.clock.advance(200);
  t.deepEqual(edges, [true, false]);
  t.is(await c.type('button pairing press\n'), `pairing: pressed\n${PROMPT}`);
  t.is(await c.type('button pairing release\n'), `pairing: released\n${PROMPT}`);
});

test('transcript: log level shows and sets levels, for all or one namespace', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('log level\n'), `all: silent\nconfig: silent\nconsole: silent\n${PROMPT}`);
  t.is(await c.type('log level debug config\n'), `all: silent\nconfig: debug\nconsole: silent\n${PROMPT}`);
  t.is(await c.type('log level warn\n'), `all: warn\nconfig: warn\nconsole: warn\n${PROMPT}`);
});

test('transcript: reboot answers first, then reboots', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('reboot\n'), `rebooting...\n${PROMPT}`);
  t.is(c.calls.reboot, 1);
});

test('transcript: on a serial line (echo, CRLF) typed characters come back and every answer line ends in CRLF', async (t) => {
  const c = consoleHarness(t, { echo: true, eol: '\r\n' });
  const out = await c.type('status\r');
  t.is(
    out,
    [
      'status',
      'version: 9.8.7',
      'board: sim (Simulated board (runs on a PC))',
      'uptime: 0d 00:00:00',
      'services: config=running http=running(2 restarts)',
      'phones: 0 registered',
      PROMPT,
    ].join('\r\n'),
  );
});

test('console: a banner is written at start; notify() prints on its own line and re-prompts', async (t) => {
  const c = consoleHarness(t, { banner: 'pbxgate console', eol: '\n' });
  await c.type('');
  t.is(c.screen(), 'pbxgate console\n');
  c.console.notify('DSL link down');
  t.is(await c.type(''), `\nDSL link down\n${PROMPT}`);
});

test('splitWords: quotes, escapes, tabs', (t) => {
  t.deepEqual(splitWords('config show  "a b"\tc'), { ok: true, words: ['config', 'show', 'a b', 'c'] });
  t.deepEqual(splitWords('a\\ b \\"c'), { ok: true, words: ['a b', '"c'] });
  t.deepEqual(splitWords('""'), { ok: true, words: [''] });
  t.deepEqual(splitWords('"open'), { ok: false, error: 'unterminated quote' });
});

test('LOG-1, LOG-2 transcript: journal lists the calls kept in RAM, by phone and kind', async (t) => {
  const c = consoleHarness(t);
  t.is(await c.type('journal\n'), `no calls in the journal\n${PROMPT}`);
  const r = c.config.update((cfg) => {
    cfg.phones.push(...makePhones(2, 0));
  });
  t.true(r.ok);
  const [a, b] = c.config.get().phones;
  c.journal.add({ startedAt: Date.UTC(2026, 0, 5, 9, 0, 0), durationSeconds: 42, from: '601', to: '602', answeredBy: '602', direction: 'internal', outcome: 'answered', phones: [a!.mac, b!.mac], callerPhone: a!.mac });
  c.journal.add({ startedAt: Date.UTC(2026, 0, 5, 9, 5, 0), durationSeconds: 0, from: '602', to: '601', direction: 'internal', outcome: 'missed', phones: [a!.mac, b!.mac], callerPhone: b!.mac });
  t.is(
    await c.type('journal\n'),
    `2026-01-05 09:05:00  602 -> 601  missed  0s  internal\n2026-01-05 09:00:00  601 -> 602  answered by 602  42s  internal\n${PROMPT}`,
  );
  t.is(await c.type('journal 601 emitted\n'), `2026-01-05 09:00:00  601 -> 602  answered by 602  42s  internal\n${PROMPT}`);
  t.is(await c.type('journal 601 missed\n'), `2026-01-05 09:05:00  602 -> 601  missed  0s  internal\n${PROMPT}`);
  t.regex(await c.type('journal 699\n'), /^error E_NOT_FOUND: no phone 699/);
});
