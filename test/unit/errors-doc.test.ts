import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { ERROR_CODES, PbxError, isPbxError } from '../../firmware/core/errors.ts';
import { ROOT } from '../helpers/tmp.ts';

test('docs/errors.md lists exactly the codes of ERROR_CODES, once each', (t) => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^- `(E_[A-Z0-9_]+)` — \S/gm)].map((m) => m[1]);
  t.deepEqual([...documented].sort(), Object.keys(ERROR_CODES).sort());
  t.is(new Set(documented).size, documented.length, 'no code listed twice');
  // A code mentioned anywhere else in the doc must exist too (no stale names in prose).
  const mentioned = new Set([...doc.matchAll(/\bE_[A-Z0-9_]+\b/g)].map((m) => m[0]));
  t.deepEqual([...mentioned].filter((c) => !(c in ERROR_CODES)), []);
});

test('PbxError carries its code, and the catalogue text as default message', (t) => {
  const e = new PbxError('E_NOT_FOUND');
  t.true(isPbxError(e));
  t.is(e.code, 'E_NOT_FOUND');
  t.is(e.message, ERROR_CODES.E_NOT_FOUND);
  t.is(new PbxError('E_INTERNAL', 'disk on fire').message, 'disk on fire');
  t.false(isPbxError(new Error('plain')));
});
