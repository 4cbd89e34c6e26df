// The clip id of every index row, stored compactly. Clip ids are "<video id>-<index, 4+ digits>" and a
// video's clips sit on consecutive rows, so a run (video id, first index, count) stands for all of them:
// 1M clips of 40k videos are 40k short lines instead of a 1M-element JSON array, and a reader keeps the
// runs, not a million strings and a million-entry Map (bench/index.bench.ts measures both forms).
// Any id that does not fit the pattern is stored as itself.
import { readFileSync, writeFileSync } from 'node:fs';

const HEADER = 'clipmatch-clip-ids 1';
const pad = (i: number) => String(i).padStart(4, '0');
const ID = /^(.+)-(\d{4,})$/;

interface Run {
  /** first row of the run */
  row: number;
  /** video id, or the literal id when `first` is -1 */
  prefix: string;
  first: number;
  count: number;
}

/** Row <-> clip id, answered from runs. */
export class ClipIdTable {
  private readonly runs: Run[];
  private readonly byPrefix = new Map<string, Run[]>();
  readonly size: number;

  private constructor(runs: Run[]) {
    this.runs = runs;
    const last = runs.at(-1);
    this.size = last ? last.row + last.count : 0;
    for (const r of runs) {
      const list = this.byPrefix.get(r.prefix);
      if (list) list.push(r);
      else this.byPrefix.set(r.prefix, [r]);
    }
  }

  static fromIds(ids: readonly string[]): ClipIdTable {
    const runs: Run[] = [];
    let cur: Run | undefined;
    ids.forEach((id, row) => {
      if (/[\t\n]/.test(id) || id === '') throw new Error(`clip id ${JSON.stringify(id)} cannot be stored in an index`);
      const m = ID.exec(id);
      const index = m ? Number(m[2]) : -1;
      // Only ids that print back exactly (no "-00012" for 12 with other padding) join a run.
      const fits = m !== null && Number.isSafeInteger(index) && `${m[1]}-${pad(index)}` === id;
      if (fits && cur && cur.first >= 0 && cur.prefix === m[1] && cur.first + cur.count === index) {
        cur.count++;
        return;
      }
      cur = fits ? { row, prefix: m[1]!, first: index, count: 1 } : { row, prefix: id, first: -1, count: 1 };
      runs.push(cur);
    });
    const table = new ClipIdTable(runs);
    if (new Set(ids).size !== ids.length) throw new Error('clip ids of an index must be distinct');
    return table;
  }

  static parse(text: string): ClipIdTable {
    const lines = text.split('\n');
    if (lines[0] !== HEADER) throw new Error('not a clip id table');
    const runs: Run[] = [];
    let row = 0;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      const a = line.indexOf('\t');
      const b = line.indexOf('\t', a + 1);
      if (a < 0 || b < 0) throw new Error(`clip id table line ${i + 1} is malformed`);
      const count = Number(line.slice(0, a));
      const first = line.slice(a + 1, b) === '' ? -1 : Number(line.slice(a + 1, b));
      if (!(count >= 1) || !Number.isInteger(first) || (first < 0 && count !== 1)) throw new Error(`clip id table line ${i + 1} is malformed`);
      runs.push({ row, prefix: line.slice(b + 1), first, count });
      row += count;
    }
    return new ClipIdTable(runs);
  }

  static read(path: string): ClipIdTable {
    return ClipIdTable.parse(readFileSync(path, 'utf8'));
  }

  serialize(): string {
    const out = [HEADER];
    for (const r of this.runs) out.push(`${r.count}\t${r.first < 0 ? '' : r.first}\t${r.prefix}`);
    return `${out.join('\n')}\n`;
  }

  write(path: string): void {
    writeFileSync(path, this.serialize());
  }

  /** Number of runs: what the reader holds in memory. */
  get runCount(): number {
    return this.runs.length;
  }

  /** The clip id of row `row`. */
  at(row: number): string {
    if (!Number.isInteger(row) || row < 0 || row >= this.size) throw new RangeError(`row ${row} is outside 0..${this.size - 1}`);
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runs[mid]!.row <= row) lo = mid;
      else hi = mid - 1;
    }
    const r = this.runs[lo]!;
    return r.first < 0 ? r.prefix : `${r.prefix}-${pad(r.first + row - r.row)}`;
  }

  /** The row of a clip id, or undefined when it is not in the table. */
  rowOf(id: string): number | undefined {
    const literal = this.byPrefix.get(id)?.find((r) => r.first < 0);
    if (literal) return literal.row;
    const m = ID.exec(id);
    if (!m) return undefined;
    const index = Number(m[2]);
    if (`${m[1]}-${pad(index)}` !== id) return undefined;
    for (const r of this.byPrefix.get(m[1]!) ?? []) {
      if (r.first >= 0 && index >= r.first && index < r.first + r.count) return r.row + index - r.first;
    }
    return undefined;
  }

  has(id: string): boolean {
    return this.rowOf(id) !== undefined;
  }

  toArray(): string[] {
    const out: string[] = [];
    for (const r of this.runs) {
      if (r.first < 0) out.push(r.prefix);
      else for (let k = 0; k < r.count; k++) out.push(`${r.prefix}-${pad(r.first + k)}`);
    }
    return out;
  }
}
