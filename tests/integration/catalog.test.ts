// One suite, both catalogues: SQLite in a temp folder and PostgreSQL (the real server, a random schema
// per test, dropped afterwards). Whole-or-nothing videos, one winner when writers race on a video,
// removal, skips, first-writer-wins settings, ingest batches and migrations.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import Database from 'better-sqlite3';
import { openCatalog, type Catalog } from '../../src/library/catalog.js';
import type { ClipRecord, VideoRecord } from '../../src/core/types.js';
import { testSchema } from '../helpers/pg.js';

const EXTRACTORS = { audio: { name: 'a', version: '1' }, visual: { name: 'v', version: '2' } };

function video(id: string, clips = 3): { v: VideoRecord; c: ClipRecord[] } {
  const v: VideoRecord = { videoId: id, source: `/media/${id}.mp4`, title: `${id}.mp4`, duration: clips * 10, hasAudio: true, width: 320, height: 240, fps: 25 };
  const c = Array.from({ length: clips }, (_, i) => ({
    clipId: `${id}-${String(i).padStart(4, '0')}`,
    videoId: id,
    index: i,
    start: i * 10,
    duration: 10,
    hasAudio: i % 2 === 0,
    videoPath: `videos/${id}/clip-${i}.mp4`,
    audioPath: `videos/${id}/clip-${i}.wav`,
  }));
  return { v, c };
}

interface Backend {
  name: 'sqlite' | 'postgres';
  /** a fresh library; open() may be called several times (several writers) */
  setup(t: TestContext): { open(create?: boolean): Promise<Catalog>; corruptVersion(v: number): Promise<void> };
}

const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    setup(t) {
      const root = mkdtempSync(join(tmpdir(), 'clipmatch-catalog-'));
      t.after(() => rmSync(root, { recursive: true, force: true }));
      return {
        open: (create = true) => openCatalog(root, { create, databaseUrl: '' }),
        async corruptVersion(v) {
          const db = new Database(join(root, 'catalog.sqlite'));
          db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(v));
          db.close();
        },
      };
    },
  },
  {
    name: 'postgres',
    setup(t) {
      const s = testSchema('cat');
      t.after(() => s.drop());
      const root = '/srv/library';
      return {
        open: (create = true) => openCatalog(root, { create, databaseUrl: s.url, schema: s.schema }),
        async corruptVersion(v) {
          const c = new pg.Client({ connectionString: s.url });
          await c.connect();
          await c.query(`UPDATE "${s.schema}".meta SET value = $1 WHERE key = 'schema_version'`, [String(v)]);
          await c.end();
        },
      };
    },
  },
];

async function using<T>(c: Promise<Catalog>, fn: (c: Catalog) => Promise<T>): Promise<T> {
  const cat = await c;
  try {
    return await fn(cat);
  } finally {
    await cat.close();
  }
}

for (const b of BACKENDS) {
  test(`${b.name}: a library that does not exist is refused unless created`, async (t) => {
    const lib = b.setup(t);
    await assert.rejects(lib.open(false), (e: Error & { code?: string }) => e.code === 'NO_LIBRARY');
    await using(lib.open(true), async (c) => assert.equal((await c.stats()).videos, 0));
    await using(lib.open(false), async (c) => assert.equal(c.backend, b.name));
  });

  test(`${b.name}: videos and clips in, in catalogue order, with stats and generations`, async (t) => {
    const lib = b.setup(t);
    await using(lib.open(), async (c) => {
      assert.equal(await c.generation(), 0);
      const y = video('yy', 2);
      const x = video('xx', 3);
      assert.equal(await c.addVideo(y.v, 10, EXTRACTORS, y.c), 'added');
      assert.equal(await c.addVideo(x.v, 10, EXTRACTORS, x.c), 'added');
      assert.equal(await c.generation(), 2);
      assert.deepEqual(await c.clipIds(), ['xx-0000', 'xx-0001', 'xx-0002', 'yy-0000', 'yy-0001']);
      assert.deepEqual((await c.clips()).map((r) => r.clipId), await c.clipIds());
      assert.deepEqual(await c.clipsOf('xx'), x.c);
      assert.deepEqual(await c.getClip('yy-0001'), y.c[1]);
      assert.equal(await c.getClip('nope'), undefined);
      const some = await c.getClips(['xx-0002', 'nope', 'yy-0000']);
      assert.deepEqual([...some.keys()].sort(), ['xx-0002', 'yy-0000']);
      assert.deepEqual(some.get('xx-0002'), x.c[2]);
      const v = await c.getVideo('xx');
      assert.deepEqual(v, { ...x.v, clipSeconds: 10, audioExtractor: 'a@1', visualExtractor: 'v@2' });
      assert.deepEqual((await c.videos()).map((r) => r.videoId), ['xx', 'yy']);
      assert.equal(await c.hasVideo('xx'), true);
      assert.equal(await c.hasVideo('zz'), false);
      assert.deepEqual(await c.stats(), {
        videos: 2,
        clips: 5,
        seconds: 50,
        videoSeconds: 50,
        clipsWithAudio: 3,
        extractors: { audio: { 'a@1': 5 }, visual: { 'v@2': 5 } },
        skipped: 0,
      });
    });
  });

  test(`${b.name}: a video is whole or absent, and a second add of it changes nothing`, async (t) => {
    const lib = b.setup(t);
    await using(lib.open(), async (c) => {
      const x = video('xx', 3);
      const broken = { ...x, c: [x.c[0]!, x.c[0]!] }; // the same clip twice: the transaction fails
      await assert.rejects(c.addVideo(x.v, 10, EXTRACTORS, broken.c));
      assert.equal(await c.hasVideo('xx'), false);
      assert.deepEqual(await c.clipIds(), []);
      assert.equal(await c.generation(), 0);
      assert.equal(await c.addVideo(x.v, 10, EXTRACTORS, x.c), 'added');
      assert.equal(await c.addVideo({ ...x.v, title: 'other' }, 10, EXTRACTORS, x.c.slice(0, 1)), 'present');
      assert.equal((await c.getVideo('xx'))!.title, 'xx.mp4');
      assert.equal((await c.clipsOf('xx')).length, 3);
      assert.equal(await c.generation(), 1);
    });
  });

  test(`${b.name}: many writers at once: every video once, one winner per video`, async (t) => {
    const lib = b.setup(t);
    const writers = await Promise.all([lib.open(), lib.open(), lib.open(), lib.open()]);
    try {
      // 8 videos, each offered by every writer at the same time
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => video(`v${i}`, 1 + (i % 3))).flatMap(({ v, c }) => writers.map((w) => w.addVideo(v, 10, EXTRACTORS, c).then((r) => [v.videoId, r] as const))),
      );
      const added = outcomes.filter(([, r]) => r === 'added').map(([id]) => id).sort();
      assert.deepEqual(added, ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7']);
      const stats = await writers[0]!.stats();
      assert.equal(stats.videos, 8);
      assert.equal(stats.clips, 15); // 1, 2, 3, 1, 2, 3, 1, 2 clips
      assert.equal(await writers[1]!.generation(), 8);
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
  });

  test(`${b.name}: removal, skips, settings and batches`, async (t) => {
    const lib = b.setup(t);
    await using(lib.open(), async (c) => {
      const x = video('xx', 2);
      await c.recordSkip(x.v.source, 'first try failed');
      await c.recordSkip('/media/bad.mp4', 'no video stream');
      await c.recordSkip('/media/bad.mp4', 'still no video stream');
      await c.addVideo(x.v, 10, EXTRACTORS, x.c);
      assert.deepEqual(await c.skipped(), [{ source: '/media/bad.mp4', reason: 'still no video stream' }]);
      assert.equal(await c.removeVideo('xx'), true);
      assert.equal(await c.removeVideo('xx'), false);
      assert.deepEqual(await c.clipIds(), []);
      assert.equal(await c.generation(), 2);

      assert.equal(await c.getMeta('clip_seconds'), undefined);
      assert.equal(await c.claimMeta('clip_seconds', '10'), '10');
      assert.equal(await c.claimMeta('clip_seconds', '5'), '10', 'the first writer wins');
      await c.setMeta('clip_seconds', '5');
      assert.equal(await c.getMeta('clip_seconds'), '5');

      await c.createBatch('b1', [
        { itemId: 'j1', source: '/media/a.mp4' },
        { itemId: 'j2', source: '/media/b.mp4' },
        { itemId: 'j3', source: '/media/c.mp4' },
      ]);
      await c.updateBatchItem('b1', 'j1', { state: 'added', clips: 3, seconds: 30, detail: 'vid-a' });
      await c.updateBatchItem('b1', 'j2', { state: 'skipped', detail: 'no video stream' });
      await c.updateBatchItem('b1', 'j3', { state: 'running' });
      await c.createBatch('b1', [{ itemId: 'j1', source: '/media/a.mp4' }]); // again: keeps its state
      const [b1] = await c.batches();
      assert.equal(b1!.batchId, 'b1');
      assert.equal(b1!.total, 3);
      assert.deepEqual(b1!.counts, { queued: 0, running: 1, added: 1, present: 0, skipped: 1, failed: 0 });
      assert.equal(b1!.clips, 3);
      assert.equal(b1!.seconds, 30);
      assert.deepEqual(b1!.problems, [{ source: '/media/b.mp4', state: 'skipped', reason: 'no video stream' }]);
    });
  });

  test(`${b.name}: migrations run once and a newer schema is refused`, async (t) => {
    const lib = b.setup(t);
    const [a, c] = await Promise.all([lib.open(), lib.open()]);
    await a.close();
    await c.close();
    await using(lib.open(), async (x) => assert.equal(await x.getMeta('schema_version'), '2'));
    await lib.corruptVersion(99);
    await assert.rejects(lib.open(), /newer than this clipmatch/);
  });
}
