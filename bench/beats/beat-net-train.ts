// Fits the beat activation network (src/features/audio/beat-net.ts) on the cached beat bench songs
// (bench/beats/tune-cache.ts --with-heldout) with TensorFlow.js, and measures it by leaving whole groups of
// sets out: each fold trains on the other groups and scores the tracker with the network on the left-out
// songs, against the hand-built tracker on the same songs. `--final` then fits on every song and writes
// the weights the tracker ships (src/features/audio/beat-net.weights.json).
// `--rescore` scores the saved fold weights again (after a change to how the tracker uses them); `--score
// heldout7` scores the shipped weights on a cached selection none of them was fitted on.
// `--tempo-weight W` (round 7, measured, not shipped) adds a tempo head (each layer's output averaged over the
// chunk, to a softmax over TEMPO_BINS, trained on the chunk's notated tempo with W x its cross-entropy); the
// tracker then lets the head choose the metrical level (grid.ts levelFactor), which `--rescore` measures.
// Run: node --import tsx bench/beats/beat-net-train.ts [--folds [--fold-only 0,2] | --rescore] [--final] [--epochs N] [--width N]
// [--layers N] [--stretch U] [--tempo-weight W] [--out PREFIX]
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beatFMeasure } from '../../src/core/beat-eval.js';
import { HARMONIC_BANDS } from '../../src/features/audio/frames.js';
import { type BeatNetWeights, beatNet, NET_INPUTS, netInputs, shippedBeatNet } from '../../src/features/audio/beat-net.js';
import { DEFAULT_GRID, placeBeats, tempoPath, trimSilent } from '../../src/features/audio/grid.js';
import { gridOfFrames } from '../../src/features/audio/rhythm.js';
import { initBackend, tf } from '../../src/model/backend.js';
import { type CacheSelection, type CachedSong, loadTuneCache } from './tune-cache.js';

const arg = (flag: string, d: number) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const EPOCHS = arg('--epochs', 16);
const WIDTH = arg('--width', 16);
const LAYERS = arg('--layers', 10);
const CHUNK = arg('--chunk', 2048);
const BATCH = arg('--batch', 8);
const LR = arg('--lr', 0.002);
const DROPOUT = arg('--dropout', 0.1);
const SEED = arg('--seed', 1);
const OFFBEAT_WEIGHT = arg('--offbeat', 3);
/** weight of the tempo head's cross-entropy against the beat loss (0: no tempo head) */
const TEMPO_WEIGHT = arg('--tempo-weight', 0);
/** the tempo head's bins: 40..250 BPM, a quarter tone (2^(1/24)) apart */
export const TEMPO_BINS: readonly number[] = (() => {
  const out: number[] = [];
  for (let b = 40; b <= 250; b *= 2 ** (1 / 24)) out.push(Number(b.toFixed(3)));
  return out;
})();
/** chunks are time-stretched by a factor e^u, u uniform in [-STRETCH, STRETCH] (0: none) */
const STRETCH = arg('--stretch', 0);
const OUT = (() => {
  const i = process.argv.indexOf('--out');
  return i >= 0 ? process.argv[i + 1]! : join(tmpdir(), 'beat-net');
})();

/** Sets that share a source (the same synth, tools or games) are left out together. */
export const FOLDS: readonly (readonly string[])[] = [
  ['heldout5', 'heldout6'],
  ['heldout3', 'heldout4'],
  ['heldout2'],
  ['real', 'synthetic'],
  ['heldout1', 'extra'],
];

export interface Example {
  song: CachedSong;
  x: Float32Array;
  /** target per frame: 1 on a beat's frame, 0.5 next to it */
  y: Float32Array;
  /** loss weight: 0 outside the referenced span, OFFBEAT_WEIGHT between beats */
  m: Float32Array;
  /** the reference beats' frames (fractional) */
  beats: number[];
}

export function example(song: CachedSong): Example {
  const n = song.onset.length;
  const x = netInputs(song, HARMONIC_BANDS, song.fps);
  const y = new Float32Array(n);
  const m = new Float32Array(n);
  const frame = (t: number) => Math.round((t - song.start) / song.hopSeconds);
  for (const b of song.reference) {
    const f = frame(b);
    for (const [k, v] of [[-1, 0.5], [1, 0.5], [0, 1]] as const) if (f + k >= 0 && f + k < n) y[f + k] = Math.max(y[f + k]!, v);
  }
  if (song.reference.length > 0) {
    const a = Math.max(0, frame(song.reference[0]!) - Math.round(0.2 * song.fps));
    const z = Math.min(n, frame(song.reference[song.reference.length - 1]!) + Math.round(0.2 * song.fps));
    m.fill(1, a, z);
    // the points between beats, where an eighth-note pulse also has onsets, count OFFBEAT_WEIGHT times
    for (let i = 0; i + 1 < song.reference.length; i++) {
      const f = frame((song.reference[i]! + song.reference[i + 1]!) / 2);
      for (let k = -1; k <= 1; k++) if (f + k >= a && f + k < z && y[f + k] === 0) m[f + k] = OFFBEAT_WEIGHT;
    }
  }
  return { song, x, y, m, beats: song.reference.map((t) => (t - song.start) / song.hopSeconds) };
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

interface Params {
  inW: tf.Variable;
  inB: tf.Variable;
  convW: tf.Variable[];
  convB: tf.Variable[];
  outW: tf.Variable;
  outB: tf.Variable;
  tempoW: tf.Variable | null;
  tempoB: tf.Variable | null;
  dilations: number[];
}

function initParams(seed: number): Params {
  const dilations = Array.from({ length: LAYERS }, (_, i) => 2 ** i);
  const glorot = (shape: [number, number], s: number) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / (shape[0] + shape[1])), 'float32', s));
  return {
    inW: glorot([NET_INPUTS, WIDTH], seed),
    inB: tf.variable(tf.zeros([WIDTH])),
    // residual branches start small so the stack starts near the identity
    convW: dilations.map((_, l) => tf.variable(tf.randomNormal([3 * WIDTH, WIDTH], 0, 0.5 * Math.sqrt(2 / (4 * WIDTH)), 'float32', seed + 1 + l))),
    convB: dilations.map(() => tf.variable(tf.zeros([WIDTH]))),
    outW: glorot([WIDTH, 1], seed + 99),
    outB: tf.variable(tf.scalar(-2)),
    tempoW: TEMPO_WEIGHT > 0 ? glorot([LAYERS * WIDTH, TEMPO_BINS.length], seed + 199) : null,
    tempoB: TEMPO_WEIGHT > 0 ? tf.variable(tf.zeros([TEMPO_BINS.length])) : null,
    dilations,
  };
}

/** a·w with the gradients as plain products of explicit transposes: the wasm backend's transposed
 * products (the default gradient) are 5-10x slower at these shapes. */
const mm = tf.customGrad(((a: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a as tf.Tensor2D, w as tf.Tensor2D]);
  return {
    value: tf.matMul(a as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sw)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** The beat logits [B, T] and, with a tempo head, its logits [B, bins] from each layer's output averaged over the chunk. */
function forward(p: Params, x: tf.Tensor3D, training: boolean): { beat: tf.Tensor2D; tempo: tf.Tensor2D | null } {
  const [B, T] = x.shape;
  const pooled: tf.Tensor2D[] = [];
  let h = tf.add(mm(x.reshape([B * T, NET_INPUTS]), p.inW as tf.Tensor2D), p.inB).reshape([B, T, WIDTH]) as tf.Tensor3D;
  p.dilations.forEach((d, l) => {
    // taps t-d, t, t+d: three products, the outer two shifted by d (zero beyond the ends)
    const K = p.convW[l]!;
    const flat = h.reshape([B * T, WIDTH]) as tf.Tensor2D;
    const tap = (k: number) => mm(flat, K.slice([k * WIDTH, 0], [WIDTH, WIDTH]) as tf.Tensor2D).reshape([B, T, WIDTH]) as tf.Tensor3D;
    const z0 = tap(0);
    const z2 = tap(2);
    let sum = tf.add(tap(1), p.convB[l]!);
    if (d < T) {
      sum = tf.add(sum, tf.pad(z0.slice([0, 0, 0], [B, T - d, WIDTH]), [[0, 0], [d, 0], [0, 0]]));
      sum = tf.add(sum, tf.pad(z2.slice([0, d, 0], [B, T - d, WIDTH]), [[0, 0], [0, d], [0, 0]]));
    }
    let r = tf.elu(sum);
    if (p.tempoW) pooled.push(tf.mean(r, 1) as tf.Tensor2D);
    if (training && DROPOUT > 0) r = tf.dropout(r, DROPOUT);
    h = tf.add(h, r) as tf.Tensor3D;
  });
  const beat = tf.add(mm(h.reshape([B * T, WIDTH]), p.outW as tf.Tensor2D), p.outB).reshape([B, T]) as tf.Tensor2D;
  const tempo = p.tempoW && p.tempoB ? (tf.add(mm(tf.concat(pooled, 1), p.tempoW as tf.Tensor2D), p.tempoB) as tf.Tensor2D) : null;
  return { beat, tempo };
}

/** The tempo head's target for a chunk: a Gaussian over the bins (one bin wide) at the median beat period of
 * the reference beats inside frames [off, off + len), or null where fewer than 4 beats fall there. */
function tempoTarget(beats: readonly number[], off: number, len: number, fps: number, out: Float32Array, at: number): boolean {
  const inside = beats.filter((b) => b >= off && b < off + len);
  if (inside.length < 4) return false;
  const gaps = inside.slice(1).map((b, i) => b - inside[i]!).sort((a, b) => a - b);
  const bpm = (60 * fps) / gaps[Math.floor(gaps.length / 2)]!;
  if (bpm < TEMPO_BINS[0]! / 1.03 || bpm > TEMPO_BINS[TEMPO_BINS.length - 1]! * 1.03) return false;
  const pos = Math.log2(bpm / TEMPO_BINS[0]!) * 24;
  let sum = 0;
  for (let k = 0; k < TEMPO_BINS.length; k++) sum += out[at + k] = Math.exp(-0.5 * (k - pos) ** 2);
  for (let k = 0; k < TEMPO_BINS.length; k++) out[at + k]! /= sum;
  return true;
}

async function exportWeights(p: Params): Promise<BeatNetWeights> {
  // 9 significant digits give the float32 values back exactly, in half the text
  const arr = async (v: tf.Variable) => Array.from(await v.data(), (x) => Number(x.toPrecision(9)));
  return {
    width: WIDTH,
    dilations: p.dilations,
    inW: await arr(p.inW),
    inB: await arr(p.inB),
    convW: await Promise.all(p.convW.map(arr)),
    convB: await Promise.all(p.convB.map(arr)),
    outW: await arr(p.outW),
    outB: (await arr(p.outB))[0]!,
    ...(p.tempoW && p.tempoB ? { tempo: { bpm: [...TEMPO_BINS], w: await arr(p.tempoW), b: await arr(p.tempoB) } } : {}),
  };
}

/** Chunk `b` of the batch from `e` played `f` times faster (output frame k reads source frame off + k f): inputs
 * interpolated, targets rebuilt from the beats, loss weights from the nearest frame. */
function stretchChunk(e: Example, f: number, rand: () => number, xs: Float32Array, ys: Float32Array, ms: Float32Array, b: number): number {
  const n = e.y.length;
  const span = Math.ceil(CHUNK * f);
  const off = n > span + 1 ? Math.floor(rand() * (n - span - 1)) : 0;
  const len = Math.min(CHUNK, Math.floor((n - 1 - off) / f));
  for (let k = 0; k < len; k++) {
    const p = off + k * f;
    const i = Math.floor(p);
    const w = p - i;
    for (let c = 0; c < NET_INPUTS; c++) xs[(b * CHUNK + k) * NET_INPUTS + c] = (1 - w) * e.x[i * NET_INPUTS + c]! + w * e.x[Math.min(n - 1, i + 1) * NET_INPUTS + c]!;
    ms[b * CHUNK + k] = e.m[Math.min(n - 1, Math.round(p))]!;
  }
  for (const bf of e.beats) {
    const k = Math.round((bf - off) / f);
    for (const [d, v] of [[-1, 0.5], [1, 0.5], [0, 1]] as const) if (k + d >= 0 && k + d < len) ys[b * CHUNK + k + d] = Math.max(ys[b * CHUNK + k + d]!, v);
  }
  return off;
}

/** Trains on `train` and returns the weights. */
export async function train(examples: Example[], log: (s: string) => void): Promise<BeatNetWeights> {
  const p = initParams(SEED);
  const opt = tf.train.adam(LR);
  const rand = rng(SEED);
  const lengths = examples.map((e) => e.m.reduce((s, v) => s + (v > 0 ? 1 : 0), 0));
  const total = lengths.reduce((a, b) => a + b, 0);
  const steps = Math.max(1, Math.round(total / (CHUNK * BATCH)));
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const t0 = Date.now();
    let lossSum = 0;
    if (epoch === Math.round(EPOCHS * 0.7)) (opt as unknown as { learningRate: number }).learningRate = LR / 4;
    for (let s = 0; s < steps; s++) {
      const xs = new Float32Array(BATCH * CHUNK * NET_INPUTS);
      const ys = new Float32Array(BATCH * CHUNK);
      const ms = new Float32Array(BATCH * CHUNK);
      const K = TEMPO_BINS.length;
      const ts = new Float32Array(BATCH * K);
      const tm = new Float32Array(BATCH);
      for (let b = 0; b < BATCH; b++) {
        // songs in proportion to their length
        let r = rand() * total;
        let k = 0;
        while (k < examples.length - 1 && r >= lengths[k]!) r -= lengths[k++]!;
        const e = examples[k]!;
        const n = e.y.length;
        const f = STRETCH > 0 ? Math.exp((2 * rand() - 1) * STRETCH) : 1;
        if (f === 1) {
          const off = n > CHUNK ? Math.floor(rand() * (n - CHUNK)) : 0;
          const len = Math.min(CHUNK, n - off);
          xs.set(e.x.subarray(off * NET_INPUTS, (off + len) * NET_INPUTS), b * CHUNK * NET_INPUTS);
          ys.set(e.y.subarray(off, off + len), b * CHUNK);
          ms.set(e.m.subarray(off, off + len), b * CHUNK);
          if (tempoTarget(e.beats, off, len, e.song.fps, ts, b * K)) tm[b] = 1;
        } else {
          const off = stretchChunk(e, f, rand, xs, ys, ms, b);
          if (tempoTarget(e.beats.map((x) => (x - off) / f), 0, CHUNK, e.song.fps, ts, b * K)) tm[b] = 1;
        }
      }
      const loss = opt.minimize(() =>
        tf.tidy(() => {
          const out = forward(p, tf.tensor3d(xs, [BATCH, CHUNK, NET_INPUTS]), true);
          const y = tf.tensor2d(ys, [BATCH, CHUNK]);
          const m = tf.tensor2d(ms, [BATCH, CHUNK]);
          let l = tf.losses.sigmoidCrossEntropy(y, out.beat, m) as tf.Scalar;
          if (out.tempo && tm.some((v) => v > 0)) {
            const ce = tf.losses.softmaxCrossEntropy(tf.tensor2d(ts, [BATCH, K]), out.tempo, tf.tensor1d(tm));
            l = tf.add(l, tf.mul(TEMPO_WEIGHT, ce)) as tf.Scalar;
          }
          return l;
        }),
        true,
      );
      lossSum += (await loss!.data())[0]!;
      loss!.dispose();
    }
    log(`  epoch ${epoch + 1}/${EPOCHS} loss ${(lossSum / steps).toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(1)} s, ${steps} steps)`);
  }
  const w = await exportWeights(p);
  // the shipped inference (plain TypeScript) must give what the trained graph gives
  const e = examples[0]!;
  const n = Math.min(e.y.length, 4096);
  const x = e.x.subarray(0, n * NET_INPUTS);
  const o = forward(p, tf.tensor3d(x, [1, n, NET_INPUTS]), false);
  const want = tf.sigmoid(o.beat).dataSync();
  const wantTempo = o.tempo ? tf.softmax(o.tempo).dataSync() : null;
  tf.dispose([o.beat, ...(o.tempo ? [o.tempo] : [])]);
  const got = beatNet(w, x);
  let diff = 0;
  for (let t = 0; t < n; t++) diff = Math.max(diff, Math.abs(want[t]! - got.activation[t]!));
  if (wantTempo) for (let k = 0; k < wantTempo.length; k++) diff = Math.max(diff, Math.abs(wantTempo[k]! - got.tempo![k]!));
  if (diff > 1e-3) throw new Error(`beatNet differs from the trained graph by ${diff}`);
  return w;
}

/** The network alone: the tempo path of its activation's autocorrelation, then the DP on it (measured, not shipped). */
export function decodeActivation(act: Float32Array, rows: { rms: ArrayLike<number>; fps: number }): number[] {
  const a = Float64Array.from(act);
  const tempo = tempoPath(a, rows.fps, DEFAULT_GRID);
  const period = tempo.bpm.map((b) => (60 * rows.fps) / b);
  return trimSilent(placeBeats(a, period, DEFAULT_GRID.tightness), rows.rms);
}

interface Scored {
  name: string;
  set: string;
  /** the tracker as shipped: the network's contrast in the phase choice */
  hybrid: number;
  /** the network alone */
  net: number;
  /** the tracker without the network */
  hand: number;
}

/** One song's F three ways with weights `w`. */
function scoreSong(e: Example, w: BeatNetWeights): Scored {
  const F = (frames: number[]) => beatFMeasure(e.song.reference, frames.map((f) => e.song.start + f * e.song.hopSeconds)).f;
  const out = beatNet(w, e.x);
  return {
    name: e.song.name,
    set: e.song.set,
    hybrid: F(gridOfFrames(e.song, e.song.fps, w, out)?.beats ?? []),
    net: F(decodeActivation(out.activation, e.song)),
    hand: F(gridOfFrames(e.song, e.song.fps, null)?.beats ?? []),
  };
}

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);

if (process.argv[1]?.endsWith('beat-net-train.ts')) {
  const backend = await initBackend();
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`backend ${backend}; width ${WIDTH}, layers ${LAYERS}, epochs ${EPOCHS}, chunk ${CHUNK} x ${BATCH}, lr ${LR}`);
  const under = (x: number[]) => x.filter((v) => v < 0.6).length;
  const line = (label: string, rs: Scored[]) =>
    `${label.padEnd(10)} shipped ${mean(rs.map((r) => r.hybrid)).toFixed(3)} (<0.6 ${under(rs.map((r) => r.hybrid))}/${rs.length})  network alone ${mean(rs.map((r) => r.net)).toFixed(3)} (<0.6 ${under(rs.map((r) => r.net))})  without it ${mean(rs.map((r) => r.hand)).toFixed(3)} (<0.6 ${under(rs.map((r) => r.hand))})`;
  const scoreSel = process.argv.indexOf('--score');
  if (scoreSel >= 0) {
    // the shipped weights on a cached selection none of them was fitted on (heldout7), scored once
    const w = shippedBeatNet();
    if (!w) throw new Error('no src/features/audio/beat-net.weights.json: run --final first');
    const rows = loadTuneCache(process.argv[scoreSel + 1] as CacheSelection).map((song) => scoreSong(example(song), w));
    for (const r of rows) log(`  ${r.name.padEnd(40)} shipped ${r.hybrid.toFixed(3)}  network alone ${r.net.toFixed(3)}  without it ${r.hand.toFixed(3)}`);
    log(line(`${process.argv[scoreSel + 1]}:`, rows));
  }
  const folds = process.argv.includes('--folds') || process.argv.includes('--rescore');
  const examples = folds || process.argv.includes('--final') ? loadTuneCache(true).map(example) : [];
  if (folds) {
    // per left-out song: the tracker as shipped, the network alone and the tracker without the network
    const rows: Scored[] = [];
    const only = process.argv.indexOf('--fold-only');
    const picked = only >= 0 ? process.argv[only + 1]!.split(',').map(Number) : FOLDS.map((_, i) => i);
    for (const fold of FOLDS.filter((_, i) => picked.includes(i))) {
      const test = examples.filter((e) => fold.includes(e.song.set));
      const file = `${OUT}-fold-${fold.join('+')}.json`;
      let w: BeatNetWeights;
      if (process.argv.includes('--rescore')) w = JSON.parse(readFileSync(file, 'utf8')) as BeatNetWeights;
      else {
        const trainSet = examples.filter((e) => !fold.includes(e.song.set));
        log(`fold ${fold.join('+')}: train ${trainSet.length}, test ${test.length}`);
        w = await train(trainSet, log);
        writeFileSync(file, JSON.stringify(w));
      }
      for (const e of test) rows.push(scoreSong(e, w));
      log(line(`  fold ${fold.join('+')}`, rows.filter((r) => fold.includes(r.set))));
    }
    writeFileSync(`${OUT}-folds.json`, JSON.stringify(rows));
    for (const s of [...new Set(rows.map((r) => r.set))]) log(line(s, rows.filter((r) => r.set === s)));
    log(line('all', rows));
  }
  if (process.argv.includes('--final')) {
    const w = await train(examples, log);
    writeFileSync(join('src', 'features', 'audio', 'beat-net.weights.json'), `${JSON.stringify(w)}\n`);
    log('wrote src/features/audio/beat-net.weights.json');
  }
}
