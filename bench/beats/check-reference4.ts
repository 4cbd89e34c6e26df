// The tracker-independent reference check (bench/beats/check-reference.ts) on the heldout4 set
// (bench/beats/heldout4.ts), over the first 120 s the bench scores, with the grid also shifted by 1/3 and 2/3
// of a beat (the eighths of a compound-metre beat). A song is `suspect` when a half peaks more than 15 ms off
// 0, or the grid shifted by half a beat (or, in compound metre, by 1/3 or 2/3 of one) scores as high as the
// grid itself. It never runs the beat tracker. Run: node --import tsx bench/beats/check-reference4.ts [--json] [--only NAME,...]
import { pathToFileURL } from 'node:url';
import { checkCli, checkSpecs, type ReferenceCheck } from './check-reference.js';
import { suspicion } from './check-reference3.js';
import { CACHE, heldout4Songs } from './heldout4.js';

const EVAL_SECONDS = 120;

export interface ReferenceCheck4 extends ReferenceCheck {
  /** envelope at the grid over that at the grid shifted by 1/2, 1/3, 2/3 of a beat */
  ratioHalf: number;
  ratioThird: number;
  ratioTwoThirds: number;
  compound: boolean;
  meter: string;
  suspect: string | null;
}

export function suspicion4(c: Pick<ReferenceCheck, 'at' | 'firstHalfLagMs' | 'secondHalfLagMs'>, ratioThird: number, ratioTwoThirds: number, compound: boolean): string | null {
  const why = [suspicion(c)].filter((x): x is string => !!x);
  if (compound && (ratioThird <= 1 || ratioTwoThirds <= 1)) why.push('a 1/3 or 2/3 beat shift scores as high');
  return why.length ? why.join('; ') : null;
}

export async function run(only?: readonly string[]): Promise<{ checks: ReferenceCheck4[]; leftOut: { name: string; reason: string }[] }> {
  const { songs, leftOut } = heldout4Songs();
  const wanted = songs.filter((x) => !only || only.includes(x.name));
  const meter = new Map(wanted.map((s) => [s.name, s.meter ?? '']));
  const checked = await checkSpecs(wanted, CACHE, EVAL_SECONDS);
  const checks = checked.map((c) => {
    const ratio = (label: string) => Math.round((c.at['0']! / Math.max(1e-9, c.at[label]!)) * 100) / 100;
    const ratioThird = ratio('1/3 beat');
    const ratioTwoThirds = ratio('2/3 beat');
    const m = meter.get(c.name) ?? '';
    const compound = /^(6|9|12)\/8$/.test(m);
    return { ...c, ratioHalf: ratio('0.5 beat'), ratioThird, ratioTwoThirds, compound, meter: m, suspect: suspicion4(c, ratioThird, ratioTwoThirds, compound) };
  });
  return { checks, leftOut };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await checkCli(run, (checks) => [
    '| song | source | BPM | metre | s | beats | 0 / ½ | 0 / ⅓ | 0 / ⅔ | peak lag ms (all / 1st / 2nd) | suspect |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|',
    ...checks.map((c) => `| ${c.name} | ${c.source} | ${Math.round(c.bpm * 100) / 100} | ${c.meter} | ${c.seconds} | ${c.beats} | ${c.ratioHalf.toFixed(2)} | ${c.ratioThird.toFixed(2)} | ${c.ratioTwoThirds.toFixed(2)} | ${c.bestLagMs} / ${c.firstHalfLagMs} / ${c.secondHalfLagMs} | ${c.suspect ?? ''} |`),
  ]);
}
