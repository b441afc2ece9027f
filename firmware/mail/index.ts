export {
  Outbox,
  OUTBOX_DIR,
  OUTBOX_CORRUPT_DIR,
  DEFAULT_MAX_JOBS,
  DEFAULT_MAX_BYTES,
  type MailJob,
  type MailJobInput,
  type MailJobState,
  type MailAttachmentInput,
  type StoredAttachment,
  type MetaValue,
  type OutboxOptions,
  type LoadResult,
} from './outbox.ts';
export {
  MailService,
  DEFAULT_RETRY_POLICY,
  nodemailerTransport,
  describeServer,
  describeError,
  classify,
  type SmtpSettings,
  type OutgoingMail,
  type MailTransport,
  type TransportFactory,
  type RetryPolicy,
  type MailServiceDeps,
  type MailState,
  type MailStatus,
} from './mailer.ts';
export { buildVoicemailMail, voicemailMailFor, voicemailMailForStored, type StoredVoicemail, voicemailAttachmentName, formatDuration, localTime, type VoicemailMessageInfo } from './voicemail-mail.ts';
export { registerMailCommands, formatMailStatus, type MailCommandTarget } from './commands.ts';
