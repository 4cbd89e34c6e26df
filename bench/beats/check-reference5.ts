// The tracker-independent reference check (bench/beats/check-reference.ts) on the heldout5 set
// (bench/beats/heldout5.ts, every candidate of every package, before the per-package cap), over the first 120 s
// the bench scores, with the grid also shifted by 1/3 and 2/3 of a beat. A song is `suspect` when a half peaks
// more than 15 ms off 0, the half-beat shift (or a 1/3 or 2/3 shift) scores as high as the grid, or a 2/3, 3/4
// or 4/3 cross pulse scores as high as the beats (check-reference3.ts suspicion). A song whose rows per beat
// come from the convention, not the composer's highlight, must be on its grid CLEARLY: the grid at least
// CLEAR times the half, 1/3 and 2/3 shifts and each cross pulse (the 3/2 pulse is printed, not judged: it falls
// on the beat and the off-beat in turn). It never runs the beat tracker.
// Run: node --import tsx bench/beats/check-reference5.ts [--json] [--only NAME,...]
import { pathToFileURL } from 'node:url';
import { checkCli, checkSpecs, type ReferenceCheck } from './check-reference.js';
import { suspicion } from './check-reference3.js';
import { CACHE, heldout5Songs, type RowsPerBeatSource } from './heldout5.js';

const EVAL_SECONDS = 120;
/** how far above the shifts and cross pulses a convention grid must score */
export const CLEAR = 1.15;

export interface ReferenceCheck5 extends ReferenceCheck {
  package: string;
  format: string;
  rowsPerBeat: number;
  rowsPerBeatFrom: RowsPerBeatSource;
  meter: string;
  ratioHalf: number;
  ratioThird: number;
  ratioTwoThirds: number;
  /** the grid over the highest of the 2/3, 3/4, 4/3 cross pulses */
  ratioCross: number;
  suspect: string | null;
}

export interface ShiftRatios {
  ratioHalf: number;
  ratioThird: number;
  ratioTwoThirds: number;
  ratioCross: number;
}

/** The onset envelope at the reference beats over its best at the half-beat, third-beat, two-thirds and cross-pulse
 * shifts (rounded to 0.01): the figures suspicion5 reads. */
export function shiftRatios(c: Pick<ReferenceCheck, 'at'>): ShiftRatios {
  const ratio = (...labels: string[]) => Math.round((c.at['0']! / Math.max(1e-9, ...labels.map((l) => c.at[l]!))) * 100) / 100;
  return { ratioHalf: ratio('0.5 beat'), ratioThird: ratio('1/3 beat'), ratioTwoThirds: ratio('2/3 beat'), ratioCross: ratio('2/3 pulse', '3/4 pulse', '4/3 pulse') };
}

export function suspicion5(
  c: Pick<ReferenceCheck, 'at' | 'firstHalfLagMs' | 'secondHalfLagMs'>,
  r: ShiftRatios,
  from: RowsPerBeatSource,
): string | null {
  const why = [suspicion(c)].filter((x): x is string => !!x);
  if (r.ratioThird <= 1 || r.ratioTwoThirds <= 1) why.push('a 1/3 or 2/3 beat shift scores as high');
  if (!why.length && from === 'convention') {
    const weak = (
      [
        ['½', r.ratioHalf],
        ['⅓', r.ratioThird],
        ['⅔', r.ratioTwoThirds],
        ['cross pulse', r.ratioCross],
      ] as const
    ).filter(([, v]) => v < CLEAR);
    if (weak.length) why.push(`convention grid not clear: 0 / ${weak.map(([k, v]) => `${k} = ${v.toFixed(2)}`).join(', ')} (< ${CLEAR})`);
  }
  return why.length ? why.join('; ') : null;
}

export async function run(only?: readonly string[]): Promise<{ checks: ReferenceCheck5[]; leftOut: { name: string; reason: string }[] }> {
  const { songs, leftOut } = heldout5Songs(CACHE, { checkLeftOut: {}, perPackage: Infinity });
  const wanted = songs.filter((x) => !only || only.includes(x.name));
  const spec = new Map(wanted.map((s) => [s.name, s]));
  const checked = await checkSpecs(wanted, CACHE, EVAL_SECONDS);
  const checks = checked.map((c) => {
    const s = spec.get(c.name)!;
    const ratios = shiftRatios(c);
    return { ...c, package: s.package, format: s.format, rowsPerBeat: s.rowsPerBeat, rowsPerBeatFrom: s.rowsPerBeatFrom, meter: s.meter ?? '', ...ratios, suspect: suspicion5(c, ratios, s.rowsPerBeatFrom) };
  });
  return { checks, leftOut };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await checkCli(run, (checks) => [
    '| song | package | format | BPM | rows/beat (from) | s | beats | 0 / ½ | 0 / ⅓ | 0 / ⅔ | 0 / cross | peak lag ms (all / 1st / 2nd) | suspect |',
    '|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...checks.map(
      (c) =>
        `| ${c.name} | ${c.package} | ${c.format} | ${Math.round(c.bpm * 100) / 100} | ${c.rowsPerBeat} (${c.rowsPerBeatFrom}${c.meter ? `, ${c.meter}` : ''}) | ${c.seconds} | ${c.beats} | ${c.ratioHalf.toFixed(2)} | ${c.ratioThird.toFixed(2)} | ${c.ratioTwoThirds.toFixed(2)} | ${c.ratioCross.toFixed(2)} | ${c.bestLagMs} / ${c.firstHalfLagMs} / ${c.secondHalfLagMs} | ${c.suspect ?? ''} |`,
    ),
  ]);
}
