import { readFileSync } from 'node:fs';
import { PbxError } from '../core/errors.ts';
import { parseBoardDefinition, type BoardDefinition } from './definition.ts';
// Board files are embedded so the single executable needs no files beside it.
import simBoard from '../../board/sim.json' with { type: 'json' };
import qemuVirtBoard from '../../board/qemu-virt.json' with { type: 'json' };

const EMBEDDED: Record<string, unknown> = { sim: simBoard, 'qemu-virt': qemuVirtBoard };

export function embeddedBoardIds(): string[] {
  return Object.keys(EMBEDDED);
}

/** Loads a board by embedded id ("sim") or by path to a JSON file. */
export function loadBoardDefinition(idOrPath: string): BoardDefinition {
  const embedded = EMBEDDED[idOrPath];
  if (embedded !== undefined) return parseBoardDefinition(embedded, idOrPath);
  let text: string;
  try {
    text = readFileSync(idOrPath, 'utf8');
  } catch (err) {
    throw new PbxError(
      'E_BOARD_INVALID',
      `board ${idOrPath}: not an embedded board (${embeddedBoardIds().join(', ')}) and not a readable file (${(err as Error).message})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PbxError('E_BOARD_INVALID', `board ${idOrPath}: not valid JSON (${(err as Error).message})`);
  }
  return parseBoardDefinition(raw, idOrPath);
}
