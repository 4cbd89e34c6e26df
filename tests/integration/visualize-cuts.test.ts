// visualize --cuts with real ffmpeg on a generated 120-BPM song with accented bars and a loud second half:
// every cut of the plan is a beat of the song's analysis, 'bar' cuts on downbeats, 'beat' cuts on every
// beat, and 'auto' cuts faster in the intense half than in the calm one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIO_SAMPLE_RATE } from '../../src/core/types.js';
import { analyzeSong, type SongAnalysis } from '../../src/features/audio/song-analysis.js';
import { decodePcm } from '../../src/media/ffmpeg.js';
import type { LibraryContext } from '../../src/services/match.service.js';
import { visualize } from '../../src/services/visualize.service.js';
import { makeAudio, tempDir } from '../helpers/media.js';
import { buildTinyLibrary } from '../helpers/tiny-library.js';

const t = tempDir('clipmatch-cuts-');
let lib: LibraryContext;
let song: string;
let a: SongAnalysis;
const SECONDS = 40;

before(async () => {
  mkdirSync(join(t.dir, 'out'));
  lib = await buildTinyLibrary(join(t.dir, 'lib'));
  // clicks at 120 BPM from 0.25 s, every 4th low and loud; after 20 s a busy, loud half: sixteenth-note noise
  // ticks and a chord change every bar
  const ph = 'mod(t-0.25+2,0.5)';
  const bar = 'mod(floor((t-0.25+2)/0.5),4)';
  const clicks = `if(gte(t,0.25),if(eq(${bar},0),0.9*sin(2*PI*300*t),0.35*sin(2*PI*900*t))*exp(-${ph}*60),0)`;
  const busy = `if(gte(t,20),0.4*(random(0)-0.5)*exp(-mod(t,0.125)*90)+0.25*sin(2*PI*(330+110*mod(floor(t/2),2))*t),0.05*sin(2*PI*220*t))`;
  song = makeAudio(join(t.dir, 'song.mp3'), SECONDS, `aevalsrc='${clicks}+${busy}'`);
  const pcm = await decodePcm(song, AUDIO_SAMPLE_RATE);
  a = analyzeSong(pcm, AUDIO_SAMPLE_RATE);
});
after(() => t.cleanup());

const near = (list: readonly number[], x: number) => list.some((b) => Math.abs(b - x) < 2e-3);

for (const cuts of ['bar', 'beat', 'auto'] as const) {
  void test(`--cuts ${cuts}: every cut on a beat of the analysis${cuts === 'bar' ? ', on a downbeat' : ''}`, async () => {
    assert.ok(a.beats.length > 60, `${a.beats.length} beats`);
    const outPath = join(t.dir, 'out', `${cuts}.mp4`);
    const r = await visualize({ audioPath: song, libraryDir: t.dir, outPath, library: lib, cuts, render: { maxHeight: 120 } });
    assert.ok(existsSync(r.video));
    const inner = r.plan.slice(1).map((p) => p.start);
    for (const c of inner) assert.ok(near(a.beats, c), `cut ${c} is not a beat`);
    if (cuts === 'bar') for (const c of inner) assert.ok(near(a.downbeats, c), `cut ${c} is not a downbeat`);
    if (cuts === 'beat') assert.ok(r.plan.length >= 0.9 * a.beats.length, `${r.plan.length} segments for ${a.beats.length} beats`);
    if (cuts === 'auto') {
      assert.ok(a.sections.length >= 2, `sections ${JSON.stringify(a.sections)}`);
      const calm = a.sections.reduce((x, y) => (y.energy < x.energy ? y : x));
      const hot = a.sections.reduce((x, y) => (y.energy > x.energy ? y : x));
      const rate = (s: { start: number; end: number }) => inner.filter((c) => c > s.start + 0.01 && c < s.end - 0.01).length / (s.end - s.start);
      assert.ok(rate(hot) > 1.5 * rate(calm), `cuts/s ${rate(hot)} in the intense section, ${rate(calm)} in the calm one`);
      for (const s of a.sections.slice(1)) assert.ok(inner.some((c) => Math.abs(c - s.start) < 2e-3), `section ${s.start} starts with a cut`);
    }
  });
}
