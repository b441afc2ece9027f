// REST client of the box (issue 10): session cookie + CSRF header.
let csrf = '';

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const listeners = new Set();
/** Called with the ApiError on 401 / E_PASSWORD_CHANGE_REQUIRED so the app can switch screens. */
export function onAuthProblem(fn) {
  listeners.add(fn);
}

export const commandPath = (name) => '/api/v1/' + name.split(' ').map(encodeURIComponent).join('/');

async function send(method, url, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError('E_NETWORK', 'network error', 0);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok || (data && data.error)) {
    const e = data && data.error ? data.error : { code: res.status === 413 ? 'E_TOO_LARGE' : 'E_INTERNAL', message: res.statusText };
    const err = new ApiError(e.code, e.message, res.status);
    if (e.code === 'E_UNAUTHORIZED' || e.code === 'E_PASSWORD_CHANGE_REQUIRED') for (const l of listeners) l(err);
    throw err;
  }
  return data;
}

/** A read-only command, by GET with query arguments. */
export async function get(name, args = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(args)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return (await send('GET', commandPath(name) + (qs ? '?' + qs : ''))).result;
}

/** Any command, by POST with a JSON body. */
export async function post(name, args = {}) {
  return (await send('POST', commandPath(name), args)).result;
}

export async function currentSession() {
  try {
    const s = await send('GET', '/api/v1/session');
    csrf = s.csrfToken;
    return s;
  } catch (err) {
    if (err.code === 'E_UNAUTHORIZED') return null;
    throw err;
  }
}

export async function login(loginName, password) {
  const s = await send('POST', '/api/v1/session', { login: loginName, password });
  csrf = s.csrfToken;
  return s;
}

export async function logout() {
  try {
    await send('DELETE', '/api/v1/session');
  } finally {
    csrf = '';
  }
}

/** A File as base64 (no data: prefix), for uploads. */
export function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onerror = () => reject(new ApiError('E_BAD_ARGUMENTS', 'cannot read the file', 0));
    r.onload = () => {
      const s = String(r.result);
      resolve(s.slice(s.indexOf(',') + 1));
    };
    r.readAsDataURL(file);
  });
}

/** UTF-8 text as base64 (for the QR code's SVG in an <img>). */
export function textToBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
