import { test } from 'node:test';
import assert from 'node:assert/strict';
import { greedyPlan, minRepeatGap, planMontage, scorePlan, type Candidate, type PlanInput } from '../../src/core/plan.js';

/** A deterministic PRNG so the random cases are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const noExtras = { continuity: 0, sameVideo: 0, videoUse: 0, reuse: 0 };

void test('beats greedy when the locally best clip is needed later', () => {
  // Segment 0: A fits best, B nearly as well. Segment 1: only A fits; C is poor. Window 2 forbids A twice.
  const A = { clip: 0, video: 0, score: 1.0 };
  const B = { clip: 1, video: 1, score: 0.9 };
  const C = { clip: 2, video: 2, score: 0.1 };
  const input: PlanInput = { candidates: [[A, B], [{ ...A }, C]] };
  const opts = { window: 2, weights: noExtras };
  const dp = planMontage(input, opts);
  const greedy = greedyPlan(input, opts);
  assert.deepEqual(greedy.choices.map((c) => c.clip), [0, 2]);
  assert.deepEqual(dp.choices.map((c) => c.clip), [1, 0]);
  assert.ok(Math.abs(dp.objective - 1.9) < 1e-9);
  assert.ok(Math.abs(greedy.objective - 1.1) < 1e-9);
});

void test('exhaustive check: DP finds the optimum on small random problems', () => {
  const rand = rng(7);
  for (let trial = 0; trial < 30; trial++) {
    const S = 5;
    const clips = 5;
    const candidates: Candidate[][] = [];
    for (let s = 0; s < S; s++) candidates.push(Array.from({ length: clips }, (_, c) => ({ clip: c, video: c, score: rand() })));
    const sim = Array.from({ length: clips }, () => Array.from({ length: clips }, () => rand() * 2 - 1));
    const input: PlanInput = { candidates, continuity: (a, b) => sim[a]![b]! };
    const opts = { window: 3, keep: 25, weights: { sameVideo: 0, videoUse: 0, reuse: 0.05, continuity: 0.3 }, minVideosForCap: 99 };
    const dp = planMontage(input, opts);
    let best = -Infinity;
    const walk = (prefix: number[]) => {
      if (prefix.length === S) {
        if (minRepeatGap(prefix) >= 3) best = Math.max(best, scorePlan(prefix.map((c, s) => candidates[s]![c]!), input, opts));
        return;
      }
      for (let c = 0; c < clips; c++) walk([...prefix, c]);
    };
    walk([]);
    assert.ok(Math.abs(dp.objective - best) < 1e-9, `trial ${trial}: dp ${dp.objective} vs best ${best}`);
    assert.ok(dp.objective >= greedyPlan(input, opts).objective - 1e-9);
  }
});

void test('no clip repeats within the window, even when one clip dominates every segment', () => {
  const rand = rng(11);
  const S = 60;
  const candidates = Array.from({ length: S }, () =>
    Array.from({ length: 12 }, (_, c) => ({ clip: c, video: c % 6, score: c === 0 ? 5 : rand() })),
  );
  const plan = planMontage({ candidates }, { window: 8 });
  assert.equal(plan.window, 8);
  assert.ok(minRepeatGap(plan.choices.map((c) => c.clip)) >= 8);
  // The dominant clip is still used as often as the window allows.
  assert.ok(plan.choices.filter((c) => c.clip === 0).length >= Math.floor(S / 8));
});

void test('the window shrinks to the smallest candidate list and is still honoured', () => {
  const candidates = Array.from({ length: 20 }, () => Array.from({ length: 3 }, (_, c) => ({ clip: c, video: c, score: 1 - c * 0.1 })));
  const plan = planMontage({ candidates }, { window: 8 });
  assert.equal(plan.window, 3);
  assert.ok(minRepeatGap(plan.choices.map((c) => c.clip)) >= 3);
});

void test('no source video takes more than the cap when enough videos exist', () => {
  const S = 30;
  // Video 0 owns the best-scoring clips everywhere; four other videos are weaker.
  const candidates = Array.from({ length: S }, () =>
    Array.from({ length: 40 }, (_, c) => ({ clip: c, video: c < 20 ? 0 : 1 + (c % 4), score: c < 20 ? 1 : 0.2 })),
  );
  const plan = planMontage({ candidates }, { maxVideoShare: 0.4 });
  assert.equal(plan.videoCap, 12);
  assert.equal(plan.capRelaxed, 0);
  const fromZero = plan.choices.filter((c) => c.video === 0).length;
  assert.ok(fromZero <= 12, `${fromZero} segments from video 0`);
  assert.equal(fromZero, 12, 'the cap binds, so video 0 is used exactly up to it');
});

void test('the cap is relaxed, and reported, only where no path can meet it', () => {
  const S = 10;
  // Segments 5..9 offer only video 0's clips.
  const candidates = Array.from({ length: S }, (_, s) =>
    s < 5
      ? Array.from({ length: 9 }, (_, c) => ({ clip: c, video: c % 3, score: 0.5 }))
      : Array.from({ length: 9 }, (_, c) => ({ clip: 100 + c, video: 0, score: 0.5 })),
  );
  const plan = planMontage({ candidates }, { window: 4, maxVideoShare: 0.4 });
  assert.equal(plan.videoCap, 4);
  assert.ok(plan.capRelaxed > 0);
  assert.ok(minRepeatGap(plan.choices.map((c) => c.clip)) >= 4);
  // Relaxed only where forced: at most one relaxation per video-0-only segment beyond the cap's room.
  assert.ok(plan.capRelaxed <= 5);
});

void test('continuity pulls neighbours towards similar-looking clips', () => {
  // Two equally good clips per segment; clips 0/2 look alike, 1/3 look alike.
  const candidates = [
    [{ clip: 0, video: 0, score: 0.6 }, { clip: 1, video: 1, score: 0.5 }],
    [{ clip: 2, video: 2, score: 0.5 }, { clip: 3, video: 3, score: 0.55 }],
  ];
  const continuity = (a: number, b: number) => (a % 2 === b % 2 ? 1 : -1);
  const plan = planMontage({ candidates, continuity }, { weights: { continuity: 0.2 }, minVideosForCap: 99 });
  assert.deepEqual(plan.choices.map((c) => c.clip), [0, 2]);
});

void test('empty input and a segment without candidates', () => {
  assert.deepEqual(planMontage({ candidates: [] }).choices, []);
  assert.throws(() => planMontage({ candidates: [[{ clip: 0, video: 0, score: 1 }], []] }), RangeError);
});

void test('a long-song-sized problem (150 segments x 32 candidates) keeps both guarantees', () => {
  const rand = rng(3);
  const S = 150;
  const candidates = Array.from({ length: S }, () => Array.from({ length: 32 }, () => {
    const clip = Math.floor(rand() * 10_000);
    return { clip, video: clip % 50, score: rand() };
  }));
  // Duplicate clip ids inside one list are legal; the window still holds.
  const plan = planMontage({ candidates, continuity: (a, b) => ((a * 31 + b) % 100) / 100 }, { window: 8 });
  assert.equal(plan.choices.length, S);
  assert.ok(minRepeatGap(plan.choices.map((c) => c.clip)) >= plan.window);
  assert.ok(plan.objective >= greedyPlan({ candidates, continuity: (a, b) => ((a * 31 + b) % 100) / 100 }, { window: 8 }).objective - 1e-9);
});
