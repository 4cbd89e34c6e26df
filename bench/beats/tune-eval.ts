// Tuning aid: the shipped tracker (rhythm.ts gridOfFrames, as analyzeRhythm calls it) on the cached TUNE set
// (bench/beats/tune-cache.ts), in seconds instead of the minutes a full bench run takes. Prints the mean F
// and the songs under 0.6 per set; --save FILE keeps the per-song F, --diff FILE lists the songs whose F
// moved by more than 0.02 against a saved run. Never reads the held-out set.
// Run: node --import tsx bench/beats/tune-eval.ts [--save base.json] [--diff base.json] [--songs]
import { readFileSync, writeFileSync } from 'node:fs';
import { anyLevelFMeasure, beatFMeasure } from '../../src/core/beat-eval.js';
import { gridOfFrames } from '../../src/features/audio/rhythm.js';
import { loadTuneCache } from './tune-cache.js';

interface Row {
  name: string;
  set: string;
  f: number;
  fAny: number;
  bpm: number;
}

const arg = (flag: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);

export function evaluateCached(): Row[] {
  const rows: Row[] = [];
  for (const c of loadTuneCache()) {
    const g = gridOfFrames(c, c.fps);
    const beats = g ? g.beats.map((f) => c.start + f * c.hopSeconds) : [];
    rows.push({ name: c.name, set: c.set, f: beatFMeasure(c.reference, beats).f, fAny: anyLevelFMeasure(c.reference, beats), bpm: g && g.beats.length >= 4 ? g.tempo.median : 0 });
  }
  return rows;
}

if (process.argv[1]?.endsWith('tune-eval.ts')) {
  const rows = evaluateCached();
  const sets = [...new Set(rows.map((r) => r.set))];
  const line = (name: string, rs: Row[]) => `${name} ${mean(rs.map((r) => r.f)).toFixed(3)} (<0.6: ${rs.filter((r) => r.f < 0.6).length}/${rs.length}, any ${mean(rs.map((r) => r.fAny)).toFixed(3)})`;
  console.log([line('all', rows), ...sets.map((s) => line(s, rows.filter((r) => r.set === s)))].join('\n'));
  const diff = arg('--diff');
  if (diff) {
    const base = new Map((JSON.parse(readFileSync(diff, 'utf8')) as Row[]).map((r) => [r.name, r]));
    for (const r of rows) {
      const b = base.get(r.name);
      if (b && Math.abs(b.f - r.f) > 0.02) console.log(`  ${r.set.padEnd(9)} ${r.name.padEnd(40)} ${b.f.toFixed(3)} -> ${r.f.toFixed(3)}  (${b.bpm.toFixed(1)} -> ${r.bpm.toFixed(1)} BPM)`);
    }
  }
  if (process.argv.includes('--songs')) for (const r of rows.filter((q) => q.f < 0.6)) console.log(`  <0.6 ${r.set.padEnd(9)} ${r.name.padEnd(40)} F ${r.f.toFixed(3)} any ${r.fAny.toFixed(3)} ${r.bpm.toFixed(1)} BPM`);
  const save = arg('--save');
  if (save) writeFileSync(save, JSON.stringify(rows));
}
