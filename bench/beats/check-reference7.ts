// The tracker-independent reference check (bench/beats/check-reference.ts: the onset envelope at the reference
// beats against shifted grids and cross pulses, and the lag where it peaks in each half) on the heldout7 set
// (bench/beats/heldout7.ts: MIDI from npm packages played by TiMidity++), over the first 120 s the bench scores,
// every song that passes the filters before the per-composer and per-author caps. A song is `suspect` as in
// check-reference3.ts (a half peaking more than 15 ms off 0, the half-beat shift scoring higher than the grid, or
// a 2/3, 3/4 or 4/3 pulse scoring as high as the beats). It never runs the beat tracker.
// Run: node --import tsx bench/beats/check-reference7.ts [--json] [--only NAME,...]
import { pathToFileURL } from 'node:url';
import { otherSetMidiShas } from '../beats.bench.js';
import { checkCli, checkSpecs, type ReferenceCheck } from './check-reference.js';
import { suspicion, suspicionTable } from './check-reference3.js';
import { CACHE, heldout7Songs } from './heldout7.js';

const EVAL_SECONDS = 120;

export interface ReferenceCheck7 extends ReferenceCheck {
  package: string;
  /** mean envelope at the beats over that at the beats shifted by half a beat */
  ratioHalf: number;
  suspect: string | null;
}

export async function run(only?: readonly string[]): Promise<{ checks: ReferenceCheck7[]; leftOut: { name: string; reason: string }[] }> {
  const { songs, leftOut } = heldout7Songs(CACHE, { otherSets: otherSetMidiShas(), checkLeftOut: {}, perComposer: Infinity, perAuthor: Infinity });
  for (const l of leftOut) process.stderr.write(`  left out: ${l.name}: ${l.reason}\n`);
  const wanted = songs.filter((x) => !only || only.includes(x.name));
  const checked = await checkSpecs(wanted, CACHE, EVAL_SECONDS);
  const checks = checked.map((c, i) => ({
    ...c,
    package: wanted[i]!.package,
    ratioHalf: Math.round((c.at['0']! / Math.max(1e-9, c.at['0.5 beat']!)) * 100) / 100,
    suspect: suspicion(c),
  }));
  return { checks, leftOut };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await checkCli(run, (checks) => suspicionTable(checks, 'package', (c) => c.package));
}
