import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { isPbxError } from '../../firmware/core/errors.ts';
import { embeddedBoardIds, loadBoardDefinition, parseBoardDefinition, type BoardDefinition } from '../../firmware/hal/index.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

function boardJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'board', file), 'utf8')) as Record<string, unknown>;
}

/** Loads a board written to a temp file and returns the error message (the test fails if it loads). */
function loadError(t: import('ava').ExecutionContext, content: string): string {
  const file = path.join(tmpDir(t, 'board'), 'board.json');
  fs.writeFileSync(file, content);
  const err = t.throws(() => loadBoardDefinition(file));
  t.true(isPbxError(err) && err.code === 'E_BOARD_INVALID', String(err));
  return err?.message ?? '';
}

test('GW-6: both embedded boards (sim, qemu-virt) are valid and match their JSON files', (t) => {
  t.deepEqual(embeddedBoardIds().sort(), ['qemu-virt', 'sim']);
  for (const id of embeddedBoardIds()) {
    const def: BoardDefinition = loadBoardDefinition(id);
    t.is(def.id, id);
    t.deepEqual(def, parseBoardDefinition(boardJson(`${id}.json`), id));
  }
});

test('GW-6: the sim board simulates every LED and button role, with the console on stdio', (t) => {
  const sim = loadBoardDefinition('sim');
  t.is(sim.kind, 'sim');
  t.deepEqual(Object.keys(sim.leds).sort(), ['internet', 'power', 'powerline', 'telephony']);
  t.deepEqual(Object.keys(sim.buttons).sort(), ['pairing', 'reset']);
  t.is(sim.serial.console?.path, 'stdio');
  t.is(sim.serial.console?.baudRate, 115200, 'defaults applied');
});

test('GW-6: qemu-virt gives every LED and button a GPIO line', (t) => {
  const q = loadBoardDefinition('qemu-virt');
  t.is(q.kind, 'linux');
  for (const line of [...Object.values(q.leds), ...Object.values(q.buttons)]) t.is(typeof line?.gpio, 'number');
  t.is(q.buttons.pairing?.activeLow, true);
  t.is(q.leds.power?.activeLow, false);
});

test('a board file by path loads like an embedded one', (t) => {
  const file = path.join(tmpDir(t, 'board'), 'custom.json');
  fs.writeFileSync(file, JSON.stringify({ ...boardJson('sim.json'), id: 'custom-sim', name: 'Custom' }));
  t.is(loadBoardDefinition(file).id, 'custom-sim');
});

test('a linux board without a GPIO number: the error names leds.power.gpio', (t) => {
  const b = boardJson('qemu-virt.json');
  b['leds'] = { ...(b['leds'] as object), power: {} };
  const msg = loadError(t, JSON.stringify(b));
  t.regex(msg, /field leds\.power\.gpio: a linux board needs a GPIO number/);
});

test('a wrong type: the error names the field (sip.port)', (t) => {
  const msg = loadError(t, JSON.stringify({ ...boardJson('sim.json'), sip: { port: 'five' } }));
  t.regex(msg, /field sip\.port: /);
});

test('an unknown LED role or stray key is refused, naming it', (t) => {
  const b = boardJson('sim.json');
  b['leds'] = { ...(b['leds'] as object), wifi: {} };
  t.regex(loadError(t, JSON.stringify(b)), /field leds: Unrecognized key: "wifi"/);
  t.regex(loadError(t, JSON.stringify({ ...boardJson('sim.json'), colour: 'blue' })), /field \(root\): Unrecognized key: "colour"/);
});

test('a GPIO number out of range: field leds.internet.gpio', (t) => {
  const b = boardJson('qemu-virt.json');
  b['leds'] = { ...(b['leds'] as object), internet: { gpio: 99999 } };
  t.regex(loadError(t, JSON.stringify(b)), /field leds\.internet\.gpio: /);
});

test('an odd RTP port range is refused (rtp)', (t) => {
  t.regex(loadError(t, JSON.stringify({ ...boardJson('sim.json'), rtp: { portMin: 20001, portMax: 20998 } })), /field rtp: portMin must be even/);
});

test('invalid JSON: the error says so and names the file', (t) => {
  const msg = loadError(t, '{ "id": "broken", ');
  t.regex(msg, /^board .*board\.json: not valid JSON/);
});

test('a JSON value that is not an object: field (root)', (t) => {
  t.regex(loadError(t, '[1, 2]'), /field \(root\)/);
});

test('a missing file that is no embedded board id: the error lists the embedded boards', (t) => {
  const err = t.throws(() => loadBoardDefinition('/nonexistent/board.json'));
  t.true(isPbxError(err) && err.code === 'E_BOARD_INVALID');
  t.regex(err?.message ?? '', /not an embedded board \(sim, qemu-virt\) and not a readable file \(ENOENT/);
});
