import { z } from 'zod';
import type { ConfigStore } from '../config/store.ts';
import { defineCommand, fail, type CommandRegistry } from '../api/registry.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';

/**
 * The admin's own password (WEB-1): the per-device password works until the
 * admin chooses another; then only the chosen one (scrypt), until a
 * technician's `admin-password reset` gives a new device password.
 */
export function registerAccountCommands(registry: CommandRegistry, config: ConfigStore): void {
  registry.register(
    defineCommand({
      name: 'admin password',
      summary: 'change the admin web password (current and new)',
      args: z.strictObject({ current: z.string().min(1).max(128), new: z.string().max(128) }),
      roles: ['admin'],
      run: async (a) => {
        const admin = config.get().admin;
        const ok = admin.passwordHash ? await verifyPassword(a.current, admin.passwordHash) : a.current === admin.devicePassword;
        if (!ok) fail('E_WEAK_PASSWORD', 'the current password is wrong');
        const problem = passwordProblem(a.new, ['admin', admin.devicePassword]);
        if (problem) fail('E_WEAK_PASSWORD', `new password: ${problem}`);
        const hash = await hashPassword(a.new);
        const r = config.update((c) => void (c.admin.passwordHash = hash));
        if (!r.ok) throw r.error;
        return { changed: true };
      },
    }),
  );
}
