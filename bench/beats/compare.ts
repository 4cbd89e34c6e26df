// Two runs of the beat bench side by side, as the Markdown table docs/beats.md keeps: per song the reference
// tempo, then BPM, F and F at any level for each run, then each set's mean, minimum and songs under 0.6.
// Run: node --import tsx bench/beats.bench.ts --json > before.json (then after.json with the other code), and
//      node --import tsx bench/beats/compare.ts before.json after.json [--label-a "round 4"] [--label-b "round 5"]
import { readFileSync } from 'node:fs';
import { TUNE_SETS, type BenchSet } from '../beats.bench.js';

interface PerSong {
  name: string;
  set: BenchSet;
  f: number;
  fAny: number;
  refBpm: number;
  estBpm: number;
}

const LABEL: Record<BenchSet, string> = {
  synthetic: 'tune: synthetic',
  real: 'tune: real',
  heldout1: 'tune: held-out 1',
  extra: 'tune: extra',
  heldout2: 'tune: held-out 2',
  heldout3: 'tune: held-out 3',
  heldout4: 'tune: held-out 4',
  heldout5: 'tune: held-out 5',
  heldout6: '**held-out**',
  heldout7: 'held-out 7 (npm)',
  heldout8: 'held-out 8',
};

const arg = (flag: string, fallback: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const f3 = (x: number) => x.toFixed(3);
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);

export function compareTable(a: PerSong[], b: PerSong[], labelA: string, labelB: string): string {
  const byName = new Map(b.map((r) => [`${r.set}/${r.name}`, r]));
  const rows: string[] = [
    `| set | song | reference BPM | ${labelA}: BPM | ${labelA}: F | ${labelA}: F any level | ${labelB}: BPM | ${labelB}: F | ${labelB}: F any level |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const paired = a.filter((r) => byName.has(`${r.set}/${r.name}`)).map((r) => [r, byName.get(`${r.set}/${r.name}`)!] as const);
  for (const [x, y] of paired) rows.push(`| ${LABEL[x.set] ?? x.set} | ${x.name} | ${x.refBpm} | ${x.estBpm} | ${f3(x.f)} | ${f3(x.fAny)} | ${y.estBpm} | ${f3(y.f)} | ${f3(y.fAny)} |`);
  const groups: [string, (r: PerSong) => boolean][] = [
    ...[...new Set(paired.map(([x]) => x.set))].map((s) => [LABEL[s] ?? s, (r: PerSong) => r.set === s] as [string, (r: PerSong) => boolean]),
    ['**tune (all)**', (r) => TUNE_SETS.includes(r.set)],
  ];
  for (const [label, keep] of groups) {
    const xs = paired.filter(([x]) => keep(x));
    if (xs.length === 0) continue;
    const fa = xs.map(([x]) => x.f);
    const fb = xs.map(([, y]) => y.f);
    rows.push(`| ${label.startsWith('**') ? label : `**${label}**`} | mean (${xs.length} songs) | | | **${f3(mean(fa))}** | ${f3(mean(xs.map(([x]) => x.fAny)))} | | **${f3(mean(fb))}** | ${f3(mean(xs.map(([, y]) => y.fAny)))} |`);
    rows.push(`| | min / songs below 0.6 | | | ${f3(Math.min(...fa))} / ${fa.filter((v) => v < 0.6).length} | | | ${f3(Math.min(...fb))} / ${fb.filter((v) => v < 0.6).length} | |`);
  }
  return rows.join('\n');
}

if (process.argv[1]?.endsWith('compare.ts')) {
  const [fa, fb] = process.argv.slice(2).filter((x) => x.endsWith('.json'));
  if (!fa || !fb) throw new Error('usage: compare.ts before.json after.json [--label-a A] [--label-b B]');
  const read = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { perSong: PerSong[] }).perSong;
  console.log(compareTable(read(fa), read(fb), arg('--label-a', 'before'), arg('--label-b', 'after')));
}
