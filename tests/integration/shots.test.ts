// Shot changes and unusable footage with real ffmpeg on generated footage with known hard cuts, a title
// card (white text on magenta), black and a frozen picture: the scan finds the cuts to the frame, ingest
// stores them, and a rendered video's visible cuts (ffmpeg's scene detection) sit on the song's beats
// while the title card never appears. The plan file round-trips: pins and exclusions are honoured, and
// a seed always gives the same plan.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClipFootage } from '../../src/core/footage.js';
import type { ClipRecord } from '../../src/core/types.js';
import { openCatalog } from '../../src/library/catalog.js';
import { libraryFootage } from '../../src/library/footage-cache.js';
import { clipFootage, footageOfWindows, readFootage, scanTable } from '../../src/library/footage-store.js';
import { sceneChanges } from '../../src/media/scan.js';
import { coldStartEmbedder } from '../../src/model/embedder.js';
import type { LibraryContext } from '../../src/services/match.service.js';
import { PlanFileSchema, planFileOptions, readPlanFile } from '../../src/services/plan-file.js';
import { loadSong } from '../../src/services/song.js';
import { planSong, visualize } from '../../src/services/visualize.service.js';
import { makeAudio, tempDir } from '../helpers/media.js';
import { libraryOver } from '../helpers/tiny-library.js';

const t = tempDir('clipmatch-shots-');
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const CARD = `color=c=0xFF00FF:size=320x180:rate=25,drawtext=fontfile=${FONT}:text='THE END':fontsize=40:fontcolor=white:x=(w-tw)/2:y=(h-th)/2`;

interface Part {
  src: string;
  seconds: number;
}

/** An mp4 of lavfi parts joined by hard cuts, 320x180 at 25 fps, with a tone; returns the cut times. */
function makeCutVideo(path: string, parts: Part[], freq: number): number[] {
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  parts.forEach((p) => args.push('-f', 'lavfi', '-i', `${p.src.includes('=') ? p.src : `${p.src}=size=320x180:rate=25`},trim=duration=${p.seconds},setpts=PTS-STARTPTS,format=yuv420p`));
  const total = parts.reduce((s, p) => s + p.seconds, 0);
  args.push('-f', 'lavfi', '-i', `sine=frequency=${freq}:sample_rate=44100:duration=${total}`);
  args.push('-filter_complex', `${parts.map((_, i) => `[${i}:v]`).join('')}concat=n=${parts.length}:v=1:a=0[v]`, '-map', '[v]', '-map', `${parts.length}:a`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-t', String(total), path);
  execFileSync('ffmpeg', args, { stdio: 'pipe' });
  const cuts: number[] = [];
  let at = 0;
  for (const p of parts.slice(0, -1)) cuts.push((at += p.seconds));
  return cuts;
}

/** Share of a video's frames that are mostly the title card's magenta. */
function magentaFrames(path: string): number {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-vf', 'scale=32:18', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'], { maxBuffer: 64 << 20 });
  const frame = 32 * 18 * 3;
  let hits = 0;
  for (let f = 0; f + frame <= raw.length; f += frame) {
    let m = 0;
    for (let i = f; i < f + frame; i += 3) if (raw[i]! > 180 && raw[i + 1]! < 90 && raw[i + 2]! > 180) m++;
    if (m > 0.4 * 32 * 18) hits++;
  }
  return hits;
}

const near = (beats: readonly number[], x: number) => Math.min(...beats.map((b) => Math.abs(b - x)));

let lib: LibraryContext;
let song: string;

/** Eight 10-s clips from four "videos": irregular hard cuts inside, two of them with a title card. */
async function buildLibrary(root: string): Promise<LibraryContext> {
  // Moving pictures only: a still test pattern is (rightly) flagged as frozen.
  const sources = [
    'testsrc2',
    'mandelbrot',
    'life=size=320x180:rate=25:mold=10:seed=1',
    'cellauto=size=320x180:rate=25:seed=2',
    'testsrc2=size=320x180:rate=25,negate',
    'smptehdbars=size=320x180:rate=25,scroll=horizontal=0.02',
  ];
  const embedder = coldStartEmbedder();
  const clips: ClipRecord[] = [];
  const footage = new Map<string, ClipFootage>();
  mkdirSync(join(root, 'clips'), { recursive: true });
  for (let k = 0; k < 8; k++) {
    const a = sources[k % sources.length]!;
    const b = sources[(k + 2) % sources.length]!;
    const c = sources[(k + 4) % sources.length]!;
    // Shot lengths off any beat grid: 2.3 + 0.37k, 3.1, then the rest; clips 2 and 5 open on a title card.
    const first = 2.3 + 0.37 * (k % 4);
    const parts: Part[] = k === 2 || k === 5 ? [{ src: CARD, seconds: 3 }, { src: a, seconds: 3.4 }, { src: b, seconds: 3.6 }] : [{ src: a, seconds: first }, { src: b, seconds: 3.1 }, { src: c, seconds: 10 - first - 3.1 }];
    const rel = join('clips', `clip-${k}.mp4`);
    makeCutVideo(join(root, rel), parts, 220 + 60 * k);
    const clipId = `c${k}`;
    clips.push({ clipId, videoId: `v${k % 4}`, index: Math.floor(k / 4), start: 0, duration: 10, hasAudio: true, videoPath: rel, audioPath: rel });
    const table = await scanTable(join(root, rel));
    footage.set(clipId, clipFootage(footageOfWindows(table, [{ index: 0, start: 0, duration: 10 }]).clips[0]!));
  }
  return libraryOver(root, clips, embedder, { footage: (id: string) => footage.get(id), ensureFootage: async () => undefined });
}

before(async () => {
  mkdirSync(join(t.dir, 'out'));
  lib = await buildLibrary(join(t.dir, 'lib'));
  // A 120-bpm click over a drone: beats every 0.5 s.
  song = makeAudio(join(t.dir, 'song.wav'), 16, "aevalsrc='0.2*sin(2*PI*220*t)+0.7*sin(2*PI*1000*t)*exp(-40*mod(t,0.5))'");
});
after(() => t.cleanup());

void test('the scan finds hard cuts to the frame and flags the title card, black and a frozen picture', async () => {
  const path = join(t.dir, 'scan.mp4');
  makeCutVideo(path, [{ src: 'testsrc2', seconds: 3 }, { src: 'mandelbrot', seconds: 2.6 }, { src: CARD, seconds: 2 }, { src: 'color=c=black:size=320x180:rate=25', seconds: 1 }, { src: 'smptebars', seconds: 2.4 }], 440);
  const table = await scanTable(path);
  assert.equal(table.count, 11 * 25);
  const f = footageOfWindows(table, [{ index: 0, start: 0, duration: 11 }]).clips[0]!;
  const cuts = f.cuts.filter(([, s]) => s >= 0.3).map(([x]) => x);
  for (const want of [3, 5.6, 7.6]) assert.ok(cuts.some((x) => Math.abs(x - want) < 0.001), `a cut at ${want} s (found ${cuts.join(', ')})`);
  const span = (flag: string) => f.flagged.filter(([g]) => g === flag).map(([, a, b]) => [a, b]);
  assert.deepEqual(span('text'), [[5.6, 7.6]]);
  assert.deepEqual(span('black'), [[7.6, 8.6]]);
  const frozen = span('frozen');
  assert.equal(frozen.length, 1);
  assert.ok(frozen[0]![0]! >= 8.6 - 1e-9 && frozen[0]![1]! === 11, `frozen ${JSON.stringify(frozen)}`);
  assert.equal(span('fade').length + span('blank').length, 0);
  // The library's own clips agree with ffmpeg's scene detector on where the visible cuts are.
  const ff = await sceneChanges(path, 0.3);
  for (const want of [3, 5.6, 7.6]) assert.ok(ff.some((x) => Math.abs(x - want) < 0.05), `ffmpeg sees ${want} (${ff.join(', ')})`);
});

void test('ingest stores each clip’s shot changes and flags beside its features', async () => {
  const { ingest } = await import('../../src/library/ingest.js');
  const media = join(t.dir, 'ingest-media');
  mkdirSync(media);
  makeCutVideo(join(media, 'film.mp4'), [{ src: CARD, seconds: 2 }, { src: 'testsrc2', seconds: 4.4 }, { src: 'mandelbrot', seconds: 3.6 }], 330);
  const root = join(t.dir, 'ingested');
  const s = await ingest({ libraryDir: root, inputs: [media], clipSeconds: 5, threads: 1 });
  assert.equal(s.clipsAdded, 2);
  const f = await readFootage(root, s.added[0]!.videoId);
  assert.ok(f, 'footage.json is written');
  const [c0, c1] = f.clips;
  // The clip files are re-encoded: the card's edge may blur into the next frame, never earlier.
  assert.equal(c0!.flagged.length, 1);
  const [flag, a, b] = c0!.flagged[0]!;
  assert.ok(flag === 'text' && a === 0 && b >= 2 && b <= 2.08, JSON.stringify(c0!.flagged));
  // Times are in the renderer's frame numbering of the clip file (its video may start a little after 0,
  // so a boundary can read one frame later than in the source).
  assert.ok(c0!.cuts.some(([x]) => x >= 2 - 1e-9 && x <= 2.04 + 1e-9), JSON.stringify(c0!.cuts));
  // 6.4 s in the source is 1.4 s into the second clip.
  assert.ok(c1!.cuts.some(([x]) => x >= 1.4 - 1e-9 && x <= 1.44 + 1e-9), JSON.stringify(c1!.cuts));

  // A library from before (no file) or with a damaged one is scanned again on first use, to the same answer.
  const videoId = s.added[0]!.videoId;
  const file = join(root, 'videos', videoId, 'footage.json');
  for (const damage of [() => rmSync(file), () => writeFileSync(file, '{"version": 3, "clips": 7}')]) {
    damage();
    const catalog = await openCatalog(root, { readonly: true });
    try {
      const access = libraryFootage(root, catalog);
      assert.equal(access.footage({ videoId, index: 0 }), undefined);
      await access.ensureFootage([videoId]);
      assert.deepEqual(access.footage({ videoId, index: 0 })?.cuts.map((c) => c.t), c0!.cuts.map(([x]) => x));
    } finally {
      await catalog.close();
    }
    assert.deepEqual(await readFootage(root, videoId), f);
  }
});

void test('the rendered video cuts only on beats and never shows the title card; its plan file re-renders', async () => {
  const out = join(t.dir, 'out', 'video.mp4');
  const planPath = join(t.dir, 'out', 'plan.json');
  const res = await visualize({ audioPath: song, libraryDir: lib.root, outPath: out, library: lib, planOut: planPath, render: { maxHeight: 180 } });
  const plan = PlanFileSchema.parse(JSON.parse(readFileSync(planPath, 'utf8')));
  assert.equal(plan.segments.length, res.plan.length);
  assert.ok(plan.beats.length > 15);
  // ffmpeg has no previous difference at the second frame and scores it on motion alone: not a cut.
  const visible = (await sceneChanges(out, 0.3)).filter((x) => x > 0.1);
  assert.ok(visible.length >= res.plan.length - 1, `visible cuts ${visible.join(', ')}`);
  const off = visible.filter((x) => near(plan.beats, x) > 0.07);
  assert.deepEqual(off, [], `cuts off the beat at ${off.join(', ')} (beats ${plan.beats.join(', ')})`);
  assert.equal(magentaFrames(out), 0, 'the title card never appears');
  assert.ok(res.plan.every((p) => p.why && p.flaggedSeconds === 0));

  // Edit the plan: pin clip c2 (whose card the offset must skip) on segment 0, leave video v1 out.
  const edited = { ...plan, pin: [{ segment: 0, clipId: 'c2' }], exclude: ['v1'], segments: plan.segments.map((s) => ({ ...s, offset: s.clipId === 'c2' ? s.offset : null })) };
  const editedPath = join(t.dir, 'out', 'edited.json');
  execFileSync('bash', ['-c', `cat > '${editedPath}'`], { input: JSON.stringify(edited) });
  const planIn = await readPlanFile(editedPath);
  const again = await visualize({ audioPath: song, libraryDir: lib.root, outPath: join(t.dir, 'out', 'again.mp4'), library: lib, planIn, render: { maxHeight: 180 } });
  assert.equal(again.plan[0]!.clipId, 'c2');
  assert.ok(again.plan[0]!.clipOffset >= 3 - 1e-6, 'the pinned clip starts after its title card');
  assert.ok(again.plan.every((p) => p.videoId !== 'v1'), 'the excluded video is left out');
  assert.deepEqual(again.plan.map((p) => [p.start, p.end]), plan.segments.map((s) => [s.start, s.end]), 'the segments are the plan file’s');
  assert.equal(magentaFrames(join(t.dir, 'out', 'again.mp4')), 0);
});

void test('the same seed gives the same plan, another seed another take', async () => {
  const decoded = await loadSong(song);
  const a = (await planSong(decoded, lib, { seed: 3 })).plan;
  const b = (await planSong(decoded, lib, { seed: 3 })).plan;
  assert.deepEqual(a, b);
  const takes = new Set(await Promise.all([0, 1, 2, 3, 4].map(async (seed) => JSON.stringify((await planSong(decoded, lib, { seed })).plan.map((p) => [p.clipId, p.clipOffset])))));
  assert.ok(takes.size >= 3, `${takes.size} distinct takes of 5 seeds`);
  // A plan file with clipId null on every segment is planned again from its own segments and beats.
  const base = await planSong(decoded, lib, {});
  const opts = planFileOptions(
    PlanFileSchema.parse({ format: 'clipmatch-plan', version: 1, song: { duration: decoded.duration }, beats: base.beats, segments: base.plan.map((p) => ({ start: p.start, end: p.end, clipId: null })) }),
  );
  const replanned = (await planSong(decoded, lib, opts)).plan;
  assert.deepEqual(replanned.map((p) => [p.start, p.end, p.clipId]), base.plan.map((p) => [p.start, p.end, p.clipId]));
});

void test('a corrected beat grid (--beat-phase): the cuts move onto the shifted beats; a plan file refuses one', async () => {
  const decoded = await loadSong(song);
  const base = await planSong(decoded, lib, {});
  const shifted = await planSong(decoded, lib, { grid: { phase: 0.5 } });
  const gaps = base.beats.slice(1).map((b, i) => b - base.beats[i]!);
  // each beat half its gap later (the last half the gap before it)
  const expected = base.beats.map((b, i) => b + 0.5 * (gaps[i] ?? gaps[i - 1]!)).filter((b) => b <= decoded.duration);
  assert.equal(shifted.beats.length, expected.length);
  assert.ok(shifted.beats.every((b, i) => Math.abs(b - expected[i]!) < 1e-6), 'the beats are the tracked grid half a beat later');
  for (const seg of shifted.plan.slice(1)) assert.ok(near(shifted.beats, seg.start) < 1e-6, `cut at ${seg.start} on a shifted beat`);
  const planPath = join(t.dir, 'out', 'plan-for-grid.json');
  await visualize({ audioPath: song, libraryDir: lib.root, outPath: join(t.dir, 'out', 'grid.mp4'), library: lib, planOut: planPath, grid: { level: 'half' }, render: { maxHeight: 180 } });
  const planIn = await readPlanFile(planPath);
  const halfBeats = base.beats.filter((_, i) => i % 2 === 0);
  assert.ok(planIn.beats.length === halfBeats.length && planIn.beats.every((b, i) => Math.abs(b - halfBeats[i]!) < 0.002), 'the plan keeps the corrected (half) grid');
  await assert.rejects(
    visualize({ audioPath: song, libraryDir: lib.root, outPath: join(t.dir, 'out', 'grid2.mp4'), library: lib, planIn, grid: { phase: 0.5 }, render: { maxHeight: 180 } }),
    /a plan file holds its own beat grid/,
  );
});

void test('a malformed plan file is one clear message naming the field', async () => {
  const bad = join(t.dir, 'out', 'bad.json');
  execFileSync('bash', ['-c', `cat > '${bad}'`], { input: JSON.stringify({ format: 'clipmatch-plan', version: 1, song: { duration: 12 }, beats: [], segments: [{ start: 0, end: 5, clipId: 'x' }, { start: 6, end: 12, clipId: 'y' }] }) });
  await assert.rejects(readPlanFile(bad), (e: Error) => /segments\.1\.start: each segment must start where the previous one ends/.test(e.message) && !e.message.includes('at '));
  await assert.rejects(readPlanFile(join(t.dir, 'nope.json')), /cannot read the plan file/);
});
