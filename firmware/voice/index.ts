export * from './prompts.ts';
export * from './prompt-store.ts';
export * from './preloaded.ts';
