import { NUMBERING, type Config } from '../config/index.ts';

/**
 * Internal number of a new phone (pure): NUM-2 "4" + the DID's last two
 * digits; NUM-3 the first free number 601..620 in installation order.
 * Two DIDs ending alike (0577110078 and 0577220078): the second phone gets
 * the next free 4xx number after 478 (wrapping round to 400), and `note`
 * says so (docs/config.md "Numbering"). Returns an error text when the plan
 * has no room.
 */
export function allocateInternalNumber(
  config: Readonly<Config>,
  did: string | undefined,
): { ok: true; number: string; note?: string } | { ok: false; reason: string } {
  const used = new Set<string>([
    ...config.phones.map((p) => p.internalNumber),
    ...config.groups.map((g) => g.internalNumber),
    ...config.directory.flatMap((d) => (d.speedDial ? [d.speedDial] : [])),
  ]);
  if (did !== undefined) {
    const natural = `4${did.slice(-2)}`;
    if (!used.has(natural)) return { ok: true, number: natural };
    const { min, max } = NUMBERING.didPhone;
    const size = max - min + 1;
    for (let i = 1; i < size; i++) {
      const n = String(min + ((Number(natural) - min + i) % size));
      if (!used.has(n)) return { ok: true, number: n, note: `${natural} (from the DID ${did}) is already used: ${n} is the next free number` };
    }
    return { ok: false, reason: `no free internal number left in ${min}-${max} for the DID ${did}` };
  }
  for (let n = NUMBERING.plainPhone.min; n <= NUMBERING.plainPhone.max; n++) {
    if (!used.has(String(n))) return { ok: true, number: String(n) };
  }
  return { ok: false, reason: `no free internal number left in ${NUMBERING.plainPhone.min}-${NUMBERING.plainPhone.max}` };
}
