import type { Unsubscribe } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import { usage, type CommandRegistry } from '../api/registry.ts';
import type { SerialLine } from '../hal/board.ts';

export const MAX_LINE = 512;

export interface ConsoleOptions {
  prompt?: string;
  /** Echo typed characters back (a real serial terminal expects it; a cooked tty does not). */
  echo?: boolean;
  eol?: string;
  banner?: string;
}

/** Splits a console line into words; double quotes group words, backslash escapes. */
export function splitWords(line: string): { ok: true; words: string[] } | { ok: false; error: string } {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (ch === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && (ch === ' ' || ch === '\t')) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quoted) return { ok: false, error: 'unterminated quote' };
  if (inWord) words.push(cur);
  return { ok: true, words };
}

/**
 * The technician CLI (GW-5) on the board's console line. It turns each line
 * into a registry command; whatever arrives (garbage, overlong lines, failing
 * commands) gets a one-line error and the prompt back, never a crash.
 */
export class TechnicianConsole {
  private readonly prompt: string;
  private readonly eol: string;
  private buffer = '';
  private discarding = false;
  private pendingConfirm: { name: string; args: Record<string, unknown> } | undefined;
  private queue: Promise<void> = Promise.resolve();
  private unsubs: Unsubscribe[] = [];
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private lastWasCr = false;

  constructor(
    private readonly line: SerialLine,
    private readonly registry: CommandRegistry,
    private readonly log: Logger,
    private readonly options: ConsoleOptions = {},
  ) {
    this.prompt = options.prompt ?? 'pbxgate> ';
    this.eol = options.eol ?? '\n';
  }

  start(): void {
    this.unsubs.push(this.line.onData((chunk) => this.onBytes(chunk)));
    if (this.options.banner) this.write(this.options.banner + this.eol);
  }

  /** Prints the prompt (after the boot announcement, so it comes last). */
  showPrompt(): void {
    this.write(this.prompt);
  }

  stop(): void {
    for (const u of this.unsubs.splice(0)) u();
  }

  /** Resolves when every line received so far has been answered (tests). */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Writes an unsolicited message (alarms) on its own line, then the prompt again. */
  notify(text: string): void {
    this.write(`${this.eol}${text}${this.eol}${this.prompt}`);
  }

  private write(text: string): void {
    this.line.write(text).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'console write failed'));
  }

  private onBytes(chunk: Buffer): void {
    const text = this.decoder.decode(chunk, { stream: true });
    if (this.options.echo) this.write(text.replace(/\r(?!\n)/g, '\r\n'));
    for (const ch of text) {
      if (ch === '\n' || ch === '\r') {
        if (this.discarding) {
          this.discarding = false;
          this.buffer = '';
          this.enqueue(null);
        } else {
          const l = this.buffer;
          this.buffer = '';
          // A CRLF pair must not produce an extra empty command.
          if (ch === '\n' && this.lastWasCr && l === '') {
            this.lastWasCr = false;
            continue;
          }
          this.enqueue(l);
        }
        this.lastWasCr = ch === '\r';
        continue;
      }
      this.lastWasCr = false;
      if (this.discarding) continue;
      if (ch === '\x7f' || ch === '\b') {
        this.buffer = [...this.buffer].slice(0, -1).join('');
        continue;
      }
      if (ch === '\x03') {
        // Ctrl-C drops the line being typed.
        this.buffer = '';
        this.pendingConfirm = undefined;
        this.write(`${this.eol}${this.prompt}`);
        continue;
      }
      this.buffer += ch;
      if (this.buffer.length > MAX_LINE) {
        this.discarding = true;
        this.buffer = '';
      }
    }
  }

  /** null = an overlong line was dropped. */
  private enqueue(l: string | null): void {
    this.queue = this.queue
      .then(() => this.handle(l))
      .catch((err: unknown) => {
        this.log.error({ err: (err as Error)?.message }, 'console handler failed');
        this.write(`error E_INTERNAL: ${(err as Error)?.message ?? 'internal error'}${this.eol}${this.prompt}`);
      });
  }

  private async handle(raw: string | null): Promise<void> {
    const out = await this.execute(raw);
    // Multi-line answers end their lines like the terminal expects (CRLF on a serial line).
    this.write(out === '' ? this.prompt : `${out.replace(/\r?\n/g, this.eol)}${this.eol}${this.prompt}`);
  }

  /** One line in, the text to print out (without the prompt). */
  async execute(raw: string | null): Promise<string> {
    if (raw === null) return `error E_BAD_ARGUMENTS: line too long (max ${MAX_LINE} characters)`;
    const lineText = raw.trim();
    if (this.pendingConfirm) {
      const pending = this.pendingConfirm;
      this.pendingConfirm = undefined;
      if (lineText.toLowerCase() !== 'yes') return 'cancelled';
      return this.run(pending.name, { ...pending.args, confirm: true });
    }
    if (lineText === '' || lineText.startsWith('#')) return '';
    // Control characters other than tab mean line noise or a binary blob, not a command.
    if (/[\x00-\x08\x0b-\x1f\ufffd]/.test(lineText)) return 'error E_BAD_ARGUMENTS: unprintable characters in the line, ignored';
    const split = splitWords(lineText);
    if (!split.ok) return `error E_BAD_ARGUMENTS: ${split.error}`;
    const found = this.registry.resolve(split.words);
    if (!found) return `error E_UNKNOWN_COMMAND: unknown command "${split.words[0]}" (type help)`;
    const { command, rest } = found;
    const names = command.positional ?? [];
    if (rest.length > names.length)
      return `error E_BAD_ARGUMENTS: too many arguments for "${command.name}" (usage: ${usage(command.name, names)})`;
    const args: Record<string, unknown> = {};
    rest.forEach((w, i) => {
      args[names[i]!] = w;
    });
    return this.run(command.name, args);
  }

  private async run(name: string, args: Record<string, unknown>): Promise<string> {
    const outcome = await this.registry.invoke(name, args, { role: 'technician' });
    if (outcome.ok) return outcome.text;
    if (outcome.code === 'E_CONFIRMATION_REQUIRED') {
      this.pendingConfirm = { name, args };
      return `${outcome.message} Type "yes" to confirm:`;
    }
    const cmd = this.registry.get(name);
    const hint = outcome.code === 'E_BAD_ARGUMENTS' && cmd ? ` (usage: ${usage(cmd.name, cmd.positional ?? [])})` : '';
    return `error ${outcome.code}: ${outcome.message}${hint}`;
  }
}
