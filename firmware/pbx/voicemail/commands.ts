import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import { defineCommand, fail, type CommandRegistry } from '../../api/index.ts';
import type { VoicemailService } from './service.ts';

const when = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const duration = (ms: number): string => `${Math.floor(ms / 60_000)}:${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}`;

/**
 * Console and API: the voicemail boxes (VOX-1). `voicemail` lists every
 * box with its counts; `voicemail <number>` a box's messages.
 */
export function registerVoicemailCommands(registry: CommandRegistry, config: () => Readonly<Config>, voicemail: VoicemailService): void {
  registry.register(
    defineCommand({
      name: 'voicemail',
      readOnly: true,
      summary: 'voicemail boxes and their messages: voicemail [internal number]',
      positional: ['number'],
      args: z.strictObject({ number: z.string().regex(/^\d{3}$/, 'an internal number').optional() }),
      roles: ['technician', 'admin'],
      run: ({ number }) => {
        const phones = config().phones.filter((p) => number === undefined || p.internalNumber === number);
        if (number !== undefined && phones.length === 0) fail('E_NOT_FOUND', `no phone ${number}`);
        return phones.map((p) => ({
          number: p.internalNumber,
          enabled: p.voicemail.enabled,
          ...voicemail.counts(p.mac),
          ...(number !== undefined ? { messages: voicemail.messages(p.mac) } : {}),
        }));
      },
      format: (boxes) =>
        boxes
          .map((b) => {
            const head = `${b.number}  ${b.enabled ? `${b.fresh} new, ${b.saved} saved` : 'voicemail off'}`;
            const lines = (b.messages ?? []).map((m) => `  ${when(m.receivedAt)}  from ${m.caller}  ${duration(m.durationMs)}  ${m.state}`);
            return [head, ...lines].join('\n');
          })
          .join('\n') || 'no phones',
    }),
  );
}
