// The tracker-independent reference check (bench/beats/check-reference.ts: the onset envelope at the reference
// beats against shifted grids and cross pulses, and the lag where it peaks in each half) on the heldout8 set
// (bench/beats/heldout8.ts), over the first 120 s the bench scores, every song that passes the filters before
// the per-package cap. A module is `suspect` as in check-reference5.ts (suspicion5: a convention grid must be
// CLEARly above its half, 1/3 and 2/3 shifts and cross pulses), a MIDI song as in check-reference3.ts (a half
// peaking more than 15 ms off 0, the half-beat shift scoring higher than the grid, or a 2/3, 3/4 or 4/3 pulse
// scoring as high as the beats). It never runs the beat tracker.
// Run: node --import tsx bench/beats/check-reference8.ts [--json] [--only NAME,...]
import { pathToFileURL } from 'node:url';
import { otherSetMidiShas, otherSetModuleShas } from '../beats.bench.js';
import { checkCli, checkSpecs, type ReferenceCheck } from './check-reference.js';
import { suspicion } from './check-reference3.js';
import { shiftRatios, suspicion5 } from './check-reference5.js';
import { CACHE, heldout8Songs } from './heldout8.js';
import { NPM_SONGS } from './heldout7.js';

const EVAL_SECONDS = 120;

export interface ReferenceCheck8 extends ReferenceCheck {
  package: string;
  /** a module's rows per beat (and where they come from), '' for MIDI */
  rowsPerBeat: string;
  ratioHalf: number;
  ratioThird: number;
  ratioTwoThirds: number;
  ratioCross: number;
  suspect: string | null;
}

export async function run(only?: readonly string[]): Promise<{ checks: ReferenceCheck8[]; leftOut: { name: string; reason: string }[] }> {
  const otherMidis = otherSetMidiShas();
  for (const s of NPM_SONGS) otherMidis.add(s.sha1);
  const { songs, leftOut } = heldout8Songs(CACHE, { otherModules: otherSetModuleShas(), otherMidis, checkLeftOut: {}, perPackage: Infinity });
  for (const l of leftOut) process.stderr.write(`  left out: ${l.name}: ${l.reason}\n`);
  const wanted = songs.filter((x) => !only || only.includes(x.name));
  const checked = await checkSpecs(wanted, CACHE, EVAL_SECONDS);
  const checks = checked.map((c, i) => {
    const s = wanted[i]!;
    const ratios = shiftRatios(c);
    const suspect = s.rowsPerBeatFrom ? suspicion5(c, ratios, s.rowsPerBeatFrom) : suspicion(c);
    return { ...c, package: s.package, rowsPerBeat: s.rowsPerBeat ? `${s.rowsPerBeat} (${s.rowsPerBeatFrom})` : '', ...ratios, suspect };
  });
  return { checks, leftOut };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await checkCli(run, (checks) => [
    '| song | package | BPM | rows/beat (from) | s | beats | 0 / ½ | 0 / ⅓ | 0 / ⅔ | 0 / cross | peak lag ms (all / 1st / 2nd) | suspect |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...checks.map(
      (c) =>
        `| ${c.name} | ${c.package} | ${Math.round(c.bpm * 100) / 100} | ${c.rowsPerBeat} | ${c.seconds} | ${c.beats} | ${c.ratioHalf.toFixed(2)} | ${c.ratioThird.toFixed(2)} | ${c.ratioTwoThirds.toFixed(2)} | ${c.ratioCross.toFixed(2)} | ${c.bestLagMs} / ${c.firstHalfLagMs} / ${c.secondHalfLagMs} | ${c.suspect ?? ''} |`,
    ),
  ]);
}
