import { z } from 'zod';
import { defineCommand, noArgs, type CommandRegistry } from '../api/index.ts';
import type { MailService, MailStatus } from './mailer.ts';

export type MailCommandTarget = Pick<MailService, 'status' | 'enqueue' | 'retryNow'>;

export function formatMailStatus(s: MailStatus): string {
  const lines = [
    `server: ${s.server ?? 'not configured (smtp.host is empty): e-mails wait in the outbox'}`,
    `state: ${s.state}`,
    `queued: ${s.queued}`,
    `refused (kept, retried every few hours): ${s.refused}`,
    `sent since start: ${s.sent}`,
  ];
  if (s.failing) lines.push(`failing: yes, ${s.failures} attempt(s) in a row${s.nextRetryInSeconds !== undefined ? `, next try in ${s.nextRetryInSeconds} s` : ''}`);
  else lines.push('failing: no');
  if (s.lastError !== undefined) lines.push(`last error: ${s.lastError} (${s.lastErrorAt ?? '?'})`);
  if (s.lastSentAt !== undefined) lines.push(`last sent: ${s.lastSentAt}`);
  lines.push(`outbox: ${s.outbox.jobs}/${s.outbox.maxJobs} e-mails, ${Math.ceil(s.outbox.bytes / 1024)}/${Math.floor(s.outbox.maxBytes / 1024)} KiB`);
  return lines.join('\n');
}

/**
 * `mail` (status), `mail test <address>` (queue a test e-mail), `mail retry`
 * (forget the back-off and send now). Technician console and admin API.
 */
export function registerMailCommands(registry: CommandRegistry, service: MailCommandTarget): void {
  registry.register(
    defineCommand({
      name: 'mail',
      readOnly: true,
      summary: 'show e-mail delivery: configured server, queued, failing with the last error, sent',
      args: noArgs,
      roles: ['technician', 'admin'],
      run: (): MailStatus => service.status(),
      format: formatMailStatus,
    }),
    defineCommand({
      name: 'mail test',
      summary: 'queue a test e-mail to an address (see `mail` for the outcome)',
      positional: ['address'],
      args: z.strictObject({ address: z.email('an e-mail address') }),
      roles: ['technician', 'admin'],
      run: ({ address }) => {
        const job = service.enqueue({
          to: address,
          subject: 'pbxgate : e-mail de test / test e-mail',
          text: [
            'Ceci est un e-mail de test envoyé par votre standard téléphonique pbxgate.',
            "Si vous le recevez, l'envoi des messages vocaux par e-mail fonctionne.",
            '',
            '--',
            '',
            'This is a test e-mail sent by your pbxgate phone system.',
            'If you receive it, voicemail-to-e-mail delivery works.',
            '',
          ].join('\n'),
          meta: { kind: 'test' },
        });
        return { queued: job.id, to: job.to };
      },
      format: (r) => `test e-mail ${r.queued} queued for ${r.to}; \`mail\` shows whether it went out`,
    }),
    defineCommand({
      name: 'mail retry',
      summary: 'retry every queued e-mail now (forgets the back-off)',
      args: noArgs,
      roles: ['technician', 'admin'],
      run: () => ({ jobs: service.retryNow() }),
      format: (r) => (r.jobs === 0 ? 'outbox empty: nothing to retry' : `retrying ${r.jobs} e-mail(s) now`),
    }),
  );
}
