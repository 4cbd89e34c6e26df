// Model speed: training pairs per second (reference siamese at batch 16, our two-tower at batch 128) on
// each TensorFlow.js backend present, seconds per 14,400-pair epoch, and embedding throughput in clips
// per second. Medians over timing windows; CPU-seconds are reported beside wall-seconds because the
// 2-core box is shared (tfjs wasm and cpu run on one thread, so CPU time is the uncontended time).
// Run alone:            node --import tsx bench/model.bench.ts [--real-library=DIR] [--seeds=1-3]
//                       (npm run bench -- model --real-library=DIR: speed, then the side-by-side tables)
// Side by side:         node --import tsx bench/model.bench.ts side-by-side LIB [clip|video] [1-10]
//                       node --import tsx bench/model.bench.ts side-by-side-synthetic [clips] [seeds] [method,prefixes]
// Speed only:           node --import tsx bench/model.bench.ts speed
// Cold-start checks:    node --import tsx bench/model.bench.ts correspondences LIB
// Older synthetic run:  node --import tsx bench/model.bench.ts compare [clips]
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Dataset } from '../src/library/dataset.types.js';
import { loadDataset } from '../src/library/dataset.js';
import { autoCandidates } from '../src/model/auto.js';
import { measureCorrespondences } from '../src/model/correspondences.js';
import { compareMethods, formatSummaries, parseSeeds } from '../src/model/compare.js';
import type { Method } from '../src/model/compare.js';
import { fitClosedForm } from '../src/model/fit.js';
import { POOLED_DIM } from '../src/model/pooled.js';
import { pathToFileURL } from 'node:url';
import { createRng } from '../src/core/random.js';
import type { SplitMode } from '../src/core/split.js';
import { switchBackend, tf } from '../src/model/backend.js';
import type { BackendName } from '../src/model/backend.js';
import { coldStartEmbedder } from '../src/model/embedder.js';
import { buildModel, defaultHyper, embedRows } from '../src/model/models.js';
import type { Arch, Hyper, MatchModel } from '../src/model/models.js';
import { datasetSplit, evaluateEmbedder, trainOnDataset } from '../src/model/pipeline.js';
import { syntheticDataset } from '../src/model/synthetic.js';
import { createOptimizer, epochSteps, runStep } from '../src/model/train.js';

const EPOCH_PAIRS = 14_400;
const DIM = 1280;

const median = (x: number[]): number => {
  const s = [...x].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function randomFeatures(n: number, seed: number) {
  const rng = createRng(seed);
  const f = () => Float32Array.from({ length: n * DIM }, () => rng.normal());
  return { n, dim: DIM, audio: f(), visual: f(), videoIds: Array.from({ length: n }, (_, i) => `v${i >> 3}`) };
}

interface Speed {
  batchSize: number;
  /** wall-clock and CPU-time rates, medians over windows */
  pairsPerSecond: number;
  pairsPerCpuSecond: number;
  /** seconds for 14,400 pairs at the wall-clock rate (two-tower: 14,400 clips' matching pairs) */
  secondsPerEpoch14400: number;
  secondsPerEpoch14400Cpu: number;
}

function trainSpeed(arch: Arch, windows: number, stepsPerWindow: number): Speed {
  const hyper: Hyper = defaultHyper(arch);
  const model = buildModel(hyper, DIM, createRng(1));
  const opt = createOptimizer(model);
  const data = randomFeatures(Math.max(hyper.batchSize * (windows * stepsPerWindow + 2), 64), 2);
  const steps = epochSteps(model, data, createRng(3));
  let k = 0;
  const next = () => steps[k++ % steps.length]!;
  runStep(model, opt, next()); // warm-up: kernels, operator caches, JIT
  return timeWindows(model, opt, hyper.batchSize, windows, () => Array.from({ length: stepsPerWindow }, next));
}

/**
 * Pairs per second (wall and CPU) over `windows` timed windows of training steps, medians, and the seconds
 * a 14,400-pair epoch takes at that rate; disposes the model.
 */
function timeWindows(model: MatchModel, opt: ReturnType<typeof createOptimizer>, batchSize: number, windows: number, stepsOf: (w: number) => Iterable<Parameters<typeof runStep>[2]>): Speed {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let w = 0; w < windows; w++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let pairs = 0;
    for (const st of stepsOf(w)) {
      runStep(model, opt, st);
      pairs += st.pairs;
    }
    wall.push(pairs / ((performance.now() - t0) / 1000));
    const c = process.cpuUsage(c0);
    cpu.push(pairs / ((c.user + c.system) / 1e6));
  }
  model.dispose();
  const pps = median(wall);
  const ppc = median(cpu);
  return { batchSize, pairsPerSecond: pps, pairsPerCpuSecond: ppc, secondsPerEpoch14400: EPOCH_PAIRS / pps, secondsPerEpoch14400Cpu: EPOCH_PAIRS / ppc };
}

function embedSpeed(arch: Arch, clips: number, windows: number): number {
  const model = buildModel(defaultHyper(arch), DIM, createRng(1));
  const data = randomFeatures(clips, 4);
  embedRows(model, 'audio', data.audio, clips);
  const rates: number[] = [];
  for (let w = 0; w < windows; w++) {
    const t0 = performance.now();
    embedRows(model, 'audio', data.audio, clips);
    embedRows(model, 'visual', data.visual, clips);
    rates.push(clips / ((performance.now() - t0) / 1000));
  }
  model.dispose();
  return median(rates);
}

/** Seconds per epoch of 14,400 matching pairs for the pooled two-tower of --arch auto (windows of 256 values). */
function pooledSpeed(windows: number): Speed {
  const cand = autoCandidates().find((c) => c.name === 'two-tower-stats')!;
  const model = buildModel(cand.hyper, POOLED_DIM, createRng(1));
  const opt = createOptimizer(model);
  const rng = createRng(2);
  const data = { n: EPOCH_PAIRS, dim: POOLED_DIM, audio: Float32Array.from({ length: EPOCH_PAIRS * POOLED_DIM }, () => rng.normal()), visual: Float32Array.from({ length: EPOCH_PAIRS * POOLED_DIM }, () => rng.normal()), videoIds: Array.from({ length: EPOCH_PAIRS }, (_, i) => `v${i >> 3}`) };
  runStep(model, opt, epochSteps(model, data, createRng(3))[0]!);
  return timeWindows(model, opt, cand.hyper.batchSize, windows, (w) => epochSteps(model, data, createRng(4 + w)));
}

/** Seconds of a closed-form CCA fit on 14,400 pooled windows (the linear model's whole "training"). */
function ccaFitSeconds(): number {
  const rng = createRng(5);
  const n = EPOCH_PAIRS;
  const f = () => Float32Array.from({ length: n * POOLED_DIM }, () => rng.normal());
  const data = { n, dim: POOLED_DIM, audio: f(), visual: f(), videoIds: Array.from({ length: n }, (_, i) => `v${i >> 3}`) };
  const t0 = performance.now();
  fitClosedForm(data, defaultHyper('cca'), 1).dispose();
  return (performance.now() - t0) / 1000;
}

/** `--real-library=DIR` and `--seeds=LIST` on the command line (npm run bench -- model --real-library=DIR). */
function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

export async function run(): Promise<Record<string, unknown>> {
  const out = await speed();
  // The side-by-side tables: real footage when a library is named, and the synthetic set.
  const seeds = flag('seeds') ?? '1-3';
  const real = flag('real-library');
  if (real) {
    for (const split of ['clip', 'video'] as SplitMode[]) out[`real ${split}`] = await sideBySide(await loadDataset(real, { audioOnly: true }), split, parseSeeds(seeds), 'real');
  }
  out['synthetic clip'] = await sideBySide(syntheticDataset({ clips: Number(flag('synthetic-clips') ?? 2000), seed: 7 }), 'clip', parseSeeds(flag('synthetic-seeds') ?? '1'), 'synthetic');
  out.loadavgAfter = loadavg();
  out.tensorsLeft = tf.memory().numTensors;
  return out;
}

/** Training and embedding speed on each backend present. */
export async function speed(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { note: 'pairs/s: siamese = labelled pairs at batch 16; two-tower = matching pairs (clips) at batch 128, each against 127 in-batch negatives; two-tower-stats = the pooled model of --arch auto at batch 64. embed = clips/s, audio and footage both embedded.' };
  out.loadavgBefore = loadavg();
  for (const backend of ['wasm', 'cpu'] as BackendName[]) {
    if (!(await switchBackend(backend))) {
      out[backend] = 'not present';
      continue;
    }
    const heavy = backend === 'cpu';
    out[backend] = {
      siamese: trainSpeed('siamese', 3, heavy ? 4 : 20),
      twoTower: trainSpeed('two-tower', 3, heavy ? 2 : 6),
      ...(heavy ? {} : { twoTowerStats: pooledSpeed(3), ccaFitSeconds14400: ccaFitSeconds() }),
      embedClipsPerSecond: { siamese: embedSpeed('siamese', 512, 3), twoTower: embedSpeed('two-tower', 512, 3) },
    };
  }
  await switchBackend('wasm');
  const ds = syntheticDataset({ clips: 512, seed: 1 });
  const cold = coldStartEmbedder();
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) {
    cold.embedAudio(ds.audio, 512);
    cold.embedVisual(ds.visual, 512);
  }
  out.coldStartEmbedClipsPerSecond = (5 * 512) / ((performance.now() - t0) / 1000);
  out.loadavgAfterSpeed = loadavg();
  return out;
}

/**
 * Every method side by side over seeds on one dataset. Synthetic runs cap epochs as the original
 * comparison did (siamese 6, regression 10, the rest 30) to stay within ~30 min of a shared core.
 */
export async function sideBySide(ds: Dataset, split: SplitMode, seeds: number[], kind: 'real' | 'synthetic', only?: string[]): Promise<Record<string, unknown>> {
  const cap = (n: number) => (kind === 'synthetic' ? n : 50);
  const all: Method[] = [
    { name: 'default (auto)', arch: 'auto', epochs: cap(30) },
    { name: 'linear baseline (cca)', arch: 'cca' },
    { name: 'pls', arch: 'pls' },
    { name: 'two-tower (old default)', arch: 'two-tower', epochs: cap(30) },
    { name: 'siamese (reference)', arch: 'siamese', epochs: cap(6), ...(kind === 'synthetic' ? { patience: 3 } : {}) },
    { name: 'regression (baseline)', arch: 'regression', epochs: cap(10), ...(kind === 'synthetic' ? { patience: 3 } : {}) },
    { name: 'cold start', arch: 'cold-start' },
    { name: 'random', arch: 'random' },
  ];
  const methods = only ? all.filter((m) => only.some((o) => m.name.startsWith(o))) : all;
  const load0 = loadavg();
  // Synthetic: galleries of 100 drawn 50 times, as in the earlier synthetic table; real: the whole test split.
  const rows = await compareMethods(ds, methods, { split, seeds, epochs: 50, patience: 5, gallery: kind === 'synthetic' ? 100 : 'all', log: (l) => process.stderr.write(`${kind} ${split}: ${l}\n`) });
  process.stderr.write(`${kind} ${split} split, seeds ${seeds.join(',')}:\n${formatSummaries(rows)}\n`);
  return {
    data: kind === 'synthetic' ? `synthetic hidden-cause features, ${ds.clips.length} clips (not real footage)` : `${ds.clips.length} clips of ${ds.seconds} s from ${new Set(ds.clips.map((c) => c.videoId)).size} videos`,
    split,
    seeds,
    loadavg: [load0, loadavg()],
    table: formatSummaries(rows).split('\n'),
    methods: rows,
  };
}

/** Per-correspondence rank correlations of the cold start's candidate pairs on a library (real footage). */
export async function correspondences(libraryDir: string): Promise<Record<string, unknown>> {
  const ds = await loadDataset(libraryDir, { audioOnly: true });
  return { data: `${ds.clips.length} clips of ${ds.seconds} s from ${new Set(ds.clips.map((c) => c.videoId)).size} videos`, ...measureCorrespondences(ds) };
}

/**
 * Accuracy on a synthetic library (hidden-cause data, not real footage): every architecture, both
 * splits, the cold start. Slow: minutes per run on the 2-core box.
 */
export async function compare(clips = 2000, only?: string): Promise<Record<string, unknown>> {
  await switchBackend('wasm');
  const ds = syntheticDataset({ clips, seed: 7 });
  // Epoch caps keep a full comparison within ~30 minutes of one shared core; early stopping still applies.
  const variants: { name: string; arch: Arch; epochs: number; patience: number; hyper?: Partial<Hyper>; splits?: SplitMode[] }[] = [
    { name: 'two-tower infonce', arch: 'two-tower', epochs: 30, patience: 5 },
    { name: 'two-tower triplet', arch: 'two-tower', epochs: 30, patience: 5, hyper: { loss: 'triplet' } },
    { name: 'regression', arch: 'regression', epochs: 10, patience: 3 },
    { name: 'siamese drop 0.1', arch: 'siamese', epochs: 6, patience: 3, hyper: { dropRate: 0.1 } },
    { name: 'siamese drop 0.9', arch: 'siamese', epochs: 6, patience: 3, hyper: { dropRate: 0.9 } },
    // the literal reading: outputs not L2-normalised (see defaultHyper)
    { name: 'siamese drop 0.1 unnormalised', arch: 'siamese', epochs: 6, patience: 3, hyper: { dropRate: 0.1, normalise: false }, splits: ['clip'] },
  ];
  const results: Record<string, unknown> = { data: `synthetic hidden-cause library, ${clips} clips, 10 per video (not real footage)` };
  for (const split of ['clip', 'video'] as SplitMode[]) {
    for (const v of variants.filter((x) => (!only || x.name.startsWith(only)) && (!x.splits || x.splits.includes(split)))) {
      const run = await trainOnDataset(ds, { arch: v.arch, split, seed: 1, epochs: v.epochs, patience: v.patience, hyper: v.hyper ?? {} });
      const row = (r: NonNullable<typeof run.eval>['gallery100']) => ({ ...r.audioToVideo, v2aR5: r.videoToAudio.r5, randomR5: r.random.r5, gallery: r.gallery });
      results[`${split} / ${v.name}`] = {
        epochs: run.result.history.length,
        bestEpoch: run.result.bestEpoch,
        trainSeconds: +run.result.seconds.toFixed(1),
        gallery100: run.eval ? row(run.eval.gallery100) : null,
        galleryAll: run.eval ? row(run.eval.galleryAll) : null,
      };
      process.stderr.write(`${split} / ${v.name}: ${JSON.stringify(results[`${split} / ${v.name}`])} history ${JSON.stringify(run.result.history.map((e) => [+e.loss.toFixed(3), +e.valR5.toFixed(3)]))}\n`);
      run.result.model.dispose();
    }
    const test = datasetSplit(ds, split, 1).test;
    const cold = evaluateEmbedder(coldStartEmbedder(), ds, test, { gallery: 100, seed: 1 });
    results[`${split} / cold-start`] = { ...cold.audioToVideo, randomR5: cold.random.r5 };
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const mode = process.argv[2];
  const res =
    mode === 'compare'
      ? await compare(Number(process.argv[3] ?? 2000), process.argv[4])
      : mode === 'speed'
        ? await speed()
        : mode === 'correspondences'
        ? await correspondences(process.argv[3] ?? '')
        : mode === 'side-by-side'
          ? await sideBySide(await loadDataset(process.argv[3] ?? '', { audioOnly: true }), (process.argv[4] ?? 'clip') as SplitMode, parseSeeds(process.argv[5] ?? '1-10'), 'real')
          : mode === 'side-by-side-synthetic'
            ? await sideBySide(syntheticDataset({ clips: Number(process.argv[3] ?? 2000), seed: 7 }), 'clip', parseSeeds(process.argv[4] ?? '1'), 'synthetic', process.argv[5]?.split(','))
            : await run();
  process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
}
