/**
 * The call journal (LOG-1..3). It lives in RAM only and is empty after every
 * restart (LOG-2, GW-4); each phone keeps its 20 most recent calls.
 */
export interface JournalEntry {
  id: number;
  /** When the call started (epoch ms). */
  startedAt: number;
  /** Seconds of conversation; 0 when not answered. */
  durationSeconds: number;
  from: string;
  to: string;
  /** Who finally answered (LOG-1), if anyone. */
  answeredBy?: string;
  direction: 'internal' | 'inbound' | 'outbound';
  outcome: 'answered' | 'missed' | 'failed';
  /** Phones (by MAC) this call belongs to, for the per-phone view (LOG-3). */
  phones: string[];
  /** The phone (by MAC) that placed the call, when one of ours did ("emitted" filter). */
  callerPhone?: string;
}

export const JOURNAL_PER_PHONE = 20;

export interface JournalFilter {
  phone?: string;
  kind?: 'missed' | 'answered' | 'emitted';
  from?: number;
  to?: number;
}

export class CallJournal {
  private readonly byPhone = new Map<string, JournalEntry[]>();
  private nextId = 1;

  constructor(private readonly perPhone = JOURNAL_PER_PHONE) {}

  add(entry: Omit<JournalEntry, 'id'>): JournalEntry {
    const e: JournalEntry = { ...entry, id: this.nextId++ };
    for (const p of new Set(e.phones)) {
      const list = this.byPhone.get(p) ?? [];
      list.push(e);
      if (list.length > this.perPhone) list.splice(0, list.length - this.perPhone);
      this.byPhone.set(p, list);
    }
    return e;
  }

  /** Newest first; each call once even when it belongs to several phones. */
  query(filter: JournalFilter = {}): JournalEntry[] {
    const source = filter.phone !== undefined ? (this.byPhone.get(filter.phone) ?? []) : [...this.byPhone.values()].flat();
    const seen = new Set<number>();
    const out: JournalEntry[] = [];
    for (const e of source) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      if (filter.from !== undefined && e.startedAt < filter.from) continue;
      if (filter.to !== undefined && e.startedAt > filter.to) continue;
      if (filter.kind === 'missed' && e.outcome !== 'missed') continue;
      if (filter.kind === 'answered' && e.outcome !== 'answered') continue;
      if (filter.kind === 'emitted' && (e.callerPhone === undefined || (filter.phone !== undefined && e.callerPhone !== filter.phone))) continue;
      out.push(e);
    }
    return out.sort((a, b) => b.startedAt - a.startedAt || b.id - a.id);
  }

  size(): number {
    return new Set([...this.byPhone.values()].flat().map((e) => e.id)).size;
  }

  clear(): void {
    this.byPhone.clear();
  }
}
