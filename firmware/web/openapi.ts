import { z } from 'zod';
import { ERROR_CODES } from '../core/errors.ts';
import type { AnyCommand, CommandRegistry } from '../api/registry.ts';

/** "phone update" -> "phone/update", "admin-password reset" -> "admin-password/reset". */
export function commandPath(name: string): string {
  return name.split(' ').join('/');
}

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; [k: string]: unknown };

const schemaCache = new WeakMap<AnyCommand, JsonSchema>();

/** The JSON Schema of a command's arguments, as the client sends them (zod 4 toJSONSchema). */
export function argsSchema(command: AnyCommand): JsonSchema {
  let s = schemaCache.get(command);
  if (!s) {
    // Transforms (MAC normalisation) have no JSON Schema form: documented as their input type.
    s = z.toJSONSchema(command.args, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    delete s.$schema;
    schemaCache.set(command, s);
  }
  return s;
}

/**
 * GET arguments come as strings: numbers and booleans are converted where
 * the command's schema wants them, so one schema validates both verbs.
 */
export function queryToArgs(command: AnyCommand, query: Record<string, string | string[]>): Record<string, unknown> {
  const props = argsSchema(command).properties ?? {};
  const out: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(query)) {
    const v = Array.isArray(raw) ? raw[raw.length - 1]! : raw;
    const t = props[k]?.type;
    const types = Array.isArray(t) ? t : t ? [t] : [];
    if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(v)) out[k] = Number(v);
    else if (types.includes('boolean') && (v === 'true' || v === 'false')) out[k] = v === 'true';
    else out[k] = v;
  }
  return out;
}

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: Object.keys(ERROR_CODES) }, message: { type: 'string' } } } },
};

/** The OpenAPI 3.1 document of the box's REST API, served at /api/v1/openapi.json (issue 10 §1). */
export function openApiDocument(registry: CommandRegistry, version: string): unknown {
  const paths: Record<string, unknown> = {
    '/session': {
      post: {
        summary: 'log in (admin + device password, or Firstname.Lastname + user password); sets the session cookie',
        security: [],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['login', 'password'], properties: { login: { type: 'string' }, password: { type: 'string' } } } } } },
        responses: { '200': { description: 'role, login, csrfToken, mustChangePassword' }, '401': { description: 'E_LOGIN_FAILED' }, '429': { description: 'E_LOCKED_OUT' } },
      },
      get: { summary: 'the current session', responses: { '200': { description: 'role, login, csrfToken, mustChangePassword' }, '401': { description: 'E_UNAUTHORIZED' } } },
      delete: { summary: 'log out (X-CSRF-Token required)', responses: { '200': { description: 'logged out' } } },
    },
  };
  for (const c of registry.list()) {
    const roles = c.roles.filter((r) => r !== 'technician');
    if (roles.length === 0) continue;
    const schema = argsSchema(c);
    const common = {
      summary: c.summary,
      description: `Roles: ${roles.join(', ')}.${c.confirm ? ` Destructive: send "confirm": true (${c.confirm})` : ''}`,
      tags: [c.name.split(' ')[0]],
      responses: {
        '200': { description: 'done', content: { 'application/json': { schema: { type: 'object', properties: { result: {} } } } } },
        default: { description: 'a coded error', content: { 'application/json': { schema: errorBody } } },
      },
    };
    const item: Record<string, unknown> = {
      post: { ...common, operationId: c.name.replace(/[^a-z0-9]+/gi, '_'), requestBody: { required: false, content: { 'application/json': { schema } } } },
    };
    if (c.readOnly) {
      item.get = {
        ...common,
        operationId: `get_${c.name.replace(/[^a-z0-9]+/gi, '_')}`,
        parameters: Object.entries(schema.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: false, schema: s })),
      };
    }
    paths[`/${commandPath(c.name)}`] = item;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'pbxgate REST API', version, description: 'Generated from the command registry; see docs/web.md. State-changing requests need the X-CSRF-Token header of the session.' },
    servers: [{ url: '/api/v1' }],
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'pbxgate_session' } } },
    security: [{ session: [] }],
    paths,
  };
}
