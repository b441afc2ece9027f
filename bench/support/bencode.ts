/**
 * Bencode (BitTorrent's encoding), as rtpengine's ng control protocol uses
 * it: integers, byte strings, lists, dictionaries (keys sorted). Strings
 * decode as UTF-8 text (everything ng sends back is text: SDP, results).
 */

export type BValue = string | number | Buffer | BValue[] | { [key: string]: BValue };

export function bencode(v: BValue): Buffer {
  const parts: Buffer[] = [];
  const walk = (x: BValue): void => {
    if (typeof x === 'number') {
      if (!Number.isInteger(x)) throw new Error(`bencode: not an integer: ${x}`);
      parts.push(Buffer.from(`i${x}e`));
    } else if (typeof x === 'string' || Buffer.isBuffer(x)) {
      const b = typeof x === 'string' ? Buffer.from(x, 'utf8') : x;
      parts.push(Buffer.from(`${b.length}:`), b);
    } else if (Array.isArray(x)) {
      parts.push(Buffer.from('l'));
      for (const e of x) walk(e);
      parts.push(Buffer.from('e'));
    } else {
      parts.push(Buffer.from('d'));
      for (const k of Object.keys(x).sort()) {
        walk(k);
        walk(x[k]!);
      }
      parts.push(Buffer.from('e'));
    }
  };
  walk(v);
  return Buffer.concat(parts);
}

/** Decodes one value starting at `offset`; throws on malformed input. */
export function bdecode(buf: Buffer, offset = 0): { value: BValue; end: number } {
  const at = (i: number): number => {
    if (i >= buf.length) throw new Error('bdecode: truncated');
    return buf[i]!;
  };
  const c = at(offset);
  if (c === 0x69 /* i */) {
    const e = buf.indexOf(0x65, offset + 1);
    if (e < 0) throw new Error('bdecode: unterminated integer');
    const n = Number(buf.toString('latin1', offset + 1, e));
    if (!Number.isInteger(n)) throw new Error('bdecode: bad integer');
    return { value: n, end: e + 1 };
  }
  if (c === 0x6c /* l */) {
    const list: BValue[] = [];
    let i = offset + 1;
    while (at(i) !== 0x65) {
      const r = bdecode(buf, i);
      list.push(r.value);
      i = r.end;
    }
    return { value: list, end: i + 1 };
  }
  if (c === 0x64 /* d */) {
    const dict: { [key: string]: BValue } = {};
    let i = offset + 1;
    while (at(i) !== 0x65) {
      const k = bdecode(buf, i);
      if (typeof k.value !== 'string') throw new Error('bdecode: dictionary key is not a string');
      const v = bdecode(buf, k.end);
      dict[k.value] = v.value;
      i = v.end;
    }
    return { value: dict, end: i + 1 };
  }
  if (c >= 0x30 && c <= 0x39) {
    const colon = buf.indexOf(0x3a, offset);
    if (colon < 0) throw new Error('bdecode: bad string length');
    const len = Number(buf.toString('latin1', offset, colon));
    const start = colon + 1;
    if (!Number.isInteger(len) || start + len > buf.length) throw new Error('bdecode: truncated string');
    return { value: buf.toString('utf8', start, start + len), end: start + len };
  }
  throw new Error(`bdecode: unexpected byte 0x${c.toString(16)} at ${offset}`);
}
