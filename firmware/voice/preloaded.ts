import type { Logger } from '../core/logger.ts';
import type { Service } from '../core/service.ts';
import { PROMPT_IDS, type PromptLang } from './prompts.ts';
import { PromptStore, sayMessageSummary, sayNumber } from './prompt-store.ts';

/**
 * The prompt catalogue in memory, loaded once at start (a few MB), so the
 * voice dialogues get their audio synchronously: no await between a key
 * press and the prompt that answers it. Without a prompt directory (prompts
 * not built) it holds nothing and every prompt is reported missing.
 */
export class PreloadedPrompts implements Service {
  readonly name = 'prompts';
  private readonly loaded = new Map<string, Int16Array>();

  constructor(
    private readonly dir: string | null,
    private readonly log: Logger,
    readonly lang: PromptLang = 'fr',
  ) {}

  async start(): Promise<void> {
    if (this.loaded.size > 0) return;
    if (!this.dir) {
      this.log.warn({}, 'no voice prompts found (make prompts): the voice services play tones instead of words');
      return;
    }
    const store = new PromptStore(this.dir, {
      cache: false,
      onProblem: (p) => this.log.warn({ prompt: p.id, lang: p.lang, served: p.served }, p.message),
    });
    const started = Date.now();
    await Promise.all(
      PROMPT_IDS.map(async (id) => {
        const audio = await store.get(id, this.lang);
        if (audio.served !== 'beep') this.loaded.set(id, audio.samples);
      }),
    );
    this.log.info({ dir: this.dir, prompts: this.loaded.size, ms: Date.now() - started }, 'voice prompts loaded');
  }

  async stop(): Promise<void> {}

  prompt(id: string): Int16Array | undefined {
    return this.loaded.get(id);
  }

  numberIds(digits: string): string[] {
    return sayNumber(digits, this.lang);
  }

  summaryIds(fresh: number, saved: number): string[] {
    return sayMessageSummary(fresh, saved, this.lang);
  }
}
