// Published beat trackers on the beat benchmark's songs and references, beside clipmatch's: how far the goal
// "mean F >= 0.85, no song under 0.6" is from what other trackers reach on the same audio, and whether they find
// the songs clipmatch misses.
// - aubio (`aubiotrack`, Debian's aubio-tools 0.4.9, GPL-3; Brossier's tempo tracker, a method after Davies and
//   Plumbley), run as a program on the first 120 s;
// - Essentia's BeatTrackerDegara (Degara et al. 2012) and BeatTrackerMultiFeature (Zapata, Davies and Gómez
//   2014: five onset functions, a committee choosing by mutual agreement), from essentia.js 0.1.3 (its wasm build,
//   AGPL-3.0), fetched at bench time by `npm pack` into the system temp folder (pinned by SHA-1) and loaded from
//   there: it is never a dependency of clipmatch and nothing of it ships. Both at 44.1 kHz (the rate they are
//   written for), 40-208 BPM (Essentia's default range, the minimum lowered to the tracker's 40).
// Each song's reference is the one its tune cache holds (bench/beats/tune-cache.ts), clipmatch's figures come from
// the shipped tracker on that cache (rhythm.ts gridOfFrames, as tune-eval.ts): on `all` (the tune set and held-out 6)
// that is in sample (its weights and network were fitted on those songs), on held-out 7 and 8 it is not. Results per song are cached
// under the system temp folder (a rerun only scores). Prints a table per set; `--songs` lists the songs under 0.6
// for clipmatch with every tracker's F; `--json FILE` keeps every row.
// Run: node --import tsx bench/beats/reference-trackers.ts [--set all|heldout7|heldout8] [--songs] [--json FILE]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { anyLevelFMeasure, beatFMeasure } from '../../src/core/beat-eval.js';
import { gridOfFrames } from '../../src/features/audio/rhythm.js';
import { decodePcm } from '../../src/media/ffmpeg.js';
import { benchSongs, heldout7BenchSongs, heldout8BenchSongs, render, type BenchSong } from '../beats.bench.js';
import { onPath } from './heldout.js';
import { npmTarball, untar, type NpmPackage } from './heldout7.js';
import { loadTuneCache, type CacheSelection } from './tune-cache.js';

const EVAL_SECONDS = 120;
const ESSENTIA: NpmPackage = { name: 'essentia.js', version: '0.1.3', license: 'AGPL-3.0' };
/** the tarball `npm pack essentia.js@0.1.3` gave (2026-12) */
const ESSENTIA_SHA1 = '54d0409845a0add3d42fde109d24dc24617e66eb';
const ESSENTIA_RATE = 44100;
const MIN_BPM = 40;
const MAX_BPM = 208;
const RESULTS = join(tmpdir(), 'clipmatch-beats-ref-trackers-v1');

export type TrackerName = 'aubio' | 'degara' | 'multifeature';
export const TRACKERS: readonly TrackerName[] = ['aubio', 'degara', 'multifeature'];

/** The trackers this machine can run, and why the others are left out (aubio not installed; essentia.js not
 * fetched: no network, or a tarball that is not the pinned one) */
export function availableTrackers(): { trackers: TrackerName[]; leftOut: string[] } {
  const trackers: TrackerName[] = [];
  const leftOut: string[] = [];
  if (onPath('aubiotrack')) trackers.push('aubio');
  else leftOut.push('aubio: aubiotrack is not installed (apt-get install aubio-tools, or scripts/ensure-system-deps.sh --bench)');
  try {
    loadEssentia();
    trackers.push('degara', 'multifeature');
  } catch (e) {
    leftOut.push(`Essentia's trackers: ${(e as Error).message.split('\n')[0]}`);
  }
  return { trackers, leftOut };
}

/** an embind vector on the wasm heap */
interface WasmVector {
  delete?: () => void;
}

interface EssentiaApi {
  arrayToVector(a: Float32Array): WasmVector;
  vectorToArray(v: WasmVector): Float32Array;
  BeatTrackerDegara(signal: WasmVector, maxTempo: number, minTempo: number): { ticks: WasmVector };
  BeatTrackerMultiFeature(signal: WasmVector, maxTempo: number, minTempo: number): { ticks: WasmVector };
}

let essentia: EssentiaApi | undefined;

/** essentia.js from its npm tarball, unpacked once under the system temp folder */
function loadEssentia(): EssentiaApi {
  if (essentia) return essentia;
  const tgz = npmTarball(ESSENTIA);
  const got = createHash('sha1').update(readFileSync(tgz)).digest('hex');
  if (got !== ESSENTIA_SHA1) throw new Error(`${tgz}: SHA-1 ${got}, expected ${ESSENTIA_SHA1}`);
  const dir = join(dirname(tgz), `essentia.js-${ESSENTIA.version}`);
  if (!existsSync(join(dir, 'package', 'package.json'))) {
    for (const [path, body] of untar(readFileSync(tgz))) {
      const out = join(dir, path);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, body);
    }
  }
  const req = createRequire(join(dir, 'package', 'index.js'));
  const wasm = req('./dist/essentia-wasm.umd.js') as { EssentiaWASM?: unknown };
  const Core = req('./dist/essentia.js-core.umd.js') as new (w: unknown) => EssentiaApi;
  essentia = new Core(wasm.EssentiaWASM ?? wasm);
  return essentia;
}

/** aubiotrack's beats on the first EVAL_SECONDS of a song's audio */
function aubioBeats(wav: string): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-aubio-'));
  try {
    const cut = join(dir, 'cut.wav');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', wav, '-t', String(EVAL_SECONDS), '-ac', '1', cut]);
    return parseBeatTimes(execFileSync('aubiotrack', ['-i', cut], { encoding: 'utf8', maxBuffer: 1 << 26 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const inEval = (t: number) => Number.isFinite(t) && t >= 0 && t <= EVAL_SECONDS;

/** aubiotrack's output, a time in seconds a line, as sorted beat times within the first EVAL_SECONDS */
export function parseBeatTimes(out: string): number[] {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Number(l.trim()))
    .filter(inEval)
    .sort((a, b) => a - b);
}

async function essentiaBeats(wav: string, which: 'degara' | 'multifeature'): Promise<number[]> {
  const e = loadEssentia();
  const pcm = await decodePcm(wav, ESSENTIA_RATE, { duration: EVAL_SECONDS });
  const v = e.arrayToVector(pcm);
  try {
    const r = which === 'degara' ? e.BeatTrackerDegara(v, MAX_BPM, MIN_BPM) : e.BeatTrackerMultiFeature(v, MAX_BPM, MIN_BPM);
    try {
      return Array.from(e.vectorToArray(r.ticks)).filter(inEval);
    } finally {
      r.ticks.delete?.(); // the wasm heap's vectors are freed by hand (embind)
    }
  } finally {
    v.delete?.();
  }
}

/** a tracker's beats on a song, from the results cache or computed (and kept) */
/** a tracker's beats on a song, from the results cache or computed (and kept); `failed` where the tracker threw
 * (Essentia's wasm throws a bare pointer for its exceptions), scored as no beats */
export async function trackerBeats(tracker: TrackerName, song: BenchSong): Promise<{ beats: number[]; failed?: string }> {
  const file = join(RESULTS, tracker, `${song.name}.json`);
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as number[] | { failed: string };
    return Array.isArray(kept) ? { beats: kept } : { beats: [], failed: kept.failed };
  }
  const wav = 'midi' in song ? await render(song) : await song.audio();
  let out: { beats: number[]; failed?: string };
  try {
    out = { beats: tracker === 'aubio' ? aubioBeats(wav) : await essentiaBeats(wav, tracker) };
  } catch (e) {
    out = { beats: [], failed: e instanceof Error ? e.message.split('\n')[0]! : `threw ${String(e)}` };
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out.failed ? { failed: out.failed } : out.beats.map((t) => Math.round(t * 1e4) / 1e4)));
  return out;
}

export interface Row {
  name: string;
  set: string;
  /** F per tracker, 'clipmatch' included */
  f: Record<string, number>;
  fAny: Record<string, number>;
  /** the committee's choice (mutual agreement) and its F */
  committee: string;
  fCommittee: number;
}

/** Zapata et al.'s selection: the candidate whose beats agree most (mean F against each other candidate taken as
 * the reference) with the others */
export function mostAgreed(cands: Record<string, number[]>): string {
  const names = Object.keys(cands);
  let best = names[0]!;
  let bestScore = -Infinity;
  for (const a of names) {
    let s = 0;
    for (const b of names) if (b !== a) s += beatFMeasure(cands[b]!, cands[a]!).f;
    if (s > bestScore) {
      bestScore = s;
      best = a;
    }
  }
  return best;
}

const arg = (flag: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);

if (process.argv[1]?.endsWith('reference-trackers.ts')) {
  const sel = (arg('--set') ?? 'all') as CacheSelection;
  if (!['all', 'heldout7', 'heldout8'].includes(sel)) throw new Error(`--set all|heldout7|heldout8, not ${sel}`);
  const { trackers, leftOut } = availableTrackers();
  for (const l of leftOut) process.stderr.write(`  left out: ${l}\n`);
  if (trackers.length === 0) throw new Error('no published tracker to compare with: see the lines above');
  const cache = loadTuneCache(sel);
  const songs = new Map((sel === 'heldout7' ? heldout7BenchSongs() : sel === 'heldout8' ? heldout8BenchSongs() : benchSongs({ heldout: true })).map((s) => [s.name, s]));
  const rows: Row[] = [];
  const failures: string[] = [];
  let i = 0;
  for (const c of cache) {
    i++;
    const song = songs.get(c.name);
    if (!song) {
      process.stderr.write(`  ${c.name}: in the cache, not in the set now; left out\n`);
      continue;
    }
    const g = gridOfFrames(c, c.fps);
    const ours = g ? g.beats.map((f) => c.start + f * c.hopSeconds) : [];
    const cands: Record<string, number[]> = { clipmatch: ours };
    for (const t of trackers) {
      const r = await trackerBeats(t, song);
      cands[t] = r.beats;
      if (r.failed) failures.push(`${t} on ${c.name}: ${r.failed}`);
    }
    const f: Record<string, number> = {};
    const fAny: Record<string, number> = {};
    for (const [k, b] of Object.entries(cands)) {
      f[k] = beatFMeasure(c.reference, b).f;
      fAny[k] = anyLevelFMeasure(c.reference, b);
    }
    const committee = mostAgreed(cands);
    rows.push({ name: c.name, set: c.set, f, fAny, committee, fCommittee: f[committee]! });
    if (i % 20 === 0) process.stderr.write(`  ${i}/${cache.length}\n`);
  }
  const cols = ['clipmatch', ...trackers];
  const cell = (rs: Row[], k: string) => `${mean(rs.map((r) => r.f[k]!)).toFixed(3)}, ${rs.filter((r) => r.f[k]! < 0.6).length}`;
  const best = (r: Row) => Math.max(...trackers.map((t) => r.f[t]!));
  const lines = [
    `| set (songs) | ${cols.join(' | ')} | best of the others | committee of all |`,
    `|---|${cols.map(() => '---').join('|')}|---|---|`,
  ];
  const sets = [...new Set(rows.map((r) => r.set))];
  for (const [name, rs] of [...sets.map((s) => [s, rows.filter((r) => r.set === s)] as const), ['all', rows] as const]) {
    const oracle = `${mean(rs.map(best)).toFixed(3)}, ${rs.filter((r) => best(r) < 0.6).length}`;
    const comm = `${mean(rs.map((r) => r.fCommittee)).toFixed(3)}, ${rs.filter((r) => r.fCommittee < 0.6).length}`;
    lines.push(`| ${name} (${rs.length}) | ${cols.map((k) => cell(rs, k)).join(' | ')} | ${oracle} | ${comm} |`);
  }
  lines.push('', `F at any level, all: ${cols.map((k) => `${k} ${mean(rows.map((r) => r.fAny[k]!)).toFixed(3)}`).join(', ')}`);
  const under = rows.filter((r) => r.f.clipmatch! < 0.6);
  lines.push(`clipmatch under 0.6: ${under.length}; of those, another tracker at 0.6 or more: ${under.filter((r) => best(r) >= 0.6).length}; every tracker under 0.6: ${rows.filter((r) => Math.max(r.f.clipmatch!, best(r)) < 0.6).length}`);
  if (failures.length) lines.push(`failed (scored as no beats): ${failures.join('; ')}`);
  if (process.argv.includes('--songs')) {
    lines.push('', `| song | set | ${cols.join(' | ')} |`, `|---|---|${cols.map(() => '---:').join('|')}|`);
    for (const r of under) lines.push(`| \`${r.name}\` | ${r.set} | ${cols.map((k) => `${r.f[k]!.toFixed(3)} (${r.fAny[k]!.toFixed(2)})`).join(' | ')} |`);
  }
  console.log(lines.join('\n'));
  const json = arg('--json');
  if (json) writeFileSync(json, JSON.stringify(rows));
}
