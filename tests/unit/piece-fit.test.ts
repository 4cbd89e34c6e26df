import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClipFootage } from '../../src/core/footage.js';
import { beatDistance, fitPiece } from '../../src/core/piece-fit.js';
import { fitCandidates } from '../../src/services/pieces.js';

const grid = (step: number, until: number, phase = 0) => Array.from({ length: Math.floor((until - phase) / step) + 1 }, (_, i) => phase + i * step);
const clip = (cuts: number[], flagged: ClipFootage['flagged'] = [], duration = 10): ClipFootage => ({ duration, cuts: cuts.map((t) => ({ t, score: 0.6 })), flagged });

/** Song times at which the clip's shot changes show inside a piece, as the renderer places them. */
function visibleCuts(start: number, end: number, offset: number, c: ClipFootage): number[] {
  return c.cuts.map((x) => start + (x.t - offset)).filter((t) => t > start + 0.06 && t < end - 0.02);
}

void test('a piece that can avoid the shot change does', () => {
  const beats = grid(0.5, 60);
  const fit = fitPiece(10, 14, clip([3.0]), { beats });
  assert.equal(fit.offBeat, 0);
  assert.equal(fit.onBeat, 0);
  assert.deepEqual(visibleCuts(10, 14, fit.offset, clip([3.0])), []);
  assert.ok(fit.offset >= 0 && fit.offset <= 6);
});

void test('shot changes that cannot be avoided are put on beats', () => {
  // Shots every 2.5 s, a 6-s piece: at least two changes inside, and a beat every 0.5 s (phase 0.21).
  const c = clip([2.5, 5, 7.5]);
  const beats = grid(0.5, 60, 0.21);
  const fit = fitPiece(20.21, 26.21, c, { beats });
  assert.equal(fit.offBeat, 0);
  assert.ok(fit.onBeat >= 2);
  const shown = visibleCuts(20.21, 26.21, fit.offset, c);
  assert.ok(shown.length >= 2);
  for (const t of shown) assert.ok(beatDistance(beats, t) <= 0.03, `cut at ${t} is ${beatDistance(beats, t)} s off the beat`);
});

void test('no offset on a fine grid does better than the fitted one (irregular shots)', () => {
  const c = clip([1.3, 2.9, 4.0, 5.1, 6.7, 8.2]);
  const beats = grid(0.6, 80, 0.05);
  for (const [start, end] of [[3.05, 8.45], [10.25, 12.65], [30.05, 33.05]] as const) {
    const fit = fitPiece(start, end, c, { beats });
    let best = Infinity;
    for (let o = 0; o <= 10 - (end - start) + 1e-9; o += 0.002) {
      const off = visibleCuts(start, end, o, c).filter((t) => beatDistance(beats, t) > 0.03).length;
      best = Math.min(best, off);
    }
    assert.ok(fit.offBeat <= best, `fitted ${fit.offBeat} off-beat cuts, a grid offset gets ${best}`);
    assert.equal(visibleCuts(start, end, fit.offset, c).filter((t) => beatDistance(beats, t) > 0.035).length, fit.offBeat);
  }
});

void test('flagged footage is left out unless kept', () => {
  const c = clip([], [{ flag: 'text', start: 0, end: 4.2 }]);
  const beats = grid(0.5, 60);
  const fit = fitPiece(0, 5, c, { beats, prefer: 0 });
  assert.equal(fit.flaggedSeconds, 0);
  assert.ok(fit.offset >= 4.2 - 1e-9);
  const kept = fitPiece(0, 5, c, { beats, prefer: 0, keepFlagged: true });
  assert.equal(kept.offset, 0);
  assert.ok(kept.flaggedSeconds > 4);
  assert.deepEqual(kept.flags, ['text']);
});

void test('a clip too short for the piece starts at 0 and says so', () => {
  const fit = fitPiece(0, 8, clip([], [], 5), { beats: grid(0.5, 20) });
  assert.equal(fit.offset, 0);
  assert.equal(fit.short, true);
});

void test('fitCandidates drops flagged-only candidates, penalises off-beat cuts, and seeds takes reproducibly', () => {
  const beats = grid(0.5, 60);
  const segments = [{ start: 0, end: 4 }, { start: 4, end: 9 }];
  const footage: Array<ClipFootage | undefined> = [
    clip([], [{ flag: 'black', start: 0, end: 10 }]), // all black: never usable
    clip([1.1, 2.3, 3.7, 4.9, 6.1, 7.3, 8.6], []), // shots too short to avoid, off any 0.5-s grid
    clip([]),
    undefined, // never scanned: used as before
  ];
  const raw = segments.map(() => footage.map((_, i) => ({ clip: i, video: i, score: 1 - i * 0.1 })));
  const fitted = fitCandidates(segments, raw, (c) => footage[c], { beats });
  for (const list of fitted) {
    assert.ok(!list.some((c) => c.clip === 0), 'the black clip is left out');
    const busy = list.find((c) => c.clip === 1)!;
    if (busy.fit!.offBeat > 0) assert.ok(busy.score < busy.match);
    assert.equal(list.find((c) => c.clip === 3)!.fit, undefined);
  }
  const kept = fitCandidates(segments, raw, (c) => footage[c], { beats, keepFlagged: true });
  assert.ok(kept[0]!.some((c) => c.clip === 0));
  const a = fitCandidates(segments, raw, (c) => footage[c], { beats, seed: 7 });
  const b = fitCandidates(segments, raw, (c) => footage[c], { beats, seed: 7 });
  const d = fitCandidates(segments, raw, (c) => footage[c], { beats, seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((l) => l.map((c) => c.score)), d.map((l) => l.map((c) => c.score)));
});
