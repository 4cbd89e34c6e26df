// The index job on a real (tiny) library made by the real ingest, SQLite catalogue, cold-start model: a
// worker-mode context opened before an ingest keeps its version, the index job publishes the next one,
// and the context switches to it between jobs; visualize records the version it used; the CLI runs the
// same job.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isUserError } from '../../src/core/errors.js';
import { noProgress } from '../../src/core/types.js';
import { runIndexJob } from '../../src/index/index-job.js';
import { runIndexJobInChild } from '../../src/index/index-job-child.js';
import { newestIndexVersion } from '../../src/index/index-open.js';
import { listVersions } from '../../src/index/index-versions.js';
import { openCatalog } from '../../src/library/catalog.js';
import { ingest } from '../../src/library/ingest.js';
import { openLibraryContext } from '../../src/services/match.service.js';
import { visualize } from '../../src/services/visualize.service.js';
import { makeAudio, makeVideo, tempDir } from '../helpers/media.js';

const t = tempDir('clipmatch-indexjob-');
let lib: string;
let media: string;

before(async () => {
  media = join(t.dir, 'media');
  mkdirSync(join(media, 'first'), { recursive: true });
  mkdirSync(join(media, 'later'));
  ['testsrc2', 'mandelbrot'].forEach((source, i) => makeVideo(join(media, 'first', `${source}.mp4`), { seconds: 10, source, size: '96x64', rate: 10, freq: 300 + 200 * i }));
  makeVideo(join(media, 'later', 'smptebars.mp4'), { seconds: 10, source: 'smptebars', size: '96x64', rate: 10, freq: 700 });
  lib = join(t.dir, 'lib');
  // the library folder is the shared mount: it exists before the first ingest (the PostgreSQL run needs it)
  mkdirSync(lib);
  const s = await ingest({ libraryDir: lib, inputs: [join(media, 'first')], threads: 2 });
  assert.equal(s.clipsAdded, 2);
});
after(() => t.cleanup());

/** Newest version of the only model indexed in the library. */
const newestOf = (root: string): number => {
  const models = readdirSync(join(root, 'index')).filter((d) => !d.startsWith('.'));
  assert.equal(models.length, 1);
  return listVersions(join(root, 'index', models[0]!)).at(-1)!;
};

const clipIds = async () => {
  const c = await openCatalog(lib, { readonly: true });
  try {
    return await c.clipIds();
  } finally {
    await c.close();
  }
};

void test('worker contexts load the newest version, switch between jobs, never build; visualize records the version', async () => {
  await assert.rejects(openLibraryContext(lib, undefined, noProgress, { index: 'worker' }), (e: unknown) => isUserError(e) && /no index yet/.test(e.message));

  const first = await runIndexJob({ libraryDir: lib, threads: 1 });
  assert.deepEqual([first.version, first.mode, first.clips, first.waitedSeconds < 60], [1, 'full', 2, true]);

  const ctx = await openLibraryContext(lib, undefined, noProgress, { index: 'worker' });
  try {
    assert.equal(ctx.indexVersion, 1);
    assert.equal(ctx.index.size, 2);
    assert.equal(await ctx.refreshIndex!(), false);

    await ingest({ libraryDir: lib, inputs: [join(media, 'later')], threads: 2 });
    const ids = await clipIds();
    assert.equal(ids.length, 3);
    const added = ids.find((id) => ctx.index.embeddingOf(id) === undefined)!;
    assert.ok(added);
    // a stale index stays in use: a worker never builds
    const stale = await openLibraryContext(lib, undefined, noProgress, { index: 'worker' });
    assert.deepEqual([stale.indexVersion, stale.index.size], [1, 2]);
    await stale.close();

    // the way a queue worker runs it: in a child process, progress coming back
    const stages = new Set<string>();
    const second = await runIndexJobInChild({ libraryDir: lib, threads: 1, progress: (stage) => stages.add(stage) });
    assert.ok(stages.has('embed') && stages.has('index'), [...stages].join(','));
    assert.deepEqual([second.version, second.mode, second.embedded, second.clips], [2, 'append', 1, 3]);
    assert.equal(ctx.indexVersion, 1);
    assert.equal(await ctx.refreshIndex!(), true);
    assert.deepEqual([ctx.indexVersion, ctx.index.size], [2, 3]);
    assert.ok(ctx.index.embeddingOf(added));

    const again = await runIndexJob({ libraryDir: lib, threads: 1 });
    assert.deepEqual([again.version, again.mode], [2, 'unchanged']);
    // a child job cancelled at its first progress report is killed; whether it got as far as publishing
    // (a 3-clip build is quick) or not, the lock is takeable at once (its holder is dead) and the
    // newest version is whole
    const ac = new AbortController();
    const cancelled = runIndexJobInChild({ libraryDir: lib, threads: 1, force: true, signal: ac.signal, progress: () => ac.abort() });
    await assert.rejects(cancelled, (e: unknown) => isUserError(e) && e.code === 'CANCELLED');
    const afterCancel = await runIndexJob({ libraryDir: lib, threads: 1, wait: false });
    assert.equal(afterCancel.mode, 'unchanged');
    const newest = newestIndexVersion(lib, afterCancel.model)!;
    assert.ok(newest === 2 || newest === 3, String(newest));
    assert.equal(afterCancel.version, newest);

    // a render child per job opens the newest itself (indexMode 'worker') and says which it used
    const song = makeAudio(join(t.dir, 'song.ogg'), 12, "aevalsrc='0.4*sin(2*PI*500*t)*exp(-20*mod(t,0.5))+0.2*sin(2*PI*300*t)'");
    const res = await visualize({ audioPath: song, libraryDir: lib, outPath: join(t.dir, 'v.mp4'), indexMode: 'worker', render: { maxHeight: 120, quality: 'rule' } });
    assert.equal(res.indexVersion, newest);
    const withCtx = await visualize({ audioPath: song, libraryDir: lib, outPath: join(t.dir, 'w.mp4'), library: ctx, render: { maxHeight: 120, quality: 'rule' } });
    assert.equal(withCtx.indexVersion, 2);
  } finally {
    await ctx.close();
  }
});

void test('clipmatch index runs the same job: --force publishes the next version', () => {
  const before = newestOf(lib);
  const r = spawnSync(process.execPath, ['bin/clipmatch.js', 'index', '--library', lib, '--force', '--json'], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' }, timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { version: number; mode: string; clips: number; model: string; pcaRefitted: boolean };
  assert.deepEqual([s.version, s.mode, s.clips, s.pcaRefitted], [before + 1, 'full', 3, false]);
  assert.ok(s.model.length > 0);
});
