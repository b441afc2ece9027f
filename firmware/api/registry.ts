import { z } from 'zod';
import { PbxError, isPbxError, type ErrorCode } from '../core/errors.ts';

/**
 * One typed command registry for every front end: the technician console,
 * the REST API and the tests call the same commands with the same argument
 * schemas, roles and error codes (baresip's `struct cmd`, ubus methods).
 */
export type Role = 'technician' | 'admin' | 'user';

export interface CommandContext {
  role: Role;
  /** For role 'user': the MAC of the phone whose user is logged in. */
  phone?: string;
}

export interface Command<Args extends z.ZodType = z.ZodType, Result = unknown> {
  /** Words as typed on the console: "status", "log level", "admin-password reset". */
  name: string;
  summary: string;
  /** Positional argument names, in console order ("log level <level> [namespace]"). */
  positional?: readonly string[];
  args: Args;
  roles: readonly Role[];
  /** Reads only: the REST API also answers it on GET, with the arguments in the query string. */
  readOnly?: boolean;
  /** Largest JSON body the REST API takes for it (uploads); 64 KiB when absent. */
  bodyLimit?: number;
  /** Destructive: the console asks for confirmation, the API needs confirm=true. */
  confirm?: string;
  run(args: z.infer<Args>, ctx: CommandContext): Result | Promise<Result>;
  /** Console rendering; defaults to JSON. */
  format?(result: Awaited<Result>): string;
}

export type AnyCommand = Command<z.ZodType, unknown>;

export function defineCommand<Args extends z.ZodType, Result>(c: Command<Args, Result>): Command<Args, Result> {
  return c;
}

export type CommandOutcome =
  | { ok: true; result: unknown; text: string }
  | { ok: false; code: ErrorCode; message: string };

export class CommandRegistry {
  private readonly commands = new Map<string, AnyCommand>();

  register(...commands: Array<Command<z.ZodType, unknown>>): void {
    for (const c of commands) {
      if (this.commands.has(c.name)) throw new Error(`command registered twice: ${c.name}`);
      this.commands.set(c.name, c);
    }
  }

  get(name: string): AnyCommand | undefined {
    return this.commands.get(name);
  }

  list(role?: Role): AnyCommand[] {
    return [...this.commands.values()].filter((c) => !role || c.roles.includes(role)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Finds the longest command name that prefixes the words; the rest are its
   * positional arguments.
   */
  resolve(words: readonly string[]): { command: AnyCommand; rest: string[] } | undefined {
    for (let n = Math.min(words.length, 4); n > 0; n--) {
      const c = this.commands.get(words.slice(0, n).join(' '));
      if (c) return { command: c, rest: words.slice(n) };
    }
    return undefined;
  }

  /** Runs a command with already-structured arguments (REST API, tests). */
  async invoke(name: string, rawArgs: unknown, ctx: CommandContext): Promise<CommandOutcome> {
    const c = this.commands.get(name);
    if (!c) return { ok: false, code: 'E_UNKNOWN_COMMAND', message: `unknown command: ${name}` };
    if (!c.roles.includes(ctx.role)) return { ok: false, code: 'E_NOT_FOUND', message: `unknown command: ${name}` };
    const parsed = c.args.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      const where = i && i.path.length ? `${i.path.join('.')}: ` : '';
      return { ok: false, code: 'E_BAD_ARGUMENTS', message: `${where}${i?.message ?? 'invalid arguments'}` };
    }
    if (c.confirm && (rawArgs as { confirm?: unknown } | undefined)?.confirm !== true)
      return { ok: false, code: 'E_CONFIRMATION_REQUIRED', message: c.confirm };
    try {
      const result = await c.run(parsed.data, ctx);
      const text = c.format ? c.format(result) : JSON.stringify(result, null, 2);
      return { ok: true, result, text };
    } catch (err) {
      if (isPbxError(err)) return { ok: false, code: err.code, message: err.message };
      return { ok: false, code: 'E_INTERNAL', message: (err as Error)?.message ?? String(err) };
    }
  }
}

/** Helper for command bodies: a clean, coded failure. */
export function fail(code: ErrorCode, message?: string): never {
  throw new PbxError(code, message);
}

/** Arguments schema of a command that takes none (accepts an optional confirm flag). */
export const noArgs = z.strictObject({ confirm: z.boolean().optional() });

/** Console usage line of a command: "log level <level> <namespace>". */
export function usage(name: string, positional: readonly string[]): string {
  return [name, ...positional.map((p) => `<${p}>`)].join(' ');
}
