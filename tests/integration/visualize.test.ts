// visualize with real ffmpeg against a tiny generated library (12 ten-second lavfi clips from 4 "videos"),
// held in memory: real clip files, a real vector index, the real cold-start embedder. What is checked:
// the output lasts as long as the song (within one frame), its audio is the song, it is H.264/AAC with
// faststart, the plan keeps the no-repeat window and the video cap, the size cap holds, and bad songs or a
// cancel leave no file behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isUserError } from '../../src/core/errors.js';
import { minRepeatGap } from '../../src/core/plan.js';
import { renderMontage } from '../../src/media/render.js';
import { decodePcm } from '../../src/media/ffmpeg.js';
import type { LibraryContext } from '../../src/services/match.service.js';
import { visualize, type VisualizeServiceOptions } from '../../src/services/visualize.service.js';
import { buildTinyLibrary } from '../helpers/tiny-library.js';
import { makeAudio, makeCorrupt, makeVideo, probeDuration, tempDir } from '../helpers/media.js';

const t = tempDir('clipmatch-visualize-');
let lib: LibraryContext;
let song: string;
const SONG_SECONDS = 14.3;

const out = (name: string) => join(t.dir, 'out', name);
const leftovers = () => readdirSync(join(t.dir, 'out')).filter((f) => f.startsWith('.') || f.includes('.part'));
const opts = (o: Partial<VisualizeServiceOptions>): VisualizeServiceOptions => ({
  audioPath: song,
  libraryDir: t.dir,
  outPath: out('video.mp4'),
  library: lib,
  render: { maxHeight: 180 },
  ...o,
});

before(async () => {
  mkdirSync(join(t.dir, 'out'));
  lib = await buildTinyLibrary(join(t.dir, 'lib'));
  // A 120-bpm click over a drone, with a busier second half so segments differ in length.
  song = makeAudio(
    join(t.dir, 'song.mp3'),
    SONG_SECONDS,
    "aevalsrc='0.3*sin(2*PI*220*t)+0.6*sin(2*PI*880*t)*exp(-30*mod(t,if(lt(t,7),0.5,0.25)))'",
  );
});
after(() => t.cleanup());

function ffprobeJson(path: string): { streams: Array<Record<string, string | number>>; format: Record<string, string> } {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path]).toString());
}

/** Largest normalised cross-correlation of two signals over small lags (AAC adds a little delay). */
function similarity(a: Float32Array, b: Float32Array, maxLag = 2000): number {
  const n = Math.min(a.length, b.length) - maxLag;
  let best = -1;
  for (let lag = -maxLag; lag <= maxLag; lag += 4) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = maxLag; i < n; i += 2) {
      const x = a[i]!;
      const y = b[i + lag]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    best = Math.max(best, ab / Math.sqrt(aa * bb + 1e-12));
  }
  return best;
}

/** True when the mp4's moov box comes before mdat (faststart: playable while downloading). */
function moovFirst(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(8);
    let pos = 0;
    const size = statSync(path).size;
    while (pos < size) {
      readSync(fd, head, 0, 8, pos);
      const type = head.toString('latin1', 4, 8);
      if (type === 'moov') return true;
      if (type === 'mdat') return false;
      pos += head.readUInt32BE(0);
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

void test('renders the whole song as one browser-playable mp4 with a legal plan', async () => {
  const stages = new Set<string>();
  const res = await visualize(opts({}), (stage) => stages.add(stage));
  for (const s of ['decode', 'analyse', 'embed', 'plan', 'render']) assert.ok(stages.has(s), `stage ${s} reported`);
  assert.equal(res.video, out('video.mp4'));
  const info = ffprobeJson(res.video);
  const v = info.streams.find((s) => s.codec_type === 'video')!;
  const a = info.streams.find((s) => s.codec_type === 'audio')!;
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.pix_fmt, 'yuv420p');
  assert.equal(a.codec_name, 'aac');
  assert.ok(moovFirst(res.video), 'faststart puts moov first');
  const frame = 1 / 25;
  assert.ok(Math.abs(Number(v.duration) - res.duration) <= frame + 1e-6, `video lasts ${v.duration}, song ${res.duration}`);
  assert.ok(Math.abs(Number(a.duration) - res.duration) <= frame + 1e-6, `audio lasts ${a.duration}, song ${res.duration}`);
  assert.ok(Math.abs(probeDuration(res.video) - SONG_SECONDS) <= frame + 1e-6);
  // Its audio is the song.
  const songPcm = await decodePcm(song, 16000);
  const outPcm = await decodePcm(res.video, 16000);
  assert.ok(similarity(songPcm, outPcm) > 0.9, 'output audio matches the song');
  // The plan tiles the song, every segment 2..10 s, no clip twice within the window, no video above 40%.
  const plan = res.plan;
  assert.equal(plan[0]!.start, 0);
  assert.equal(plan[plan.length - 1]!.end, res.duration);
  for (let i = 0; i < plan.length; i++) {
    const len = plan[i]!.end - plan[i]!.start;
    assert.ok(len >= 2 - 1e-6 && len <= 10 + 1e-6, `segment ${i} lasts ${len}`);
    if (i > 0) assert.equal(plan[i]!.start, plan[i - 1]!.end);
  }
  assert.ok(plan.length >= 3);
  assert.ok(minRepeatGap(plan.map((p) => p.clipId)) >= Math.min(8, 12), 'no clip repeats within the window');
  const perVideo = new Map<string, number>();
  for (const p of plan) perVideo.set(p.videoId!, (perVideo.get(p.videoId!) ?? 0) + 1);
  assert.ok(Math.max(...perVideo.values()) <= Math.max(1, Math.floor(0.4 * plan.length)), `per-video counts ${[...perVideo.values()]}`);
  // The match side: 3 + 3 clips and a contact sheet beside the video.
  assert.equal(res.closest.length, 3);
  assert.equal(res.farthest.length, 3);
  assert.ok(res.closest[0]!.distance <= res.farthest[0]!.distance);
  assert.ok(existsSync(res.sheet) && res.sheet.endsWith('.sheet.png'));
  assert.equal(readFileHead(res.sheet), '\x89PNG');
  assert.deepEqual(leftovers(), []);
});

function readFileHead(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    return b.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

void test('the size cap holds when it binds, and an impossible cap is refused before rendering', async () => {
  const res = await visualize(opts({ outPath: out('small.mp4'), maxMb: 0.2, aspect: '9:16', render: {} }));
  assert.ok(res.sizeBytes <= 200_000 && statSync(res.video).size === res.sizeBytes, `${res.sizeBytes} bytes`);
  const v = ffprobeJson(res.video).streams.find((s) => s.codec_type === 'video')!;
  assert.ok(Number(v.height) > Number(v.width), '9:16 is portrait');
  await assert.rejects(visualize(opts({ outPath: out('tiny.mp4'), maxMb: 0.05 })), (e: unknown) => isUserError(e) && e.code === 'TOO_LARGE');
  assert.equal(existsSync(out('tiny.mp4')), false);
  assert.deepEqual(leftovers(), []);
});

void test('bad songs get one clear error each and leave no file behind', async () => {
  const bad = join(t.dir, 'bad');
  mkdirSync(bad);
  const cases: Array<[string, string]> = [
    [makeCorrupt(join(bad, 'corrupt.mp3')), 'NOT_AUDIO'],
    [makeVideo(join(bad, 'mute.mp4'), { seconds: 12, freq: null }), 'NOT_AUDIO'],
    [makeAudio(join(bad, 'silence.wav'), 12, 'anullsrc=r=44100:cl=mono'), 'SILENT'],
    [makeAudio(join(bad, 'short.wav'), 5), 'TOO_SHORT'],
    [join(bad, 'missing.mp3'), 'BAD_INPUT'],
  ];
  for (const [path, code] of cases) {
    const target = out(`bad-${code}.mp4`);
    await assert.rejects(visualize(opts({ audioPath: path, outPath: target })), (e: unknown) => {
      assert.ok(isUserError(e), `${path}: ${String(e)}`);
      assert.equal(e.code, code, `${path}: ${e.message}`);
      assert.ok(e.message.length > 0 && !e.message.includes('\n'));
      return true;
    });
    assert.equal(existsSync(target), false);
    assert.equal(existsSync(target.replace(/\.mp4$/, '.sheet.png')), false);
  }
  assert.deepEqual(leftovers(), []);
});

void test('a cancel during rendering removes the partial video and the sheet', async () => {
  const ac = new AbortController();
  const target = out('cancelled.mp4');
  await assert.rejects(
    visualize(opts({ outPath: target, signal: ac.signal }), (stage, done) => {
      if (stage === 'render' && done === 0) ac.abort();
    }),
    (e: unknown) => isUserError(e) && e.code === 'CANCELLED',
  );
  assert.equal(existsSync(target), false);
  assert.equal(existsSync(target.replace(/\.mp4$/, '.sheet.png')), false);
  assert.deepEqual(leftovers(), []);
});

void test('a render that comes out over the cap is redone at a lower bitrate', async () => {
  const target = out('retry.mp4');
  const clips = ['testsrc2-0', 'mandelbrot-1', 'smptebars-2'].map((id) => join(lib.root, lib.clip(id)!.videoPath));
  const cuts = [0, 4, 9, SONG_SECONDS];
  const pieces = clips.map((path, i) => ({ path, offset: 0, start: cuts[i]!, end: cuts[i + 1]! }));
  // A deliberately optimistic first bitrate: 14 s at 3 Mb/s cannot fit in 400 kB.
  const encoding = { width: 640, height: 360, fps: 25, videoKbps: 3000, audioKbps: 64, audioChannels: 1 as const, audioSampleRate: 44100, maxBytes: 400_000 };
  const res = await renderMontage({ songPath: song, duration: SONG_SECONDS, pieces, outPath: target, encoding });
  assert.ok(res.attempts >= 2, `attempts ${res.attempts}`);
  assert.ok(res.videoKbps < 3000);
  assert.ok(statSync(target).size <= 400_000);
  assert.equal(res.frames, Math.round(SONG_SECONDS * 25));
  assert.deepEqual(leftovers(), []);
});
