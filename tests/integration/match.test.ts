// match and the two CLI commands end to end on a real (tiny) library made by the real ingest: catalogue,
// features, cold-start model, vector index built on first use. Also the CLI's bad-input contract: one
// clear message, a non-zero exit, no output file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isUserError } from '../../src/core/errors.js';
import { openCatalog } from '../../src/library/catalog.js';
import { ingest } from '../../src/library/ingest.js';
import { match } from '../../src/services/match.service.js';
import { makeAudio, makeCorrupt, makeVideo, tempDir } from '../helpers/media.js';

const t = tempDir('clipmatch-match-');
let lib: string;
let song: string;

before(async () => {
  const media = join(t.dir, 'media');
  mkdirSync(media);
  ['testsrc2', 'mandelbrot', 'smptebars'].forEach((source, i) =>
    makeVideo(join(media, `${source}.mp4`), { seconds: 10, source, size: '96x64', rate: 10, freq: 300 + 200 * i }),
  );
  lib = join(t.dir, 'lib');
  const s = await ingest({ libraryDir: lib, inputs: [media], threads: 2 });
  assert.equal(s.clipsAdded, 3);
  song = makeAudio(join(t.dir, 'song.ogg'), 12, "aevalsrc='0.4*sin(2*PI*500*t)*exp(-20*mod(t,0.5))+0.2*sin(2*PI*300*t)'");
});
after(() => t.cleanup());

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/clipmatch.js', ...args], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' }, timeout: 120_000 });

void test('match returns the closest and farthest clips with their sources and a contact sheet', async () => {
  const sheetPath = join(t.dir, 'sheet.png');
  const res = await match({ audioPath: song, libraryDir: lib, at: 1.5, sheetPath });
  assert.equal(res.at, 1.5);
  assert.equal(res.closest.length, 3);
  assert.equal(res.farthest.length, 3);
  for (let i = 1; i < 3; i++) {
    assert.ok(res.closest[i]!.distance >= res.closest[i - 1]!.distance);
    assert.ok(res.farthest[i]!.distance <= res.farthest[i - 1]!.distance);
  }
  const cat = await openCatalog(lib, { readonly: true });
  try {
    for (const h of [...res.closest, ...res.farthest]) {
      const c = (await cat.getClip(h.clipId));
      assert.ok(c, `clip ${h.clipId} is in the catalogue`);
      assert.equal(h.videoId, c.videoId);
      assert.equal(h.start, c.start);
      assert.equal(h.source, (await cat.getVideo(c.videoId))!.title);
    }
  } finally {
    await cat.close();
  }
  assert.equal(res.sheet, sheetPath);
  assert.ok(existsSync(sheetPath));
  await assert.rejects(
    match({ audioPath: song, libraryDir: join(t.dir, 'no-library'), sheetPath: join(t.dir, 'none.png') }),
    (e: unknown) => isUserError(e) && e.code === 'NO_LIBRARY' && /no clip library/.test(e.message),
  );
  await assert.rejects(match({ audioPath: song, libraryDir: lib, at: 30, sheetPath: join(t.dir, 'none.png') }), (e: unknown) => isUserError(e) && e.code === 'BAD_INPUT');
  assert.equal(existsSync(join(t.dir, 'none.png')), false);
});

void test('clipmatch match --json prints the documented shape', () => {
  const sheet = join(t.dir, 'cli-sheet.png');
  const r = cli('match', song, '--library', lib, '--sheet', sheet, '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { closest: Array<Record<string, unknown>>; farthest: Array<Record<string, unknown>>; sheet: string };
  assert.equal(out.closest.length, 3);
  assert.equal(out.farthest.length, 3);
  for (const h of [...out.closest, ...out.farthest]) {
    assert.equal(typeof h.clipId, 'string');
    assert.equal(typeof h.videoId, 'string');
    assert.equal(typeof h.start, 'number');
    assert.equal(typeof h.distance, 'number');
  }
  assert.equal(out.sheet, sheet);
  assert.ok(existsSync(sheet));
});

void test('clipmatch visualize --json prints the plan and writes the video', () => {
  const video = join(t.dir, 'cli.mp4');
  const r = cli('visualize', song, '--library', lib, '-o', video, '--aspect', '1:1', '--max-mb', '0.5', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { video: string; sheet: string; plan: Array<{ start: number; end: number; clipId: string; score: number }> };
  assert.equal(out.video, video);
  assert.ok(existsSync(video) && existsSync(out.sheet));
  assert.ok(out.plan.length >= 1);
  for (const p of out.plan) for (const k of ['start', 'end', 'score'] as const) assert.equal(typeof p[k], 'number');
  assert.equal(out.plan[out.plan.length - 1]!.end, 12);
});

void test('the CLI turns bad input into one clear message, exit 1 and no output', () => {
  const dir = join(t.dir, 'bad');
  mkdirSync(dir);
  const corrupt = makeCorrupt(join(dir, 'corrupt.mp3'));
  const silent = makeAudio(join(dir, 'silent.wav'), 11, 'anullsrc=r=44100:cl=mono');
  const cases: Array<[string[], RegExp]> = [
    [['match', corrupt, '--library', lib, '--sheet', join(dir, 'a.png')], /not an audio file/],
    [['visualize', silent, '--library', lib, '-o', join(dir, 'b.mp4')], /silent/],
    [['visualize', 'http://127.0.0.1:9/song.mp3', '--library', lib, '-o', join(dir, 'c.mp4')], /private|loopback|not allowed|address/i],
  ];
  for (const [args, message] of cases) {
    const r = cli(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('clipmatch:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
  }
  assert.deepEqual(readdirSync(dir).sort(), ['corrupt.mp3', 'silent.wav']);
});
