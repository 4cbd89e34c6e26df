// Pooled inputs, time-shifted windows, the closed-form CCA / PLS fits and the seed statistics: shapes
// and invariants on tiny inline data, a planted correlation recovered, and a saved linear model that
// embeds exactly as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binomialTail, cappedSample, evaluateRetrieval, meanInterval, signTest } from '../../src/core/recall.js';
import { createRng } from '../../src/core/random.js';
import { FEATURE_DIM } from '../../src/core/types.js';
import { parseSeeds } from '../../src/model/compare.js';
import { loadEmbedder } from '../../src/model/embedder.js';
import { fitLinear } from '../../src/model/linear.js';
import { readManifest } from '../../src/model/manifest.js';
import { evaluateEmbedder, saveRun, trainOnDataset } from '../../src/model/pipeline.js';
import { POOLED_DIM, clipRuns, epochWindows, poolClips, poolWindows, runWindows } from '../../src/model/pooled.js';
import { syntheticDataset } from '../../src/model/synthetic.js';

test('pooling: mean and std per descriptor over the real seconds, zero-padded seconds left out', () => {
  const seconds = 3;
  const clip = new Float32Array(seconds * FEATURE_DIM);
  // seconds 0 and 1 real, second 2 padding
  for (let k = 0; k < FEATURE_DIM; k++) {
    clip[k] = k;
    clip[FEATURE_DIM + k] = k + 2;
  }
  const p = poolClips(clip, 1, seconds * FEATURE_DIM);
  assert.equal(p.length, POOLED_DIM);
  assert.equal(p[5], 6); // mean of 5 and 7
  assert.equal(p[FEATURE_DIM + 5], 1); // std of 5 and 7
  assert.throws(() => poolClips(clip, 2, seconds * FEATURE_DIM), RangeError);
});

test('windows stay inside runs of consecutive clips of the given rows', () => {
  const clips = [
    { videoId: 'a', index: 0 },
    { videoId: 'a', index: 1 },
    { videoId: 'a', index: 2 },
    { videoId: 'a', index: 4 },
    { videoId: 'b', index: 0 },
  ];
  // row 2 is held out: runs are [0, 1], [3] and [4]
  const runs = clipRuns(clips, [0, 1, 3, 4]);
  assert.deepEqual(runs, [[0, 1], [3], [4]]);
  const all = runWindows(runs, 5, 1, () => 0);
  // run [0, 1]: 10 seconds give 6 shifts of a 5-s window; single clips give 1 each
  assert.equal(all.length, 6 + 1 + 1);
  for (const w of all) {
    assert.equal(w.parts.length, 5);
    assert.ok(w.parts.every(([row]) => row !== 2), 'never reads the held-out clip');
  }
  const epoch = epochWindows(runs, 5, createRng(3));
  assert.ok(epoch.length >= 2 && epoch.length <= 4);
  // a window pooled from one whole clip equals that clip pooled
  const dim = 5 * FEATURE_DIM;
  const data = Float32Array.from({ length: clips.length * dim }, (_, i) => Math.sin(i));
  const one = poolWindows(data, dim, [{ parts: [0, 1, 2, 3, 4].map((s) => [3, s] as [number, number]) }]);
  assert.deepEqual(one, poolClips(data.subarray(3 * dim, 4 * dim), 1, dim));
});

test('CCA recovers a planted correlation that PCA alone would not single out', () => {
  const rng = createRng(5);
  const n = 1000;
  const d = 20;
  const a = new Float32Array(n * d);
  const v = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const shared = rng.normal();
    for (let k = 0; k < d; k++) {
      // large private variance everywhere; the shared cause only in dimension 7 of audio and 3 of footage
      a[i * d + k] = 3 * rng.normal() + (k === 7 ? 4 * shared : 0);
      v[i * d + k] = 3 * rng.normal() + (k === 3 ? 4 * shared : 0);
    }
  }
  // true canonical correlation 16 / (16 + 9) = 0.64; chance ones with 20 dims and 1000 rows stay near 0.15
  const fit = fitLinear(a, v, n, d, { method: 'cca', pcaDims: d, ridge: 0.1, dims: 2, weightPower: 0 });
  assert.equal(fit.dims, 2);
  assert.ok((fit.strengths[0] as number) > 0.55, `first canonical correlation ${fit.strengths[0]}`);
  assert.ok((fit.strengths[0] as number) > (fit.strengths[1] as number) + 0.25, `second ${fit.strengths[1]}`);
  // through a PCA to 10 of 20 dims (the shared dims have the most variance, so they survive)
  const reduced = fitLinear(a, v, n, d, { method: 'cca', pcaDims: 10, ridge: 0.1, dims: 2, weightPower: 0 });
  assert.ok((reduced.strengths[0] as number) > 0.55);
  // the first audio direction loads on dimension 7 most
  const col = Array.from({ length: d }, (_, k) => Math.abs(fit.audio.kernel[k * 2] as number));
  assert.equal(col.indexOf(Math.max(...col)), 7);
  const pls = fitLinear(a, v, n, d, { method: 'pls', pcaDims: d, ridge: 0, dims: 2, weightPower: 0 });
  assert.equal(pls.audio.kernel.length, d * 2);
});

test('the linear baseline trains in closed form, beats chance, and saves and loads exactly', async () => {
  const ds = syntheticDataset({ clips: 200, seed: 3, noise: 1, seconds: 4 });
  const run = await trainOnDataset(ds, { arch: 'cca', split: 'clip', seed: 1, epochs: 1 });
  assert.equal(run.result.model.inputDim, POOLED_DIM);
  assert.equal(run.embedder.dim, 16);
  const r = run.eval!.galleryAll;
  assert.ok(r.audioToVideo.r5 >= 3 * r.random.r5, `R@5 ${r.audioToVideo.r5} vs random ${r.random.r5}`);
  const dir = await mkdtemp(join(tmpdir(), 'clipmatch-cca-'));
  try {
    await saveRun(dir, ds, run, 'synthetic');
    const m = await readManifest(dir);
    assert.equal(m.arch, 'cca');
    assert.equal(m.hyper.input, 'stats');
    assert.equal(m.normalisation.audio.mean.length, POOLED_DIM);
    const loaded = await loadEmbedder(dir, ds.extractors);
    assert.deepEqual(evaluateEmbedder(loaded, ds, run.split.test, { gallery: 'all' }).audioToVideo, r.audioToVideo);
    // pooled models take clips of any length
    const short = ds.audio.subarray(0, 2 * FEATURE_DIM);
    assert.equal(loaded.embedAudio(short, 1).length, 16);
    loaded.dispose?.();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  run.result.model.dispose();
});

test('galleries capped per video never hold more than the cap of one video', () => {
  const videoIds = [...Array(30).fill('long'), 'a', 'b', 'c', 'd', 'e', 'f'];
  const rng = createRng(2);
  for (let i = 0; i < 20; i++) {
    const pick = cappedSample(videoIds, 100, 3, rng);
    assert.equal(pick.length, 9);
    assert.equal(pick.filter((j) => videoIds[j] === 'long').length, 3);
  }
  const n = videoIds.length;
  const dist = Float64Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? 0 : 1));
  const r = evaluateRetrieval(dist, n, videoIds, { gallery: 'all', perVideo: 3, seed: 1 });
  assert.equal(r.gallery, 9);
  assert.equal(r.draws, 20);
  assert.equal(r.audioToVideo.r1, 1);
  assert.equal(r.random.r5, 5 / 9);
});

test('seed statistics: intervals, binomial tails, sign test, seed lists', () => {
  const m = meanInterval([0.5, 0.6, 0.7]);
  assert.ok(Math.abs(m.mean - 0.6) < 1e-12);
  // sd 0.1, t(2) = 4.303: half-width 0.1 * 4.303 / sqrt(3)
  assert.ok(Math.abs(m.high - m.mean - (0.1 * 4.303) / Math.sqrt(3)) < 1e-9);
  assert.equal(meanInterval([0.4]).low, 0.4);
  // P(X >= 2) for Binomial(3, 0.5) = 4/8
  assert.ok(Math.abs(binomialTail(2, 3, 0.5) - 0.5) < 1e-12);
  assert.equal(binomialTail(0, 10, 0.3), 1);
  assert.ok(binomialTail(60, 100, 0.05) < 1e-30, 'far tails keep their precision');
  assert.ok(Math.abs(signTest(9, 1) - 11 / 1024) < 1e-12);
  assert.deepEqual(parseSeeds('1-3,7'), [1, 2, 3, 7]);
  assert.throws(() => parseSeeds('x'), RangeError);
});
