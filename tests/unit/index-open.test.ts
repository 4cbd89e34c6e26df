// Opening an index: worker mode never builds (missing: a clear UserError; stale: used, its lag named),
// build mode builds as the CLI always did, and a handle moves to a newer version only on refresh().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../src/core/errors.js';
import { indexLag, newestIndexVersion, openIndexHandle, openLibraryIndex } from '../../src/index/index-open.js';
import { buildLibraryIndex } from '../../src/index/library-index.js';
import { FakeLibrary, fakeEmbedder, ids } from '../helpers/fake-index-library.js';

function setup(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-idxopen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lib = new FakeLibrary();
  return { dir, lib, deps: { loadDataset: lib.dataset, describeLibrary: lib.state } };
}

void test('worker mode never builds: no index is a UserError naming the index job', async (t) => {
  const { dir, lib, deps } = setup(t);
  lib.ids = ids(0, 10);
  const emb = fakeEmbedder('m1');
  let described = 0;
  const counting = { ...deps, describeLibrary: () => (described++, lib.state()) };
  await assert.rejects(openLibraryIndex(dir, emb, { ...counting, mode: 'worker' }), (e: unknown) => isUserError(e) && e.code === 'NO_LIBRARY' && /no index yet.*index job.*clipmatch index --library/.test(e.message));
  await assert.rejects(openIndexHandle(dir, emb, { ...counting, mode: 'worker' }), /no index yet/);
  assert.deepEqual([lib.loads, emb.embedded, described], [0, 0, 0]);
});

void test('worker mode uses a stale index as it is and says how far it lags; build mode brings it up to date', async (t) => {
  const { dir, lib, deps } = setup(t);
  lib.ids = ids(0, 10);
  const emb = fakeEmbedder('m1');
  await buildLibraryIndex(dir, emb, undefined, deps);
  lib.ids.push(...ids(10, 13));
  lib.generation = 4;
  const loads = lib.loads;
  let asked = 0;
  const catalogState = () => (asked++, Promise.resolve({ generation: lib.generation, clips: lib.ids.length, pcaHash: lib.pca }));
  const stale = await openLibraryIndex(dir, emb, { ...deps, mode: 'worker', catalogState });
  assert.deepEqual([stale.version, stale.size, asked, lib.loads - loads, emb.embedded], [1, 10, 1, 0, 10]);
  assert.equal(indexLag(stale.manifest, { generation: 4, clips: 13, pcaHash: stale.manifest.pcaHash }), 'built at catalogue generation 1, now 4; 10 clips indexed, 13 in the catalogue (+3)');
  assert.equal(indexLag(stale.manifest, { generation: 1, clips: 10, pcaHash: stale.manifest.pcaHash }), undefined);
  assert.match(indexLag(stale.manifest, { generation: 1, clips: 10, pcaHash: 'other' }) ?? '', /PCA was refit/);

  // strict refuses it; build (the CLI) embeds the 3 new clips into version 2
  await assert.rejects(openLibraryIndex(dir, emb, deps), (e: unknown) => isUserError(e) && /3 clip\(s\) added/.test(e.message));
  const built = await openLibraryIndex(dir, emb, { ...deps, mode: 'build' });
  assert.deepEqual([built.version, built.size, emb.embedded], [2, 13, 13]);
});

void test('a handle keeps its version until refresh() finds a newer one', async (t) => {
  const { dir, lib, deps } = setup(t);
  lib.ids = ids(0, 20);
  const emb = fakeEmbedder('m1');
  await buildLibraryIndex(dir, emb, undefined, deps);
  const handle = await openIndexHandle(dir, emb, { ...deps, mode: 'worker' });
  assert.deepEqual([handle.version, handle.size], [1, 20]);
  assert.equal(await handle.refresh(), false);

  lib.ids.push(...ids(20, 25));
  assert.equal(newestIndexVersion(dir, 'm1'), 1);
  const s = await buildLibraryIndex(dir, emb, undefined, deps);
  assert.equal(s.version, 2);
  assert.equal(newestIndexVersion(dir, 'm1'), 2);
  assert.equal(newestIndexVersion(dir, 'other-model'), undefined);
  // nothing changes under a running job
  assert.deepEqual([handle.version, handle.size, handle.embeddingOf('c22')], [1, 20, undefined]);
  assert.equal(await handle.refresh(), true);
  assert.deepEqual([handle.version, handle.size], [2, 25]);
  assert.equal(handle.nearest(handle.embeddingOf('c22')!, 1)[0]!.clipId, 'c22');
  assert.equal(handle.farthest(handle.embeddingOf('c22')!, 25).length, 25);
  assert.equal(await handle.refresh(), false);
});
