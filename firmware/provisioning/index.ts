export * from './generators.ts';
export { ProvisioningHandler, isLanAddress, MAX_URL_LENGTH, type ProvisioningDeps, type ProvisioningResponse } from './handler.ts';
export { parseUserAgent, familyOfModel, aastraKeyName, yealinkKeyName, type PhoneFamily, type UserAgentInfo } from './models.ts';
export { ProvisioningValueError, cleanText } from './text.ts';
