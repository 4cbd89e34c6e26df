// A tracker-independent check of the audio sets' reference beats (run alone: round 4's set, heldout2): for each
// song, the mean full-band onset envelope (analyzeFrames' log-mel flux, the `onset` row) at the reference beats,
// against the same grid shifted by 1/4, 1/3, 1/2, 2/3 and 3/4 of a beat and by ±30, ±60 ms, each over the envelope's mean; and the lag within
// ±100 ms (2-ms steps) where the mean peaks, over the whole song and over each half of its beats; and the mean
// on pulses at 2/3, 3/4, 4/3 and 3/2 of the beat from the first beat (a 6/8 song whose audio runs in
// quarters, three to the bar, scores higher on the 2/3 pulse than on its notated beats). A right
// reference peaks at 0 ms (within a frame or so) in both halves; a wrong delay or offset shows as the same
// lag in both halves, a wrong tempo or tick unit as a lag that drifts. It never runs the beat tracker.
// Run: node --import tsx bench/beats/check-reference.ts [--json]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AUDIO_SAMPLE_RATE } from '../../src/core/types.js';
import { analyzeFrames } from '../../src/features/audio/frames.js';
import { decodePcm } from '../../src/media/ffmpeg.js';
import { audibleReference, heldoutSongs, renderHeldout, type AudioSongSpec } from './heldout.js';

const CACHE = join(tmpdir(), 'clipmatch-beats-renders');

export interface ReferenceCheck {
  name: string;
  source: string;
  bpm: number;
  seconds: number;
  beats: number;
  /** mean envelope at the beats shifted by each offset, over the envelope's mean */
  at: Record<string, number>;
  /** lag (ms) within ±100 ms where the mean envelope at the shifted grid peaks: all beats, first half, second half */
  bestLagMs: number;
  firstHalfLagMs: number;
  secondHalfLagMs: number;
  renderMs: number;
}

/** mean of the envelope at times `t` (linear interpolation between frame centres) */
export function meanAt(env: Float32Array, frameTime: (i: number) => number, framesPerSecond: number, times: readonly number[]): number {
  let sum = 0;
  let n = 0;
  const t0 = frameTime(0);
  for (const t of times) {
    const x = (t - t0) * framesPerSecond;
    const i = Math.floor(x);
    if (i < 0 || i + 1 >= env.length) continue;
    const f = x - i;
    sum += env[i]! * (1 - f) + env[i + 1]! * f;
    n++;
  }
  return n ? sum / n : 0;
}

/** The grid shifted by these fractions of a beat: quarters and halves, and the eighths of a compound beat. */
export const BEAT_SHIFTS: readonly (readonly [string, number])[] = [
  ['0.25 beat', 1 / 4],
  ['1/3 beat', 1 / 3],
  ['0.5 beat', 1 / 2],
  ['2/3 beat', 2 / 3],
  ['0.75 beat', 3 / 4],
];

/** The grid shifted by `frac` of each beat's gap to the next (the last beat reuses the gap before it; a lone
 * beat the median gap, or 0.5 s). */
export function shiftedGrid(reference: readonly number[], frac: number): number[] {
  const gaps = reference.slice(1).map((t, i) => t - reference[i]!);
  const sorted = [...gaps].sort((a, b) => a - b);
  const period = sorted[sorted.length >> 1] ?? 0.5;
  return reference.map((t, i) => t + frac * (gaps[i] ?? gaps[i - 1] ?? period));
}

/** Times every `ratio` beats from the first reference beat, by linear interpolation between the beats. */
export function crossPulse(reference: readonly number[], ratio: number): number[] {
  const out: number[] = [];
  for (let u = 0; u <= reference.length - 1; u += ratio) {
    const i = Math.floor(u);
    const f = u - i;
    out.push(i + 1 < reference.length ? reference[i]! + f * (reference[i + 1]! - reference[i]!) : reference[i]!);
  }
  return out;
}

export function checkReference(
  pcm: Float32Array,
  sampleRate: number,
  reference: readonly number[],
): { at: Record<string, number>; bestLagMs: number; firstHalfLagMs: number; secondHalfLagMs: number } {
  const fa = analyzeFrames(pcm, sampleRate, false);
  const env = fa.onset;
  const fps = sampleRate / fa.hop;
  const frameTime = (i: number) => (i * fa.hop + fa.win / 2) / sampleRate;
  let mean = 0;
  for (const v of env) mean += v;
  mean = mean / Math.max(1, env.length) || 1;
  const at: Record<string, number> = {};
  const r = (x: number) => Math.round((x / mean) * 100) / 100;
  at['0'] = r(meanAt(env, frameTime, fps, reference));
  for (const [label, frac] of BEAT_SHIFTS) at[label] = r(meanAt(env, frameTime, fps, shiftedGrid(reference, frac)));
  for (const ms of [-60, -30, 30, 60]) at[`${ms > 0 ? '+' : ''}${ms} ms`] = r(meanAt(env, frameTime, fps, reference.map((t) => t + ms / 1000)));
  // pulses across the beat from its first one (quarters against dotted quarters in 6/8, dotted eighths
  // against quarters): where one scores as high as the beats, the audio's pulse is not the notated beat
  for (const [label, ratio] of [['2/3 pulse', 2 / 3], ['3/4 pulse', 3 / 4], ['4/3 pulse', 4 / 3], ['3/2 pulse', 3 / 2]] as const) at[label] = r(meanAt(env, frameTime, fps, crossPulse(reference, ratio)));
  const peakLag = (beats: readonly number[]) => {
    let lag = 0;
    let best = -Infinity;
    for (let ms = -100; ms <= 100; ms += 2) {
      const v = meanAt(env, frameTime, fps, beats.map((t) => t + ms / 1000));
      if (v > best) {
        best = v;
        lag = ms;
      }
    }
    return lag;
  };
  const mid = reference.length >> 1;
  return { at, bestLagMs: peakLag(reference), firstHalfLagMs: peakLag(reference.slice(0, mid)), secondHalfLagMs: peakLag(reference.slice(mid)) };
}

/** Renders (or reuses the render of) each song under `cache`, decodes it (the first `seconds` of it, all of it
 * when undefined), keeps the reference beats within the audio and its audible part, and checks them. */
export async function checkSpecs(specs: readonly AudioSongSpec[], cache: string, seconds?: number): Promise<ReferenceCheck[]> {
  const checks: ReferenceCheck[] = [];
  for (const s of specs) {
    process.stderr.write(`  check: ${s.name}\n`);
    const t0 = performance.now();
    const wav = await renderHeldout(s, cache);
    const renderMs = performance.now() - t0;
    const pcm = await decodePcm(wav, AUDIO_SAMPLE_RATE, seconds === undefined ? {} : { duration: seconds });
    const length = pcm.length / AUDIO_SAMPLE_RATE;
    const reference = audibleReference(s.reference.filter((t) => t <= length), pcm, AUDIO_SAMPLE_RATE);
    const c = checkReference(pcm, AUDIO_SAMPLE_RATE, reference);
    checks.push({ name: s.name, source: s.source, bpm: s.bpm, seconds: Math.round(length * 10) / 10, beats: reference.length, ...c, renderMs: Math.round(renderMs) });
  }
  return checks;
}

/** A check script's command line: `--only a,b` picks songs, `--json` prints JSON, else the Markdown table
 * `table` makes and the songs left out. */
export async function checkCli<T>(
  run: (only?: readonly string[]) => Promise<{ checks: T[]; leftOut: { name: string; reason: string }[] }>,
  table: (checks: T[]) => string[],
): Promise<void> {
  const i = process.argv.indexOf('--only');
  const out = await run(i >= 0 ? process.argv[i + 1]!.split(',') : undefined);
  if (process.argv.includes('--json')) console.log(JSON.stringify(out, null, 2));
  else {
    for (const line of table(out.checks)) console.log(line);
    for (const l of out.leftOut) console.log(`left out: ${l.name}: ${l.reason}`);
  }
}

export async function run(): Promise<{ checks: ReferenceCheck[]; leftOut: { name: string; reason: string }[] }> {
  const { songs, leftOut } = heldoutSongs();
  for (const l of leftOut) process.stderr.write(`  left out: ${l.name}: ${l.reason}\n`);
  return { checks: await checkSpecs(songs, CACHE), leftOut };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = await run();
  if (process.argv.includes('--json')) console.log(JSON.stringify(out, null, 2));
  else {
    const keys = Object.keys(out.checks[0]?.at ?? {});
    console.log(`| song | BPM | s | beats | ${keys.join(' | ')} | peak lag ms (all / 1st half / 2nd half) | render ms |`);
    console.log(`|---|---:|---:|---:|${keys.map(() => '---:').join('|')}|---:|---:|`);
    for (const c of out.checks) {
      const cells = keys.map((k) => c.at[k]!.toFixed(2)).join(' | ');
      console.log(`| ${c.name} | ${Math.round(c.bpm * 100) / 100} | ${c.seconds} | ${c.beats} | ${cells} | ${c.bestLagMs} / ${c.firstHalfLagMs} / ${c.secondHalfLagMs} | ${c.renderMs} |`);
    }
    for (const l of out.leftOut) console.log(`left out: ${l.name}: ${l.reason}`);
  }
}
