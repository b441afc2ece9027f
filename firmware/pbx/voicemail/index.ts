export * from './menus.ts';
export { MailboxStore, DEFAULT_LIMITS, type StoredMessage, type MailboxLimits } from './mailbox.ts';
export { VoiceSession, renderClips, type ClipSource, type VoiceSessionDeps } from './session.ts';
export { VoicemailService, BEEP, type VoicemailDeps, type VoicemailPort, type PromptSource } from './service.ts';
export { messageSummary } from './mwi.ts';
export { registerVoicemailCommands } from './commands.ts';
