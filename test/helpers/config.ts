import { factoryDefaults, phoneSchema, type Config, type Phone } from '../../firmware/config/index.ts';

/** A valid phone record (NUM-3 numbering unless a DID is given). */
export function makePhone(n: number, extra: Partial<Phone> = {}): Phone {
  const hex = n.toString(16).padStart(2, '0');
  return {
    ...phoneSchema.parse({
      mac: `00:08:5d:00:00:${hex}`,
      model: 'Aastra 6731i',
      internalNumber: String(600 + n),
      sip: { username: `phone${n}`, password: `secret-secret-${n}` },
      restrictionProfile: 1,
      forwardRestrictionProfile: 1,
      installedAt: '2026-01-05T09:00:00.000Z',
    }),
    ...extra,
  };
}

/** Factory defaults (fixed password) with two phones: 601 (no DID) and 478 (DID 0577110078). */
export function sampleConfig(): Config {
  const c = structuredClone(factoryDefaults('device-pass-1')) as Config;
  c.phones = [makePhone(1), makePhone(2, { internalNumber: '478', did: '0577110078', restrictionProfile: 10, forwardRestrictionProfile: 10 })];
  c.company = { name: 'ACME', mainNumber: '0577110000', dids: ['0577110078', '0577110000'], companyNumber: '0577110000' };
  return c;
}
