// Ingest with real ffmpeg on tiny generated media: clip counts, ids, durations, decodable files,
// incremental re-runs, a corrupt file skipped by name, and resume after a killed run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ingest } from '../../src/library/ingest.js';
import { openCatalog } from '../../src/library/catalog.js';
import { loadDataset } from '../../src/library/dataset.js';
import { makeAudio, makeCorrupt, makeVideo, probeDuration, probeStreams, tempDir } from '../helpers/media.js';

const t = tempDir('clipmatch-ingest-');
let media: string;

before(() => {
  media = join(t.dir, 'media');
  execFileSync('mkdir', ['-p', media]);
  makeVideo(join(media, 'a.mp4'), { seconds: 25, source: 'testsrc2', freq: 440 });
  makeVideo(join(media, 'b.mkv'), { seconds: 12, source: 'mandelbrot', freq: 660 });
  makeVideo(join(media, 'silent.mp4'), { seconds: 10, source: 'rgbtestsrc', freq: null });
  makeCorrupt(join(media, 'broken.mp4'));
  makeAudio(join(media, 'song.wav'), 12);
});
after(() => t.cleanup());

test('splits videos into clips with features, skips bad inputs by name, and is incremental', async () => {
  const lib = join(t.dir, 'lib1');
  const stages = new Set<string>();
  const s = await ingest({ libraryDir: lib, inputs: [media, join(media, 'song.wav')], threads: 2, progress: (stage) => stages.add(stage) });
  // a.mp4: 25 s -> 10, 10, 5 (the 5-s tail is half a clip, kept); b.mkv: 12 s -> 10 (2-s tail dropped); silent: 10 s -> 1
  assert.equal(s.added.length, 3);
  assert.equal(s.clipsAdded, 5);
  assert.ok(stages.has('clips') && stages.has('probe'));
  const reasons = new Map(s.skipped.map((k) => [k.source.split('/').pop(), k.reason]));
  assert.ok(reasons.has('broken.mp4'), 'the corrupt file is reported');
  assert.match(reasons.get('broken.mp4')!, /ffprobe|invalid|failed/i);
  assert.match(reasons.get('song.wav')!, /no video stream/);

  const cat = await openCatalog(lib);
  try {
    const clips = (await cat.clips());
    assert.equal(clips.length, 5);
    assert.equal(new Set(clips.map((c) => c.clipId)).size, 5, 'clip ids are unique');
    const a = (await cat.videos()).find((v) => v.source.endsWith('a.mp4'))!;
    const aClips = (await cat.clipsOf(a.videoId));
    assert.deepEqual(aClips.map((c) => [c.index, c.start, c.duration]), [[0, 0, 10], [1, 10, 10], [2, 20, 5]]);
    for (const c of clips) {
      assert.ok(c.clipId.startsWith(c.videoId));
      const mp4 = join(lib, c.videoPath);
      const d = probeDuration(mp4);
      assert.ok(Math.abs(d - c.duration) < 0.25, `clip ${c.clipId} lasts ${d}, expected ${c.duration}`);
      assert.ok(probeStreams(mp4).includes('video'));
      // every clip decodes end to end
      execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', mp4, '-f', 'null', '-']);
      if (c.hasAudio) {
        const wav = join(lib, c.audioPath);
        const info = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=sample_rate,channels', '-of', 'csv=p=0', wav]).toString().trim();
        assert.equal(info, '16000,1');
        assert.ok(Math.abs(probeDuration(wav) - c.duration) < 0.05);
      }
    }
    const silent = (await cat.videos()).find((v) => v.source.endsWith('silent.mp4'))!;
    assert.equal(silent.hasAudio, false);
    assert.equal((await cat.clipsOf(silent.videoId))[0]!.hasAudio, false);
    const st = (await cat.stats());
    assert.equal(st.videos, 3);
    assert.equal(st.seconds, 45);
    assert.deepEqual(Object.keys(st.extractors.audio), ['clipmatch-audio-dsp@1']);
  } finally {
    await cat.close();
  }
  assert.equal(s.pca.refitted, true);
  assert.ok(existsSync(join(lib, 'visual-pca.json')));

  const ds = await loadDataset(lib);
  assert.equal(ds.clips.length, 5);
  assert.equal(ds.dim, 1280);
  assert.equal(ds.audio.length, 5 * 1280);
  assert.ok(ds.visual.every(Number.isFinite) && ds.audio.every(Number.isFinite));
  const withAudio = await loadDataset(lib, { audioOnly: true });
  assert.equal(withAudio.clips.length, 4);

  // Re-running does nothing new.
  const again = await ingest({ libraryDir: lib, inputs: [media], threads: 1 });
  assert.equal(again.added.length, 0);
  assert.equal(again.alreadyPresent.length, 3);
  assert.equal(again.pca.refitted, false);
});

test('library stats --json through the CLI', () => {
  const lib = join(t.dir, 'lib1');
  const out = execFileSync(process.execPath, ['bin/clipmatch.js', 'library', 'stats', '--library', lib, '--json']).toString();
  const j = JSON.parse(out) as { videos: number; clips: number; seconds: number; extractors: Record<string, unknown> };
  assert.equal(j.videos, 3);
  assert.equal(j.clips, 5);
  assert.equal(j.seconds, 45);
  assert.ok(j.extractors);
});

test('a killed run resumes: nothing half-written survives, the rest completes', async () => {
  const lib = join(t.dir, 'lib2');
  const vids = join(t.dir, 'many');
  execFileSync('mkdir', ['-p', vids]);
  for (let i = 0; i < 3; i++) makeVideo(join(vids, `v${i}.mp4`), { seconds: 10, source: i % 2 ? 'testsrc2' : 'mandelbrot', freq: 300 + 100 * i });
  const child = spawn(process.execPath, ['bin/clipmatch.js', 'ingest', vids, '--library', lib, '--threads', '1'], { stdio: 'ignore' });
  // Kill once the first video has landed (or after a while), mid-way through the batch.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const dir = join(lib, 'videos');
    if (existsSync(dir) && readdirSync(dir).length >= 1) break;
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));

  const s = await ingest({ libraryDir: lib, inputs: [vids], threads: 2 });
  assert.equal(s.added.length + s.alreadyPresent.length, 3);
  const cat = await openCatalog(lib);
  try {
    assert.equal((await cat.stats()).videos, 3);
    assert.equal((await cat.stats()).clips, 3);
    const dirs = readdirSync(join(lib, 'videos')).sort();
    assert.deepEqual(dirs, (await cat.videos()).map((v) => v.videoId).sort(), 'every folder is a catalogued video');
    for (const v of (await cat.videos())) for (const c of (await cat.clipsOf(v.videoId))) assert.ok(statSync(join(lib, c.videoPath)).size > 0);
  } finally {
    await cat.close();
  }
  assert.ok(!existsSync(join(lib, 'tmp')), 'no build leftovers');
  assert.ok(!existsSync(join(lib, '.ingest.lock')), 'lock released');
});
