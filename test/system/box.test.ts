/**
 * Issue 8 on the simulated board, through the real program and its console:
 * the modem supervisor follows the simulated coprocessor (DSL training,
 * line drop and recovery, powerline adapters), the LEDs follow the state
 * (GW-3), and the buttons act (GW-5): pairing opens powerline pairing, a
 * short press on reset reboots. The same checks run on the arm64 build under
 * QEMU in test/hil.
 */
import test from 'ava';
import { startPbx, makePhones, freePort, type PbxProcess } from '../support/pbx-process.ts';
import { registerFrom } from '../support/sipp.ts';

const phones = makePhones(1, 0);

/** Polls a console command until its answer matches. */
async function until(pbx: PbxProcess, command: string, re: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = await pbx.command(command);
  while (!re.test(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await pbx.command(command);
  }
  return last;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.serial('GW-2, GW-3: DSL trains to showtime and the internet LED lights; the line drops: the LED leaves "on" and the supervisor retrains; the line comes back: showtime and the LED again', async (t) => {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  t.regex(await until(pbx, 'dsl', /^state: showtime/), /^state: showtime since .*\nrate: down 18\.0 Mbit\/s, up 1\.0 Mbit\/s/);
  t.regex(await until(pbx, 'leds', /internet: on/), /^power: on \(running\)\ninternet: on /);
  t.regex(await pbx.command('status'), /dsl: showtime/);

  await pbx.command('sim modem drop');
  const down = await until(pbx, 'dsl', /^state: (down|idle|handshake|training)/);
  t.regex(down, /^state: (down|idle|handshake|training)/);
  t.notRegex(await until(pbx, 'leds', /internet: (off|slow|fast)/), /internet: on/);
  // The supervisor retrains (first after 5 s); the line stays dead until recovered.
  t.regex(await until(pbx, 'dsl', /retrains: [1-9]/, 20_000), /retrains: [1-9]/);

  await pbx.command('sim modem recover');
  t.regex(await until(pbx, 'dsl', /^state: showtime/, 30_000), /^state: showtime/);
  t.regex(await until(pbx, 'leds', /internet: on/), /internet: on/);
});

test.serial('GW-3, GW-5: the pairing button opens powerline pairing (LED blinks fast), a new adapter joins (LED on); a phone registering lights the telephony LED; a short press on reset reboots', async (t) => {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  t.regex(await until(pbx, 'leds', /telephony: off/), /powerline: off/);

  await pbx.command('button pairing press');
  await sleep(100);
  await pbx.command('button pairing release');
  t.regex(await until(pbx, 'plc', /pairing: open/i), /pairing/i);
  t.regex(await until(pbx, 'leds', /powerline: fast/), /powerline: fast/);
  await pbx.command('sim modem plug 00:0b:3b:00:00:01 200');
  t.regex(await until(pbx, 'plc', /00:0b:3b:00:00:01/), /00:0b:3b:00:00:01.*200/);

  t.is(registerFrom(`127.0.0.1:${pbx.sipPort}`, phones[0]!, await freePort()).status, 0);
  t.regex(await until(pbx, 'leds', /telephony: on/), /telephony: on/);

  const before = pbx.stdout().length;
  await pbx.command('button reset press');
  await sleep(150);
  await pbx.command('button reset release');
  const deadline = Date.now() + 20_000;
  while (!pbx.stdout().slice(before).includes('rebooted on board') && Date.now() < deadline) await sleep(100);
  t.true(pbx.stdout().slice(before).includes('rebooted on board'), pbx.stdout().slice(before));
  t.regex(pbx.stderr(), /reboot requested.*reset button|reset button.*reboot requested/);
  const after = await until(pbx, 'leds', /last button gesture: reboot/);
  t.regex(after, /last button gesture: reboot \(reset button\)/);
  // After the reboot: the adapter is still there (powerline on), the phone must register again (telephony off).
  t.regex(after, /powerline: on/);
  t.regex(after, /telephony: off/);
});
