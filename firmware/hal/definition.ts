import { z } from 'zod';
import { PbxError } from '../core/errors.ts';

export const LED_ROLES = ['power', 'internet', 'telephony', 'powerline'] as const;
export const BUTTON_ROLES = ['reset', 'pairing'] as const;
export const SERIAL_ROLES = ['modem', 'console'] as const;
export type LedRole = (typeof LED_ROLES)[number];
export type ButtonRole = (typeof BUTTON_ROLES)[number];
export type SerialRole = (typeof SERIAL_ROLES)[number];

const gpioLine = z.strictObject({
  /** sysfs GPIO number (Linux boards); absent on the simulated board. */
  gpio: z.int().min(0).max(4095).optional(),
  activeLow: z.boolean().default(false),
});

const serialLine = z.strictObject({
  /** Device path, "stdio" (console on the process's stdin/stdout) or "sim" (in-process). */
  path: z.string().min(1),
  baudRate: z.int().positive().default(115200),
});

const port = z.int().min(1).max(65535);

export const boardDefinitionSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    name: z.string().min(1),
    kind: z.enum(['sim', 'linux']),
    leds: z.partialRecord(z.enum(LED_ROLES), gpioLine),
    buttons: z.partialRecord(z.enum(BUTTON_ROLES), gpioLine),
    serial: z.partialRecord(z.enum(SERIAL_ROLES), serialLine),
    network: z.strictObject({
      /** Addresses SIP and HTTP listen on. */
      listen: z.array(z.string().min(1)).min(1),
      /** Address written in Via/Contact/SDP when listening on a wildcard. */
      advertise: z.string().min(1),
      interfaces: z.record(z.string(), z.string()).default({}),
    }),
    sip: z.strictObject({ port }),
    http: z.strictObject({ port: z.int().min(0).max(65535) }),
    rtp: z
      .strictObject({ portMin: port, portMax: port })
      .refine((r) => r.portMin < r.portMax && r.portMin % 2 === 0, 'portMin must be even and below portMax'),
    /** Where the config store lives (flash). Relative paths are relative to the working directory. */
    dataDir: z.string().min(1),
    watchdog: z.strictObject({ path: z.string().min(1) }).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.kind !== 'linux') return;
    for (const [group, lines] of [
      ['leds', b.leds],
      ['buttons', b.buttons],
    ] as const) {
      for (const [role, line] of Object.entries(lines)) {
        if (line?.gpio === undefined) {
          ctx.addIssue({ code: 'custom', path: [group, role, 'gpio'], message: 'a linux board needs a GPIO number' });
        }
      }
    }
  });

export type BoardDefinition = z.infer<typeof boardDefinitionSchema>;

/** Validates a parsed board file; the error names the offending field. */
export function parseBoardDefinition(raw: unknown, source: string): BoardDefinition {
  const r = boardDefinitionSchema.safeParse(raw);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const where = first && first.path.length > 0 ? first.path.join('.') : '(root)';
  throw new PbxError('E_BOARD_INVALID', `board ${source}: field ${where}: ${first?.message ?? 'invalid'}`);
}
