// Bars, sections and the pacing built on them, on synthetic beat grids and descriptors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downbeatsOf, findMeter, findSections, type BeatDescriptor } from '../../src/core/structure.js';
import { barsForEnergy, segmentByStructure, type StructureInput } from '../../src/core/segments.js';

const beatsAt = (bpm: number, n: number, first = 0.5) => Array.from({ length: n }, (_, i) => first + (i * 60) / bpm);
const onBeat = (beats: readonly number[], t: number) => beats.some((b) => Math.abs(b - t) < 1e-9);

/** Descriptors with a bar accent every `m` beats from `phase`, and a chord per section. */
function descriptors(n: number, m: number, phase: number, chordOf: (i: number) => number, dbOf: (i: number) => number): BeatDescriptor[] {
  return Array.from({ length: n }, (_, i) => {
    const chroma = new Array<number>(12).fill(0.05);
    const c = chordOf(i);
    for (const q of [c, (c + 4) % 12, (c + 7) % 12]) chroma[q] = 1;
    const accent = (i - phase) % m === 0;
    return { low: accent ? 1 : 0.2, onset: accent ? 1 : 0.6, chordChange: accent ? 0.5 : 0.02, chroma, db: dbOf(i), activity: 0.5 };
  });
}

void test('findMeter: the accented beat phase and the metre (4/4 and 3/4)', () => {
  assert.deepEqual(findMeter(descriptors(64, 4, 2, () => 0, () => -20)), { beatsPerBar: 4, phase: 2 });
  assert.deepEqual(findMeter(descriptors(63, 3, 1, () => 0, () => -20)), { beatsPerBar: 3, phase: 1 });
  assert.deepEqual(downbeatsOf([0, 1, 2, 3, 4, 5, 6, 7, 8], { beatsPerBar: 4, phase: 1 }), [1, 5]);
});

void test('findSections: A B A by harmony, boundaries on downbeats, the loud part has the most energy', () => {
  const beats = beatsAt(120, 192, 0); // 48 bars of 4 beats, 96 s
  const downbeats = beats.filter((_, i) => i % 4 === 0);
  const part = (i: number) => (i < 64 ? 0 : i < 128 ? 1 : 2); // 16 bars each
  const desc = descriptors(beats.length, 4, 0, (i) => [0, 7, 0][part(i)]!, (i) => [-30, -12, -30][part(i)]!);
  const secs = findSections(beats, downbeats, desc, 96);
  assert.deepEqual(
    secs.map((s) => s.label),
    ['A', 'B', 'A'],
  );
  assert.equal(secs[0]!.start, 0);
  assert.equal(secs[2]!.end, 96);
  for (const s of secs.slice(1)) assert.ok(downbeats.includes(s.start), `section start ${s.start} is a downbeat`);
  assert.ok(Math.abs(secs[1]!.start - 32) < 2.01, `B starts at ${secs[1]!.start}`);
  assert.ok(secs[1]!.energy > secs[0]!.energy && secs[1]!.energy > secs[2]!.energy);
});

function input(): StructureInput {
  const beats = beatsAt(120, 200, 0.5); // 100 s
  const downbeats = beats.filter((_, i) => i % 4 === 0);
  return {
    duration: 101,
    beats,
    downbeats,
    sections: [
      { start: 0, end: downbeats[12]!, energy: 0.1 }, // verse-like
      { start: downbeats[12]!, end: downbeats[28]!, energy: 0.95 }, // chorus-like
      { start: downbeats[28]!, end: 101, energy: 0.5 },
    ],
  };
}

const inner = (segs: { start: number; end: number }[]) => segs.slice(1).map((s) => s.start);

void test('segmentByStructure auto: tiles the song, every cut on a beat, sections start on their downbeat, chorus cut fastest', () => {
  const s = input();
  const segs = segmentByStructure(s, 'auto');
  assert.equal(segs[0]!.start, 0);
  assert.equal(segs[segs.length - 1]!.end, s.duration);
  for (let i = 1; i < segs.length; i++) assert.equal(segs[i]!.start, segs[i - 1]!.end);
  for (const t of inner(segs)) assert.ok(onBeat(s.beats, t), `cut ${t} is not a beat`);
  for (const sec of s.sections.slice(1)) assert.ok(inner(segs).includes(sec.start), `no cut at section start ${sec.start}`);
  const rate = (a: number, b: number) => inner(segs).filter((t) => t >= a && t < b).length / (b - a);
  const [v, c] = s.sections;
  assert.ok(rate(c!.start, c!.end) > 2 * rate(v!.start, v!.end), 'the intense section is cut faster than the calm one');
  for (const g of segs) assert.ok(g.end - g.start <= 10 + 1e-9 && g.end - g.start >= 2 - 1e-9, `segment ${g.start}-${g.end}`);
  assert.equal(barsForEnergy(1), 1);
  assert.equal(barsForEnergy(0), 4);
});

void test('segmentByStructure fixed modes: bar cuts on every downbeat, beat on every beat, phrase every 4 bars', () => {
  const s = input();
  const bar = inner(segmentByStructure(s, 'bar'));
  assert.deepEqual(bar, s.downbeats.filter((d) => d >= 2 && s.duration - d >= 2));
  const beat = inner(segmentByStructure(s, 'beat'));
  assert.deepEqual(beat, s.beats.filter((b) => b > 0.05 && s.duration - b >= 0.25));
  const phrase = inner(segmentByStructure(s, 'phrase'));
  for (const t of phrase) assert.ok(s.downbeats.includes(t));
  const twoBar = inner(segmentByStructure(s, '2bar'));
  assert.ok(phrase.length < twoBar.length && twoBar.length < bar.length);
});

void test('segmentByStructure: long slow phrases are split on a beat; no grid falls back to onsets', () => {
  const beats = beatsAt(50, 60, 0.3); // 4 bars = 19.2 s at 50 BPM
  const s: StructureInput = { duration: 72, beats, downbeats: beats.filter((_, i) => i % 4 === 0), sections: [{ start: 0, end: 72, energy: 0 }] };
  const segs = segmentByStructure(s, 'phrase');
  for (const g of segs) assert.ok(g.end - g.start <= 10 + 1e-9, `segment ${g.start}-${g.end} too long`);
  for (const t of inner(segs)) assert.ok(onBeat(beats, t));
  const none = segmentByStructure({ duration: 30, beats: [], downbeats: [], sections: [], onsets: [3, 7.5, 12, 20] }, 'auto');
  assert.equal(none[0]!.start, 0);
  assert.equal(none[none.length - 1]!.end, 30);
});
