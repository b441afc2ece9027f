import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../firmware/core/clock.ts';
import { LogRegistry } from '../../../firmware/core/logger.ts';
import { ConfigStore } from '../../../firmware/config/index.ts';
import { CommandRegistry } from '../../../firmware/api/index.ts';
import { registerPhoneCommands } from '../../../firmware/pbx/phone-commands.ts';

function setup(t: import('ava').ExecutionContext) {
  const dir = mkdtempSync(join(tmpdir(), 'phone-cmd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const config = new ConfigStore(dir, clock, new LogRegistry({ level: 'silent' }).get('config'));
  config.load();
  const registry = new CommandRegistry();
  registerPhoneCommands(registry, config, clock);
  return { config, registry };
}

test('RES-3, NUM-2: a phone added with a DID is 4 + its last two digits, all calls allowed, presents its DID', async (t) => {
  const { config, registry } = setup(t);
  const r = await registry.invoke('phone add', { mac: '00-08-5D-12-34-56', did: '0577110078' }, { role: 'technician' });
  t.true(r.ok, r.ok ? '' : r.message);
  const p = config.get().phones[0]!;
  t.like(p, { mac: '00:08:5d:12:34:56', internalNumber: '478', did: '0577110078', restrictionProfile: 10, forwardRestrictionProfile: 10, presentedIdentity: 'did' });
  t.like(p.forwards.noAnswer, { enabled: true, destination: 'voicemail' }, 'FWD-1 default: no answer goes to voicemail');
  t.true(p.sip.password.length >= 12);
});

test('RES-3, NUM-3: phones without DID get 601, 602... and profile 1 (emergency, free and service numbers)', async (t) => {
  const { config, registry } = setup(t);
  for (const mac of ['00:08:5d:00:00:01', '00:08:5d:00:00:02']) t.true((await registry.invoke('phone add', { mac }, { role: 'technician' })).ok);
  t.deepEqual(
    config.get().phones.map((p) => [p.internalNumber, p.restrictionProfile, p.forwardRestrictionProfile, p.presentedIdentity]),
    [
      ['601', 1, 1, 'main'],
      ['602', 1, 1, 'main'],
    ],
  );
  const again = await registry.invoke('phone add', { mac: '00:08:5d:00:00:01' }, { role: 'technician' });
  t.like(again, { ok: false, code: 'E_BAD_ARGUMENTS' });
  t.is(config.get().phones.length, 2, 'a refused add stores nothing');
});
