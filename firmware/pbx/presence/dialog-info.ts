/**
 * RFC 4235 dialog-info documents for busy lamp fields (issue 9 §3): what a
 * watched phone is doing, as its watchers' keys show it. Pure.
 */
export type WatchedState = { state: 'idle' } | { state: 'ringing'; caller: string; callId: string } | { state: 'busy'; callId: string };

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * The full state of one phone (state="full", RFC 4235 §4.1): no dialog
 * when idle; an early dialog with the caller's identity while it rings (so
 * the watcher can show who calls and pick up); a confirmed dialog when busy.
 */
export function dialogInfoXml(entity: string, version: number, watched: WatchedState, host: string): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${xml(entity)}">`];
  if (watched.state === 'ringing') {
    lines.push(
      // The phone picks up with an INVITE carrying Replaces built from call-id and the tags (pbx/calls: pickup).
      `  <dialog id="${xml(watched.callId)}" call-id="${xml(watched.callId)}" local-tag="${xml(watched.callId)}" remote-tag="pbxgate" direction="recipient">`,
      '    <state>early</state>',
      `    <remote><identity>${xml(`sip:${watched.caller}@${host}`)}</identity><target uri="${xml(`sip:${watched.caller}@${host}`)}"/></remote>`,
      '  </dialog>',
    );
  } else if (watched.state === 'busy') {
    lines.push(`  <dialog id="${xml(watched.callId)}" call-id="${xml(watched.callId)}">`, '    <state>confirmed</state>', '  </dialog>');
  }
  lines.push('</dialog-info>', '');
  return lines.join('\r\n');
}

/** Two states show the same on a lamp (no NOTIFY needed when nothing a watcher sees changed). */
export function sameLamp(a: WatchedState, b: WatchedState): boolean {
  if (a.state !== b.state) return false;
  if (a.state === 'ringing' && b.state === 'ringing') return a.caller === b.caller && a.callId === b.callId;
  return true;
}
