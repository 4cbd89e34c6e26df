// The tracker-independent reference check (bench/beats/check-reference.ts: the onset envelope at the reference
// beats against shifted grids, and the lag where it peaks in each half) on the heldout3 set
// (bench/beats/heldout3.ts), over the first 120 s the bench scores. A song is flagged `suspect` when a half
// peaks more than 15 ms off 0, the grid shifted by half a beat scores higher than the grid itself, or a pulse
// at 2/3, 3/4 or 4/3 of the beat (check-reference.ts crossPulse) scores as high as the beats. (The 3/2 pulse,
// printed too, falls on the beat and the off-beat in turn: even eighths score it as high as the beats.)
// It never runs the beat tracker. Run: node --import tsx bench/beats/check-reference3.ts [--json] [--only NAME,...]
import { pathToFileURL } from 'node:url';
import { checkCli, checkSpecs, type ReferenceCheck } from './check-reference.js';
import { CACHE, heldout3Songs } from './heldout3.js';

const EVAL_SECONDS = 120;
const MAX_LAG_MS = 15;

export interface ReferenceCheck3 extends ReferenceCheck {
  /** mean envelope at the beats over that at the beats shifted by half a beat */
  ratioHalf: number;
  suspect: string | null;
}

export function suspicion(c: Pick<ReferenceCheck, 'at' | 'firstHalfLagMs' | 'secondHalfLagMs'>): string | null {
  const why: string[] = [];
  if (Math.abs(c.firstHalfLagMs) > MAX_LAG_MS || Math.abs(c.secondHalfLagMs) > MAX_LAG_MS) why.push(`peak lag ${c.firstHalfLagMs} / ${c.secondHalfLagMs} ms`);
  if (c.at['0.5 beat']! >= c.at['0']!) why.push('the half-beat shift scores higher');
  for (const k of ['2/3 pulse', '3/4 pulse', '4/3 pulse']) if (c.at[k] !== undefined && c.at[k]! >= c.at['0']!) why.push(`a ${k} across the beat scores as high as the beats`);
  return why.length ? why.join('; ') : null;
}

export async function run(only?: readonly string[]): Promise<{ checks: ReferenceCheck3[]; leftOut: { name: string; reason: string }[] }> {
  const { songs, leftOut } = heldout3Songs();
  for (const l of leftOut) process.stderr.write(`  left out: ${l.name}: ${l.reason}\n`);
  const checked = await checkSpecs(songs.filter((x) => !only || only.includes(x.name)), CACHE, EVAL_SECONDS);
  const checks = checked.map((c) => ({ ...c, ratioHalf: Math.round((c.at['0']! / Math.max(1e-9, c.at['0.5 beat']!)) * 100) / 100, suspect: suspicion(c) }));
  return { checks, leftOut };
}

/** The Markdown table of checks with a ratioHalf and a verdict; `origin` names each song's source (column `column`). */
export function suspicionTable<T extends ReferenceCheck & { ratioHalf: number; suspect: string | null }>(checks: T[], column: string, origin: (c: T) => string): string[] {
  const keys = Object.keys(checks[0]?.at ?? {});
  return [
    `| song | ${column} | BPM | s | beats | ${keys.join(' | ')} | 0 / ½ beat | peak lag ms (all / 1st / 2nd half) | suspect |`,
    `|---|---|---:|---:|---:|${keys.map(() => '---:').join('|')}|---:|---:|---|`,
    ...checks.map((c) => `| ${c.name} | ${origin(c)} | ${Math.round(c.bpm * 100) / 100} | ${c.seconds} | ${c.beats} | ${keys.map((k) => c.at[k]!.toFixed(2)).join(' | ')} | ${c.ratioHalf.toFixed(2)} | ${c.bestLagMs} / ${c.firstHalfLagMs} / ${c.secondHalfLagMs} | ${c.suspect ?? ''} |`),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await checkCli(run, (checks) => suspicionTable(checks, 'source', (c) => c.source));
}
