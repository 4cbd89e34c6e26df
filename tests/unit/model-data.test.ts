import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../src/core/random.js';
import { FEATURE_DIM } from '../../src/core/types.js';
import { EQUAL_BLOCKS_PCA_WEIGHT, applyStats, clipBatches, fitNormalisation, fitStats, gatherRows, pairBatches } from '../../src/model/data.js';
import { coldStartEmbedder } from '../../src/model/embedder.js';
import { AUDIO_LAYOUT } from '../../src/features/audio/layout.js';
import { VISUAL_LAYOUT } from '../../src/features/visual/layout.js';
import { syntheticDataset } from '../../src/model/synthetic.js';

test('normalisation is fitted on the given rows only and maps them to zero mean, unit std', () => {
  // 4 rows x 2 dims; row 3 is an outlier not in the fit
  const data = Float32Array.from([1, 5, 3, 5, 5, 5, 100, 100]);
  const s = fitStats(data, 2, [0, 1, 2]);
  assert.deepEqual([...s.mean], [3, 5]);
  assert.ok(Math.abs((s.std[0] as number) - Math.sqrt(8 / 3)) < 1e-6);
  assert.equal(s.std[1], 1, 'a constant column keeps unit scale');
  const z = applyStats(s, gatherRows(data, 2, [0, 2]), 2);
  assert.ok(Math.abs((z[0] as number) + (z[2] as number)) < 1e-6);
  assert.equal(z[1], 0);
});

test('the PCA weight scales the visual PCA values of every second and leaves cues and audio alone', () => {
  const rng = createRng(5);
  const n = 40;
  const dim = 2 * FEATURE_DIM;
  const audio = Float32Array.from({ length: n * dim }, () => rng.normal() * 3 + 1);
  const visual = Float32Array.from({ length: n * dim }, () => rng.normal() * 2 - 4);
  const rows = Array.from({ length: n }, (_, i) => i);
  const norm = fitNormalisation(audio, visual, dim, rows, 0.5);
  const v = applyStats(norm.visual, visual, n);
  const a = applyStats(norm.audio, audio, n);
  const sd = (x: Float32Array, k: number) => Math.sqrt(rows.reduce((s, r) => s + (x[r * dim + k] as number) ** 2, 0) / n);
  for (const s of [0, FEATURE_DIM]) {
    assert.ok(Math.abs(sd(v, s + VISUAL_LAYOUT.pca.start) - 0.5) < 1e-3);
    assert.ok(Math.abs(sd(v, s + VISUAL_LAYOUT.brightness) - 1) < 1e-3);
    assert.ok(Math.abs(sd(a, s) - 1) < 1e-3);
  }
  // at the default weight the PCA block and the cue block carry equal total variance
  assert.ok(Math.abs(VISUAL_LAYOUT.pca.count * EQUAL_BLOCKS_PCA_WEIGHT ** 2 - VISUAL_LAYOUT.cues.count) < 1e-9);
});

test('pair batches alternate matching and non-matching pairs and cover each clip twice', () => {
  const batches = pairBatches(50, 16, createRng(1));
  const all = batches.flatMap((b) => b.labels.map((y, i) => ({ y, a: b.audioRows[i] as number, v: b.visualRows[i] as number })));
  assert.equal(all.length, 100);
  assert.equal(batches[0]?.labels.length, 16);
  all.forEach((p, i) => {
    assert.equal(p.y, i % 2 === 0 ? 1 : 0);
    assert.equal(p.a === p.v, p.y === 1);
  });
  assert.equal(new Set(all.filter((p) => p.y === 1).map((p) => p.a)).size, 50);
});

test('clip batches partition the clips and fold a tiny tail', () => {
  const b = clipBatches(130, 64, createRng(2));
  assert.deepEqual(b.map((x) => x.length), [64, 66]);
  assert.equal(new Set(b.flat()).size, 130);
});

test('synthetic dataset has the Dataset shape and is deterministic', () => {
  const a = syntheticDataset({ clips: 25, seed: 3, clipsPerVideo: 10 });
  const b = syntheticDataset({ clips: 25, seed: 3, clipsPerVideo: 10 });
  assert.equal(a.dim, 10 * FEATURE_DIM);
  assert.equal(a.audio.length, 25 * a.dim);
  assert.equal(new Set(a.clips.map((c) => c.videoId)).size, 3);
  assert.deepEqual(a.visual.slice(0, 50), b.visual.slice(0, 50));
});

test('cold start follows the correspondences measured on real footage', () => {
  const e = coldStartEmbedder();
  const seconds = 10;
  const dim = seconds * FEATURE_DIM;
  const near = (ea: Float32Array, ev: Float32Array, i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < e.dim; k++) s += ((ea[i * e.dim + k] as number) - (ev[j * e.dim + k] as number)) ** 2;
    return s;
  };
  // Bright timbre (high spectral centroid) with colourful footage, dull timbre with drab footage.
  const audio = (centroid: number, rms: (s: number) => number) => {
    const a = new Float32Array(dim);
    for (let s = 0; s < seconds; s++) {
      a[s * FEATURE_DIM + AUDIO_LAYOUT.centroid] = centroid;
      a[s * FEATURE_DIM + AUDIO_LAYOUT.rms] = rms(s);
      a[s * FEATURE_DIM + AUDIO_LAYOUT.mel.start] = -5; // a real second, not padding
    }
    return a;
  };
  const footage = (colour: number, motion: (s: number) => number) => {
    const v = new Float32Array(dim);
    for (let s = 0; s < seconds; s++) {
      v[s * FEATURE_DIM + VISUAL_LAYOUT.colourfulness] = colour;
      v[s * FEATURE_DIM + VISUAL_LAYOUT.motion] = motion(s);
    }
    return v;
  };
  const flat = () => 0.1;
  let ea = e.embedAudio(Float32Array.from([...audio(0.1, flat), ...audio(0.35, flat)]), 2);
  let ev = e.embedVisual(Float32Array.from([...footage(-0.8, flat), ...footage(0.9, flat)]), 2);
  assert.ok(near(ea, ev, 0, 0) < near(ea, ev, 0, 1), 'dull sound nearer drab footage');
  assert.ok(near(ea, ev, 1, 1) < near(ea, ev, 1, 0), 'bright sound nearer colourful footage');
  // The same loudness curve as the motion curve beats the reversed one (synchrony).
  const rise = (s: number) => 0.05 + 0.02 * s;
  const fall = (s: number) => 0.05 + 0.02 * (seconds - 1 - s);
  ea = e.embedAudio(audio(0.2, rise), 1);
  ev = e.embedVisual(Float32Array.from([...footage(0, (s) => rise(s) * 5), ...footage(0, (s) => fall(s) * 5)]), 2);
  assert.ok(near(ea, ev, 0, 0) < near(ea, ev, 0, 1), 'loudness rising with motion is nearer than against it');
  assert.ok(ea.every(Number.isFinite) && ev.every(Number.isFinite));
  // unit vectors: cosine ranking
  assert.ok(Math.abs(Math.hypot(...ea) - 1) < 1e-5);
  // padding-only clips embed to zeros, never NaN
  assert.ok(e.embedVisual(new Float32Array(dim), 1).every((x) => x === 0));
});
