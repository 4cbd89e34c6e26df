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
import { AUDIO_SAMPLE_RATE } from '../../src/core/types.js';
import { analyzeFrames } from '../../src/features/audio/frames.js';
import { decodePcm } from '../../src/media/ffmpeg.js';
import { checkReference, meanAt, type ReferenceCheck } from './check-reference.js';
import { suspicion } from './check-reference3.js';
import { shiftedGrid } from './check-reference4.js';
import { audibleReference, renderHeldout } from './heldout.js';
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

export function suspicion5(
  c: Pick<ReferenceCheck, 'at' | 'firstHalfLagMs' | 'secondHalfLagMs'>,
  r: { ratioHalf: number; ratioThird: number; ratioTwoThirds: number; ratioCross: number },
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
  const checks: ReferenceCheck5[] = [];
  for (const s of songs.filter((x) => !only || only.includes(x.name))) {
    process.stderr.write(`  check: ${s.name}\n`);
    const t0 = performance.now();
    const wav = await renderHeldout(s, CACHE);
    const renderMs = performance.now() - t0;
    const pcm = await decodePcm(wav, AUDIO_SAMPLE_RATE, { duration: EVAL_SECONDS });
    const seconds = pcm.length / AUDIO_SAMPLE_RATE;
    const reference = audibleReference(s.reference.filter((t) => t <= seconds), pcm, AUDIO_SAMPLE_RATE);
    const c = checkReference(pcm, AUDIO_SAMPLE_RATE, reference);
    const fa = analyzeFrames(pcm, AUDIO_SAMPLE_RATE, false);
    const fps = AUDIO_SAMPLE_RATE / fa.hop;
    const ft = (i: number) => (i * fa.hop + fa.win / 2) / AUDIO_SAMPLE_RATE;
    const at0 = meanAt(fa.onset, ft, fps, reference);
    const ratio = (frac: number) => Math.round((at0 / Math.max(1e-9, meanAt(fa.onset, ft, fps, shiftedGrid(reference, frac)))) * 100) / 100;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    const ratios = {
      ratioHalf: r2(c.at['0']! / Math.max(1e-9, c.at['0.5 beat']!)),
      ratioThird: ratio(1 / 3),
      ratioTwoThirds: ratio(2 / 3),
      ratioCross: r2(c.at['0']! / Math.max(1e-9, c.at['2/3 pulse']!, c.at['3/4 pulse']!, c.at['4/3 pulse']!)),
    };
    checks.push({
      name: s.name,
      source: s.source,
      bpm: s.bpm,
      seconds: Math.round(seconds * 10) / 10,
      beats: reference.length,
      ...c,
      renderMs: Math.round(renderMs),
      package: s.package,
      format: s.format,
      rowsPerBeat: s.rowsPerBeat,
      rowsPerBeatFrom: s.rowsPerBeatFrom,
      meter: s.meter ?? '',
      ...ratios,
      suspect: suspicion5(c, ratios, s.rowsPerBeatFrom),
    });
  }
  return { checks, leftOut };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--only');
  const out = await run(i >= 0 ? process.argv[i + 1]!.split(',') : undefined);
  if (process.argv.includes('--json')) console.log(JSON.stringify(out, null, 2));
  else {
    console.log('| song | package | format | BPM | rows/beat (from) | s | beats | 0 / ½ | 0 / ⅓ | 0 / ⅔ | 0 / cross | peak lag ms (all / 1st / 2nd) | suspect |');
    console.log('|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const c of out.checks)
      console.log(
        `| ${c.name} | ${c.package} | ${c.format} | ${Math.round(c.bpm * 100) / 100} | ${c.rowsPerBeat} (${c.rowsPerBeatFrom}${c.meter ? `, ${c.meter}` : ''}) | ${c.seconds} | ${c.beats} | ${c.ratioHalf.toFixed(2)} | ${c.ratioThird.toFixed(2)} | ${c.ratioTwoThirds.toFixed(2)} | ${c.ratioCross.toFixed(2)} | ${c.bestLagMs} / ${c.firstHalfLagMs} / ${c.secondHalfLagMs} | ${c.suspect ?? ''} |`,
      );
    for (const l of out.leftOut) console.log(`left out: ${l.name}: ${l.reason}`);
  }
}
