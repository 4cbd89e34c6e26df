// Model export to ONNX, per architecture: save (which exports), load through onnxruntime, and the
// embeddings of songs and clips equal tfjs's within 1e-5. Plus: stale graphs are ignored, and a model
// whose side is not a tower is saved without ONNX rather than exported wrongly.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../../src/core/random.js';
import { initBackend, tf } from '../../src/model/backend.js';
import { loadEmbedder } from '../../src/model/embedder.js';
import { saveModel } from '../../src/model/manifest.js';
import { ARCHS, buildModel, defaultHyper, type Arch, type MatchModel } from '../../src/model/models.js';
import { POOLED_DIM } from '../../src/model/pooled.js';
import { ONNX_INDEX_FILE, detectSides } from '../../src/model/onnx-export.js';
import type { Normalisation } from '../../src/model/data.js';
import { FEATURE_DIM } from '../../src/core/types.js';
import { embedWindows, WINDOW_SECONDS } from '../../src/services/match.service.js';
import type { Song } from '../../src/services/song.js';
import { tempDir } from '../helpers/media.js';

const t = tempDir('clipmatch-model-onnx-');
after(() => t.cleanup());

const INPUT = 5 * 128; // 5-s clips
const extractors = { audio: { name: 'test-audio', version: '1' }, visual: { name: 'test-visual', version: '1' } };

function rows(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * INPUT }, () => rng.next() * 6 - 3);
}

/** The model's own input width: pooled statistics for a 'stats' model, the seconds side by side otherwise. */
const modelDim = (arch: Arch): number => (defaultHyper(arch).input === 'stats' ? POOLED_DIM : INPUT);

function norm(seed: number, dim = INPUT): Normalisation {
  const rng = createRng(seed);
  const stats = () => ({ mean: Float32Array.from({ length: dim }, () => rng.next() - 0.5), std: Float32Array.from({ length: dim }, () => 0.5 + rng.next()) });
  return { audio: stats(), visual: stats() };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let scale = 0, d = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
  }
  return d / Math.max(scale, 1e-12);
}

async function save(name: string, model: MatchModel): Promise<string> {
  const dir = join(t.dir, name);
  await saveModel(dir, model, { extractors, norm: norm(3, model.inputDim), training: {} });
  model.dispose();
  return dir;
}

for (const arch of ARCHS) {
  void test(`${arch}: exported at save, embeds on onnxruntime equal to tfjs within 1e-5`, async () => {
    await initBackend();
    const dir = await save(arch, buildModel(defaultHyper(arch), modelDim(arch), createRng(11)));
    const index = JSON.parse(readFileSync(join(dir, ONNX_INDEX_FILE), 'utf8')) as { sides: Record<string, { graph: string }> };
    const e = await loadEmbedder(dir);
    try {
      assert.equal(e.engine, 'onnx');
      const n = 37;
      const audio = rows(n, 5), visual = rows(n, 6);
      const [oa, ov] = [await e.embedAudioAsync!(audio, n), await e.embedVisualAsync!(visual, n)];
      const [ta, tv] = [e.embedAudio(audio, n), e.embedVisual(visual, n)];
      assert.equal(oa.length, n * e.dim);
      assert.ok(maxRelDiff(oa, ta) <= 1e-5, `audio: ${maxRelDiff(oa, ta)} (${index.sides.audio!.graph})`);
      assert.ok(maxRelDiff(ov, tv) <= 1e-5, `visual: ${maxRelDiff(ov, tv)} (${index.sides.visual!.graph})`);
      assert.ok(oa.some((v) => v !== 0) && ov.some((v) => v !== 0));
    } finally {
      e.dispose?.();
    }
  });
}

void test('songs embed on onnxruntime through the match service, equal to tfjs within 1e-5', async () => {
  await initBackend();
  const arch: Arch = 'two-tower';
  const width = defaultHyper(arch).input === 'stats' ? POOLED_DIM : WINDOW_SECONDS * FEATURE_DIM;
  const dir = await save('song', buildModel(defaultHyper(arch), width, createRng(14)));
  const e = await loadEmbedder(dir);
  try {
    assert.equal(e.engine, 'onnx');
    const onnx = e.embedAudioAsync!.bind(e);
    let onnxCalls = 0;
    const spied = { ...e, embedAudioAsync: (feats: Float32Array, n: number) => (onnxCalls++, onnx(feats, n)) };
    // 40 s of per-second song features; windows at the start, inside, and past the end (clamped).
    const seconds = 40;
    const perSecond = Float32Array.from({ length: seconds * FEATURE_DIM }, (_, i) => Math.sin(i * 0.37) * 2 + ((i * 7919) % 13) / 13);
    const song: Song = { path: 'song.wav', duration: seconds, sampleRate: 16000, pcm: new Float32Array(0) };
    const starts = [0, 7.4, 15, 29.6, 35];
    const viaService = await embedWindows(song, starts, spied, perSecond);
    assert.equal(onnxCalls, 1, 'the service embedded the song on onnxruntime');
    const batch = new Float32Array(starts.length * WINDOW_SECONDS * FEATURE_DIM);
    starts.forEach((s, i) => {
      const from = Math.min(Math.round(s), seconds - WINDOW_SECONDS);
      batch.set(perSecond.subarray(from * FEATURE_DIM, (from + WINDOW_SECONDS) * FEATURE_DIM), i * WINDOW_SECONDS * FEATURE_DIM);
    });
    const tfjs = e.embedAudio(batch, starts.length);
    assert.equal(viaService.length, starts.length * e.dim);
    assert.ok(maxRelDiff(viaService, tfjs) <= 1e-5, `song: ${maxRelDiff(viaService, tfjs)}`);
    assert.ok(tfjs.some((v) => v !== 0));
    // Without the onnxruntime call the service falls back to tfjs, with the same embeddings.
    const { embedAudioAsync: _unused, ...tfjsOnly } = e;
    assert.deepEqual(await embedWindows(song, starts, tfjsOnly, perSecond), tfjs);
  } finally {
    e.dispose?.();
  }
});

void test('graphs written from other weights are ignored: the model embeds on tfjs', async () => {
  await initBackend();
  const dir = await save('stale', buildModel(defaultHyper('two-tower'), INPUT, createRng(12)));
  const path = join(dir, ONNX_INDEX_FILE);
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), fingerprint: 'two-tower-0000000000000000' }));
  const e = await loadEmbedder(dir);
  try {
    assert.notEqual(e.engine, 'onnx');
    assert.equal(e.embedVisualAsync, undefined);
  } finally {
    e.dispose?.();
  }
});

void test('a side that is no tower of the model is not exported (the save still succeeds)', async () => {
  await initBackend();
  const model = buildModel(defaultHyper('two-tower'), INPUT, createRng(13));
  // A model whose footage side scales its tower's output: tower-built, but no single tower computes it.
  const odd: MatchModel = { ...model, embedVisual: (x) => tf.mul(model.embedVisual(x), 2) };
  assert.equal(detectSides(odd).visual, undefined);
  assert.ok(detectSides(odd).audio, 'the audio side is still found');
  const dir = await save('odd', odd);
  assert.ok(existsSync(join(dir, 'manifest.json')));
  assert.ok(!existsSync(join(dir, ONNX_INDEX_FILE)));
});
