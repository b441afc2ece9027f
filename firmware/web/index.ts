export { buildWebApp, httpStatusOf, SESSION_COOKIE, type HttpPreHandler, type WebAppDeps } from './app.ts';
export { WebAuth, userLogin, findUserPhone, loginPart, DEFAULT_LOCKOUT, DEFAULT_SESSIONS, type WebSession, type LockoutPolicy, type SessionPolicy } from './auth.ts';
export { assetsFrom, assetsFromDir, findWebDir, loadWebAssets, type WebAssets } from './assets.ts';
export { openApiDocument, commandPath, argsSchema, queryToArgs } from './openapi.ts';
export { WebService, type WebServiceOptions } from './web-service.ts';
export { registerAccountCommands } from './account-commands.ts';
export { hashPassword, verifyPassword, passwordProblem } from './passwords.ts';
