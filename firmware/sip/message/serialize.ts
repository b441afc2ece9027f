/**
 * Wire form of a message (RFC 3261 §7): start line, every header field in
 * order with its name as stored, Content-Length set to the body's real
 * length (RFC 3261 §20.14), blank line, body.
 */
import type { SipMessage } from './types.ts';
import { headerKey } from './headers.ts';

/** CR or LF inside a stored value would inject header lines: they become SP. */
function clean(s: string): string {
  return s.indexOf('\r') < 0 && s.indexOf('\n') < 0 ? s : s.replace(/[\r\n]+/g, ' ');
}

export function serialize(msg: SipMessage): Buffer {
  let head =
    msg.kind === 'request'
      ? clean(msg.method) + ' ' + clean(msg.uri) + ' ' + clean(msg.version) + '\r\n'
      : clean(msg.version) + ' ' + msg.status + ' ' + clean(msg.reason) + '\r\n';
  const body = msg.body ?? Buffer.alloc(0);
  const length = String(body.length);
  let lengthWritten = false;
  for (const f of msg.headers.fields()) {
    if (headerKey(f.name) === 'content-length') {
      // Keep the first field (and its compact or long name), fix its value, drop repeats.
      if (lengthWritten) continue;
      lengthWritten = true;
      head += clean(f.name) + ': ' + length + '\r\n';
      continue;
    }
    head += clean(f.name) + ': ' + clean(f.value) + '\r\n';
  }
  if (!lengthWritten) head += 'Content-Length: ' + length + '\r\n';
  head += '\r\n';
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + body.length);
  out.write(head, 0, 'utf8');
  body.copy(out, headLen);
  return out;
}
