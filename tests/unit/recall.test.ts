import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateRetrieval, medianRank, randomRecall, ranksFromDistances, recallAtK, squaredDistances, topK } from '../../src/core/recall.js';

test('ranks of the true match on a hand-made distance matrix', () => {
  // query 0: true match (col 0) is closest -> rank 1
  // query 1: two items closer than col 1 -> rank 3
  // query 2: one closer, one tie -> rank 1 + 1 + 0.5
  const dist = [
    0.1, 0.5, 0.9,
    0.2, 0.8, 0.3,
    0.1, 0.4, 0.4,
  ];
  const ranks = [...ranksFromDistances(dist, 3, 3)];
  assert.deepEqual(ranks, [1, 3, 2.5]);
  // explicit targets
  assert.deepEqual([...ranksFromDistances(dist, 3, 3, [2, 0, 0])], [3, 1, 1]);
});

test('recallAtK and medianRank', () => {
  const ranks = [1, 2, 5, 6, 10, 30];
  assert.equal(recallAtK(ranks, 1), 1 / 6);
  assert.equal(recallAtK(ranks, 5), 3 / 6);
  assert.equal(recallAtK(ranks, 10), 5 / 6);
  assert.equal(recallAtK(ranks, 25), 5 / 6);
  assert.equal(medianRank(ranks), 5.5);
  assert.equal(medianRank([4, 1, 3]), 3);
  assert.ok(Number.isNaN(medianRank([])));
  assert.equal(recallAtK([], 5), 0);
});

test('random baseline is k over gallery size, capped at 1', () => {
  assert.equal(randomRecall(5, 100), 0.05);
  assert.equal(randomRecall(25, 20), 1);
});

test('topK orders by distance and breaks ties by index', () => {
  assert.deepEqual(topK([0, 0, 0, 0, 0.3, 0.1, 0.3, 0.2], 4, 1, 3), [1, 3, 0]);
});

test('squaredDistances matches the definition', () => {
  const a = Float32Array.from([0, 0, 1, 1]);
  const b = Float32Array.from([3, 4, 1, 1, 0, 1]);
  const d = squaredDistances(a, 2, b, 3, 2);
  assert.deepEqual([...d], [25, 2, 1, 13, 0, 1]);
});

test('evaluateRetrieval: perfect embedding, whole gallery and random galleries', () => {
  const n = 150;
  const emb = Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 ? Math.sin(i) : i));
  const dist = squaredDistances(emb, n, emb, n, 2);
  const videos = Array.from({ length: n }, (_, i) => `v${Math.floor(i / 10)}`);
  const all = evaluateRetrieval(dist, n, videos, { gallery: 'all' });
  assert.equal(all.gallery, n);
  assert.equal(all.queries, n);
  assert.equal(all.audioToVideo.r1, 1);
  assert.equal(all.videoToAudio.medianRank, 1);
  assert.equal(all.random.r5, 5 / n);
  const g100 = evaluateRetrieval(dist, n, videos, { gallery: 100, draws: 7, seed: 3 });
  assert.equal(g100.gallery, 100);
  assert.equal(g100.queries, 700);
  assert.equal(g100.audioToVideo.r1, 1);
  assert.equal(g100.random.r10, 0.1);
  // a gallery larger than the set falls back to the whole set
  assert.equal(evaluateRetrieval(dist, n, videos, { gallery: 1000 }).gallery, n);
});

test('evaluateRetrieval: constant distances score at chance; own-video share is counted', () => {
  const n = 40;
  const dist = new Float64Array(n * n).fill(1);
  const videos = Array.from({ length: n }, (_, i) => `v${i % 4}`);
  const r = evaluateRetrieval(dist, n, videos, { gallery: 'all' });
  assert.equal(r.audioToVideo.medianRank, (n + 1) / 2);
  assert.equal(r.audioToVideo.r1, 0);
  // ties by index: top-5 of every query is clips 0..4, of which 2 share video v0, 1 each v1..v3
  assert.ok(Math.abs(r.audioToVideo.ownVideoTop5 - (10 * 2 + 30 * 1) / 5 / n) < 1e-12);
  assert.ok(Math.abs(r.random.ownVideoTop5 - 0.25) < 1e-12);
});
