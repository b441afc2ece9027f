import { NUMBERING, type Config } from '../config/index.ts';

/**
 * Internal number of a new phone (pure): NUM-2 "4" + the DID's last two
 * digits; NUM-3 the first free number 601..620 in installation order.
 * Returns an error text when the plan has no room or the 4xx number is taken.
 */
export function allocateInternalNumber(config: Readonly<Config>, did: string | undefined): { ok: true; number: string } | { ok: false; reason: string } {
  const used = new Set<string>([
    ...config.phones.map((p) => p.internalNumber),
    ...config.groups.map((g) => g.internalNumber),
    ...config.directory.flatMap((d) => (d.speedDial ? [d.speedDial] : [])),
  ]);
  if (did !== undefined) {
    const n = `4${did.slice(-2)}`;
    if (used.has(n)) return { ok: false, reason: `internal number ${n} (from the DID ${did}) is already used` };
    return { ok: true, number: n };
  }
  for (let n = NUMBERING.plainPhone.min; n <= NUMBERING.plainPhone.max; n++) {
    if (!used.has(String(n))) return { ok: true, number: String(n) };
  }
  return { ok: false, reason: `no free internal number left in ${NUMBERING.plainPhone.min}-${NUMBERING.plainPhone.max}` };
}
