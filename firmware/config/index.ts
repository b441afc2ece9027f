export * from './schema.ts';
export { factoryDefaults, generateDevicePassword, defaultRestrictionProfiles } from './defaults.ts';
export { ConfigStore, CONFIG_FILE, type LoadReport, type UpdateResult, type ConfigSection } from './store.ts';
export { MIGRATIONS, migrate, type Migration } from './migrations.ts';
export { CallJournal, JOURNAL_PER_PHONE, type JournalEntry, type JournalFilter } from './journal.ts';
export { writeFileAtomic, writeBytesAtomic, readFileIfExists } from './atomic-file.ts';
