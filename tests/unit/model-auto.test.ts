// The default (--arch auto) on a small library of 100 clips must beat the linear baseline by a margin a
// sign test on the same held-out queries supports. The library is synthetic: every clip holds the same
// per-second causes in its own order, so sound and picture agree only in their timing (as a music
// video's cuts follow its beats). Per-clip statistics then carry nothing, the pooled linear baseline
// sits at chance, and auto must find that on the training side alone and pick a model of the seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialTail, ranksFromDistances, signTest, squaredDistances } from '../../src/core/recall.js';
import type { Embedder } from '../../src/model/embedder.js';
import { trainOnDataset } from '../../src/model/pipeline.js';
import { syntheticDataset } from '../../src/model/synthetic.js';

const ds = syntheticDataset({ clips: 100, seed: 5, seconds: 5, latent: 2, noise: 0.5, timing: true, clipsPerVideo: 10 });

function hits(e: Embedder, rows: number[]): boolean[] {
  const n = rows.length;
  const gather = (src: Float32Array) => {
    const out = new Float32Array(n * ds.dim);
    rows.forEach((r, i) => out.set(src.subarray(r * ds.dim, (r + 1) * ds.dim), i * ds.dim));
    return out;
  };
  const ranks = ranksFromDistances(squaredDistances(e.embedAudio(gather(ds.audio), n), n, e.embedVisual(gather(ds.visual), n), n, e.dim), n, n);
  return [...ranks].map((r) => r <= 5);
}

test('on a 100-clip library the default beats the linear baseline on the same queries (sign test)', { timeout: 300_000 }, async (t) => {
  let wins = 0;
  let losses = 0;
  let autoHits = 0;
  let linearHits = 0;
  let queries = 0;
  for (const seed of [1, 2]) {
    const auto = await trainOnDataset(ds, { arch: 'auto', split: 'clip', seed, epochs: 50, patience: 5 });
    const linear = await trainOnDataset(ds, { arch: 'cca', split: 'clip', seed, epochs: 1 });
    assert.ok(auto.auto, 'auto records its choice');
    assert.notEqual(auto.auto.chosen, 'cca', `seed ${seed}: ${auto.auto.reason}`);
    assert.ok(auto.auto.scores.length >= 3 && auto.auto.scores.every((s) => s.folds.length === auto.auto!.folds));
    assert.deepEqual(auto.split.test, linear.split.test, 'same held-out clips');
    const a = hits(auto.embedder, auto.split.test);
    const l = hits(linear.embedder, linear.split.test);
    a.forEach((h, i) => {
      if (h && !l[i]) wins++;
      else if (!h && l[i]) losses++;
    });
    autoHits += a.filter(Boolean).length;
    linearHits += l.filter(Boolean).length;
    queries += a.length;
    t.diagnostic(`seed ${seed}: auto chose ${auto.auto.chosen}; ${auto.auto.reason}`);
    auto.result.model.dispose();
    linear.result.model.dispose();
  }
  const p = signTest(wins, losses);
  t.diagnostic(`R@5 auto ${(autoHits / queries).toFixed(2)} vs linear ${(linearHits / queries).toFixed(2)} over ${queries} queries; +${wins} -${losses}, sign test p = ${p.toExponential(1)}`);
  assert.ok(p < 0.01, `auto +${wins} -${losses} against the linear baseline (p = ${p})`);
  // and the default is well above a random ranking (gallery of 20: chance 5/20)
  assert.ok(binomialTail(autoHits, queries, 0.25) < 0.001);
});
