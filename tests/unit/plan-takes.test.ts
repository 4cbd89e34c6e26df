// The planner end to end on synthetic shot lists and a synthetic beat grid, without ffmpeg: a fake library
// (index, embedder, footage) and given segments, as a plan file hands them in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClipFootage } from '../../src/core/footage.js';
import type { ClipRecord } from '../../src/core/types.js';
import { beatDistance } from '../../src/core/piece-fit.js';
import type { LibraryContext } from '../../src/services/match.service.js';
import { PlanFileSchema, planFileOptions } from '../../src/services/plan-file.js';
import type { Song } from '../../src/services/song.js';
import { planSong } from '../../src/services/visualize.service.js';

const DURATION = 30;
const beats = Array.from({ length: 59 }, (_, i) => 0.5 + i * 0.5);
// Segments of 2.5-3.5 s from beat to beat.
const segments: Array<{ start: number; end: number }> = [];
for (let t = 0, k = 0; t < DURATION; k++) {
  const end = Math.min(DURATION, t + [2.5, 3, 3.5][k % 3]!);
  segments.push({ start: t, end: DURATION - end < 2 ? DURATION : end });
  t = segments[segments.length - 1]!.end;
}

function library(): LibraryContext {
  const clips: ClipRecord[] = Array.from({ length: 12 }, (_, i) => ({ clipId: `c${i}`, videoId: `v${i % 4}`, index: Math.floor(i / 4), start: 0, duration: 10, hasAudio: true, videoPath: `c${i}.mp4`, audioPath: '' }));
  // Shots of 1.7-3.1 s, at times no beat grid explains; c0 opens on a 4-s title card.
  const footage = new Map<string, ClipFootage>(
    clips.map((c, i) => {
      const cuts: number[] = [];
      for (let t = 1.3 + 0.23 * i; t < 10; t += 1.7 + ((i * 0.61) % 1.4)) cuts.push(Math.round(t * 25) / 25);
      return [c.clipId, { duration: 10, cuts: cuts.map((t) => ({ t, score: 0.6 })), flagged: i === 0 ? [{ flag: 'text', start: 0, end: 4 }] : [] }];
    }),
  );
  const byId = new Map(clips.map((c) => [c.clipId, c]));
  return {
    root: '/nowhere',
    embedder: { dim: 2, embedAudio: (_f, n) => Float32Array.from({ length: 2 * n }, (_, j) => Math.sin(j * 1.7)) },
    index: {
      size: clips.length,
      nearest: (q, k) => clips.map((c, i) => ({ clipId: c.clipId, distance: Math.abs(Math.sin(i * 2.3 + q[0]! * 5)) })).sort((a, b) => a.distance - b.distance).slice(0, k),
      farthest: () => [],
      embeddingOf: (id) => Float32Array.of(Number(id.slice(1)) % 3, 1),
    },
    clip: (id) => byId.get(id),
    videoTitle: (v) => `title-${v}`,
    footage: (id) => footage.get(id),
    close: () => undefined,
  };
}

const song: Song = { path: 'song.wav', duration: DURATION, sampleRate: 16000, pcm: new Float32Array(16000 * DURATION) };
const given = { segments, beats, tempo: 120 };

void test('pieces hold no shot change off the beat and no flagged footage', async () => {
  const lib = library();
  const { plan } = await planSong(song, lib, { given });
  assert.equal(plan.length, segments.length);
  for (const p of plan) {
    assert.equal(p.shotChanges!.offBeat, 0, `${p.clipId} at ${p.start}: ${p.why}`);
    assert.equal(p.flaggedSeconds, 0);
    const f = lib.footage!(p.clipId)!;
    for (const c of f.cuts) {
      const at = p.start + (c.t - p.clipOffset);
      if (at > p.start + 0.06 && at < p.end - 0.02) assert.ok(beatDistance(beats, at) <= 0.03, `${p.clipId}: a shot change shows at ${at}`);
    }
  }
});

void test('a plan file pins a clip and leaves a video out; the same seed gives the same plan', async () => {
  const lib = library();
  const base = (await planSong(song, lib, { given })).plan;
  const file = PlanFileSchema.parse({
    format: 'clipmatch-plan',
    version: 1,
    song: { duration: DURATION },
    beats,
    segments: base.map((p) => ({ start: p.start, end: p.end, clipId: null })),
    pin: [{ segment: 2, clipId: 'c0' }],
    exclude: ['v1', 'title-v2'],
  });
  const { plan } = await planSong(song, lib, planFileOptions(file));
  assert.equal(plan[2]!.clipId, 'c0');
  assert.ok(plan[2]!.clipOffset >= 4 - 1e-9, 'the pinned clip skips its title card');
  for (const p of plan) assert.ok(p.videoId !== 'v1' && p.videoId !== 'v2', `${p.clipId} of ${p.videoId} is left out`);
  const a = (await planSong(song, lib, { given, seed: 11 })).plan;
  assert.deepEqual((await planSong(song, lib, { given, seed: 11 })).plan, a);
  const takes = new Set(await Promise.all([1, 2, 3, 4].map(async (seed) => JSON.stringify((await planSong(song, lib, { given, seed })).plan.map((p) => [p.clipId, p.clipOffset])))));
  assert.ok(takes.size >= 3, `${takes.size} distinct takes of 4 seeds`);
});

void test('re-rolling one segment of an edited plan keeps the no-repeat window around the fixed ones', async () => {
  const lib = library();
  const base = (await planSong(song, lib, { given })).plan;
  const target = 4;
  const file = PlanFileSchema.parse({
    format: 'clipmatch-plan',
    version: 1,
    song: { duration: DURATION },
    beats,
    segments: base.map((p, i) => ({ start: p.start, end: p.end, clipId: i === target ? null : p.clipId, offset: p.clipOffset })),
  });
  const { plan, output } = await planSong(song, lib, planFileOptions(file));
  plan.forEach((p, i) => {
    if (i !== target) assert.deepEqual([p.clipId, p.clipOffset], [base[i]!.clipId, base[i]!.clipOffset], `segment ${i} is kept`);
  });
  assert.ok(output.window > 1, `window ${output.window}`);
  const near = plan.slice(Math.max(0, target - output.window + 1), target + output.window).filter((_, k, arr) => arr[k] !== plan[target]);
  assert.ok(!near.some((p) => p.clipId === plan[target]!.clipId), `${plan[target]!.clipId} repeats within the window`);
});
