import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../src/core/errors.js';
import type { Dataset } from '../../src/library/dataset.types.js';
import { buildLibraryIndex, checkLibraryIndex, indexDirFor, libraryFingerprint } from '../../src/index/library-index.js';
import { openLibraryIndex } from '../../src/index/index-open.js';
import type { LibraryState } from '../../src/index/library-state.js';
import { FakeLibrary, fakeEmbedder, ids } from '../helpers/fake-index-library.js';

function withLibrary(fn: (dir: string, lib: FakeLibrary, deps: { loadDataset: () => Dataset; describeLibrary: () => LibraryState }) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clipmatch-libidx-'));
    const lib = new FakeLibrary();
    try {
      await fn(dir, lib, { loadDataset: lib.dataset, describeLibrary: lib.state });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}


void test('library fingerprint ignores order and sees ids, extractors and PCA', () => {
  const base = { clipIds: ['a', 'b'], extractorKeys: ['x@1'], pcaHash: 'p' };
  assert.equal(libraryFingerprint(base), libraryFingerprint({ ...base, clipIds: ['b', 'a'] }));
  assert.notEqual(libraryFingerprint(base), libraryFingerprint({ ...base, clipIds: ['a'] }));
  assert.notEqual(libraryFingerprint(base), libraryFingerprint({ ...base, extractorKeys: ['x@2'] }));
  assert.notEqual(libraryFingerprint(base), libraryFingerprint({ ...base, pcaHash: 'q' }));
});

void test('index folder names are safe path segments, distinct per fingerprint', () => {
  const a = indexDirFor('/lib', 'model-abc123');
  assert.equal(a, join('/lib', 'index', 'model-abc123'));
  const b = indexDirFor('/lib', '../../etc/passwd');
  assert.ok(b.startsWith(join('/lib', 'index') + '/'));
  assert.ok(!b.slice(join('/lib', 'index').length + 1).includes('/'));
  assert.notEqual(indexDirFor('/lib', 'a/b'), indexDirFor('/lib', 'a_b'));
});

void test(
  'build, look up by clip id, then detect staleness and refuse it',
  withLibrary(async (dir, lib, deps) => {
    lib.ids = ids(0, 50);
    const emb = fakeEmbedder('m1');
    assert.equal((await checkLibraryIndex(dir, emb, deps)).status, 'missing');
    const stages = new Set<string>();
    const summary = await buildLibraryIndex(dir, emb, (s) => stages.add(s), deps);
    assert.deepEqual({ clips: summary.clips, embedded: summary.embedded, mode: summary.mode, kind: summary.kind }, { clips: 50, embedded: 50, mode: 'full', kind: 'exact' });
    assert.deepEqual([...stages].sort(), ['embed', 'index']);
    assert.equal((await checkLibraryIndex(dir, emb, deps)).status, 'fresh');

    const idx = await openLibraryIndex(dir, emb, deps);
    assert.equal(idx.size, 50);
    const q = idx.embeddingOf('c17')!;
    assert.deepEqual(idx.nearest(q, 1), [{ clipId: 'c17', distance: 0 }]);
    assert.equal(idx.farthest(q, 3).length, 3);
    assert.equal(idx.embeddingOf('nope'), undefined);

    lib.ids.push('c50');
    const st = await checkLibraryIndex(dir, emb, deps);
    assert.equal(st.status, 'stale');
    assert.match(st.status === 'stale' ? st.reason : '', /1 clip\(s\) added/);
    await assert.rejects(openLibraryIndex(dir, emb, deps), (e: unknown) => isUserError(e) && /clipmatch index --library/.test(e.message));
  }),
);

void test(
  'added clips are appended without re-embedding the rest; removals rebuild whole',
  withLibrary(async (dir, lib, deps) => {
    lib.ids = ids(0, 30);
    const emb = fakeEmbedder('m1');
    await buildLibraryIndex(dir, emb, undefined, deps);
    assert.equal(emb.embedded, 30);

    const again = await buildLibraryIndex(dir, emb, undefined, deps);
    assert.equal(again.mode, 'unchanged');
    assert.equal(emb.embedded, 30);

    lib.ids.push(...ids(30, 40));
    const appended = await buildLibraryIndex(dir, emb, undefined, deps);
    assert.deepEqual([appended.mode, appended.embedded, appended.clips], ['append', 10, 40]);
    assert.equal(emb.embedded, 40);
    const idx = await openLibraryIndex(dir, emb, deps);
    assert.equal(idx.nearest(idx.embeddingOf('c35')!, 1)[0]!.clipId, 'c35');

    lib.ids = lib.ids.filter((id) => id !== 'c3');
    const rebuilt = await buildLibraryIndex(dir, emb, undefined, deps);
    assert.deepEqual([rebuilt.mode, rebuilt.clips], ['full', 39]);
    assert.equal(emb.embedded, 79);

    lib.pca = 'pca-b'; // a refit changes every visual feature: no append
    assert.equal((await buildLibraryIndex(dir, emb, undefined, deps)).mode, 'full');
    // Only the model's folder is left, holding whole versions, no temp or trash folders; none pruned yet
    // (a version goes an hour after a newer one appeared, index-versions.test.ts).
    assert.deepEqual(readdirSync(join(dir, 'index')), ['m1']);
    assert.deepEqual(readdirSync(join(dir, 'index', 'm1')).sort(), ['v1', 'v2', 'v3', 'v4']);
  }),
);

void test(
  'another model is a different index; build mode builds it',
  withLibrary(async (dir, lib, deps) => {
    lib.ids = ids(0, 20);
    await buildLibraryIndex(dir, fakeEmbedder('m1'), undefined, deps);
    const m2 = fakeEmbedder('m2', 3, 2);
    const st = await checkLibraryIndex(dir, m2, deps);
    assert.equal(st.status, 'missing');
    assert.match(st.status === 'missing' ? st.reason : '', /indexed for another model \(m1\)/);
    await assert.rejects(openLibraryIndex(dir, m2, deps), /another model/);
    const idx = await openLibraryIndex(dir, m2, { ...deps, mode: 'build' });
    assert.equal(idx.index.dim, 3);
    assert.equal(idx.manifest.modelFingerprint, 'm2');
    assert.ok(existsSync(join(dir, 'index', 'm1')) && existsSync(join(dir, 'index', 'm2')));
  }),
);

void test(
  'HNSW kicks in above the exact threshold and survives reopening',
  withLibrary(async (dir, lib, deps) => {
    lib.ids = ids(0, 300);
    const emb = fakeEmbedder('m1');
    const s = await buildLibraryIndex(dir, emb, undefined, { ...deps, indexOptions: { exactBelow: 100, threads: 1 } });
    assert.equal(s.kind, 'hnsw');
    const idx = await openLibraryIndex(dir, emb, deps);
    assert.equal(idx.manifest.kind, 'hnsw');
    assert.equal(idx.nearest(idx.embeddingOf('c250')!, 1)[0]!.clipId, 'c250');
  }),
);

void test(
  'an empty library and a dataset that disagrees with the catalogue are refused',
  withLibrary(async (dir, lib, deps) => {
    lib.ids = [];
    await assert.rejects(buildLibraryIndex(dir, fakeEmbedder('m1'), undefined, deps), (e: unknown) => isUserError(e) && e.code === 'NO_LIBRARY');
    lib.ids = ids(0, 5);
    const described = lib.state();
    lib.ids.push('c99');
    await assert.rejects(buildLibraryIndex(dir, fakeEmbedder('m1'), undefined, { ...deps, describeLibrary: () => described }), /changed while it was being indexed/);
  }),
);

void test(
  'a model trained on other visual features is refused; a wildcard embedder is not',
  withLibrary(async (dir, lib, deps) => {
    lib.ids = ids(0, 5);
    const other = { ...fakeEmbedder('m9'), extractors: { audio: { name: 'a', version: '1' }, visual: { name: 'visual-test', version: '2' } } };
    await assert.rejects(buildLibraryIndex(dir, other, undefined, deps), (e: unknown) => isUserError(e) && e.code === 'INCOMPATIBLE' && /retrain/.test(e.message));
    const any = { ...fakeEmbedder('cold'), extractors: { audio: { name: 'any', version: '*' }, visual: { name: 'any', version: '*' } } };
    assert.equal((await buildLibraryIndex(dir, any, undefined, deps)).clips, 5);
  }),
);
