// Index versions: published whole, newest wins, pruned safely, the old layout still read; the compact
// clip id table; a reader holding an old version keeps answering while newer ones are written and it
// is pruned (also with the HNSW graph memory-mapped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipIdTable } from '../../src/index/clip-ids.js';
import { loadVersion } from '../../src/index/index-load.js';
import { listVersions, newestVersion, publishVersion, pruneVersions } from '../../src/index/index-versions.js';
import { buildLibraryIndex, indexDirFor } from '../../src/index/library-index.js';
import { openLibraryIndex } from '../../src/index/index-open.js';
import { createIndex } from '../../src/index/vector-index.js';
import { FakeLibrary, fakeEmbedder, ids } from '../helpers/fake-index-library.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-idxver-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

void test('clip id table: runs per video, literal ids, both directions, and a file round trip', () => {
  const list = [...Array.from({ length: 30 }, (_, i) => `vidA-${String(i).padStart(4, '0')}`), 'odd id', 'vidB-0007', 'vidB-0008', 'vidA-0030', 'vidC-12345', 'vidD-00012'];
  const t = ClipIdTable.fromIds(list);
  assert.equal(t.size, list.length);
  // vidA 0..29, literal, vidB 7..8, vidA 30 (a new run: not adjacent in rows), vidC, vidD (odd padding: literal)
  assert.equal(t.runCount, 6);
  list.forEach((id, row) => {
    assert.equal(t.at(row), id);
    assert.equal(t.rowOf(id), row);
  });
  assert.equal(t.rowOf('vidA-0031'), undefined);
  assert.equal(t.rowOf('vidB-0006'), undefined);
  assert.equal(t.rowOf('vidD-0012'), undefined);
  assert.equal(t.rowOf('nope'), undefined);
  assert.throws(() => t.at(list.length), RangeError);
  const back = ClipIdTable.parse(t.serialize());
  assert.deepEqual(back.toArray(), list);
  assert.throws(() => ClipIdTable.fromIds(['a-0001', 'a-0001']), /distinct/);
  assert.throws(() => ClipIdTable.fromIds(['tab\there']), /cannot be stored/);
  assert.throws(() => ClipIdTable.parse('something else\n'), /not a clip id table/);
});

void test('a version appears whole: the temp folder is never listed, the manifest comes last', async (t) => {
  const dir = tmp(t);
  const seen: number[][] = [];
  const v1 = await publishVersion(
    dir,
    (tmpDir) => {
      writeFileSync(join(tmpDir, 'payload'), 'one');
      seen.push(listVersions(dir));
      assert.equal(existsSync(join(tmpDir, 'manifest.json')), false);
    },
    (version) => ({ version }),
  );
  assert.deepEqual(seen, [[]]);
  assert.equal(v1.version, 1);
  const v2 = await publishVersion(dir, (d) => writeFileSync(join(d, 'payload'), 'two'), (version) => ({ version }));
  assert.equal(v2.version, 2);
  assert.deepEqual(listVersions(dir), [1, 2]);
  assert.equal(newestVersion(dir)?.version, 2);
  assert.deepEqual(readdirSync(dir).sort(), ['v1', 'v2']);
  // a failed write leaves nothing behind
  await assert.rejects(publishVersion(dir, () => {
    throw new Error('disk full');
  }, (version) => ({ version })), /disk full/);
  assert.deepEqual(readdirSync(dir).sort(), ['v1', 'v2']);
  // an incomplete v<N> (no manifest) is not a version, but its number is never reused
  mkdirSync(join(dir, 'v3'));
  writeFileSync(join(dir, 'v3', 'payload'), 'partial');
  assert.deepEqual(listVersions(dir), [1, 2]);
  assert.equal((await publishVersion(dir, () => undefined, (version) => ({ version }))).version, 4);
});

void test('pruning keeps the newest few, never the only one, and a version only an hour after it was superseded', async (t) => {
  const dir = tmp(t);
  for (let i = 0; i < 5; i++) await publishVersion(dir, () => undefined, (version) => ({ version }));
  // just superseded: a reader may still be mid-job on them
  assert.deepEqual(pruneVersions(dir, 2), []);
  // v3 superseded (by v4) two hours ago: v1..v3 may go; v4 (superseded by v5 just now) stays
  const past = new Date(Date.now() - 2 * 3600_000);
  for (const v of [2, 3, 4]) utimesSync(join(dir, `v${v}`, 'manifest.json'), past, past);
  assert.deepEqual(pruneVersions(dir, 2), [1, 2, 3]);
  assert.deepEqual(listVersions(dir), [4, 5]);
  assert.deepEqual(pruneVersions(dir, 0), []);
  assert.deepEqual(pruneVersions(dir, 0, 0), [4]);
  assert.deepEqual(listVersions(dir), [5]);
  assert.deepEqual(readdirSync(dir), ['v5']);
});

void test(
  'newest wins; a reader holding v1 keeps answering while v2 and v3 are written and v1 is pruned',
  async (t) => {
    const dir = tmp(t);
    const lib = new FakeLibrary();
    const deps = { loadDataset: lib.dataset, describeLibrary: lib.state, keep: 1, pruneAfterMs: 0 };
    const emb = fakeEmbedder('m1');
    lib.ids = ids(0, 300);
    // HNSW (exactBelow 100), the graph memory-mapped by the reader
    await buildLibraryIndex(dir, emb, undefined, { ...deps, indexOptions: { exactBelow: 100, threads: 1 } });
    const v1 = await openLibraryIndex(dir, emb, { ...deps, graph: 'view' });
    assert.equal(v1.version, 1);
    assert.equal(v1.index.kind, 'hnsw');
    const q = v1.embeddingOf('c123')!.slice();
    const before = v1.nearest(q, 5);

    lib.ids.push(...ids(300, 320));
    const s2 = await buildLibraryIndex(dir, emb, undefined, deps);
    assert.deepEqual([s2.version, s2.mode, s2.pruned], [2, 'append', [1]]);
    lib.ids = lib.ids.filter((id) => id !== 'c5');
    const s3 = await buildLibraryIndex(dir, emb, undefined, deps);
    assert.deepEqual([s3.version, s3.mode, s3.pruned], [3, 'full', [2]]);
    assert.equal(existsSync(join(indexDirFor(dir, 'm1'), 'v1')), false);

    // v1's files are gone; the reader that holds it answers exactly as before
    assert.deepEqual(v1.nearest(q, 5), before);
    assert.equal(v1.nearest(q, 1)[0]!.clipId, 'c123');
    assert.equal(v1.size, 300);

    const newest = await openLibraryIndex(dir, emb, deps);
    assert.equal(newest.version, 3);
    assert.equal(newest.size, 319);
    assert.equal(newest.embeddingOf('c5'), undefined);
    assert.equal(newest.nearest(newest.embeddingOf('c310')!, 1)[0]!.clipId, 'c310');
  },
);

void test('the layout before versions is read as version 0 and replaced by the next build', async (t) => {
  const dir = tmp(t);
  const lib = new FakeLibrary();
  lib.ids = ids(0, 20);
  const deps = { loadDataset: lib.dataset, describeLibrary: lib.state, pruneAfterMs: 0 };
  const emb = fakeEmbedder('m1');
  // what an older clipmatch wrote: index files and a format-1 manifest directly in <model>/
  const modelDir = indexDirFor(dir, 'm1');
  const ds = lib.dataset();
  const legacy = createIndex(4, 20);
  legacy.add(await emb.embedVisual(ds.visual, 20), 20);
  legacy.save(modelDir);
  const { libraryFingerprint } = await import('../../src/index/library-index.js');
  const state = lib.state();
  writeFileSync(
    join(modelDir, 'manifest.json'),
    JSON.stringify({ format: 1, modelFingerprint: 'm1', embedderKind: 'fake', dim: 4, kind: 'exact', clipIds: lib.ids, libraryFingerprint: libraryFingerprint(state), extractorKeys: state.extractorKeys, pcaHash: state.pcaHash, builtAt: '2025-01-01T00:00:00Z' }),
  );
  const old = await openLibraryIndex(dir, emb, deps);
  assert.equal(old.version, 0);
  assert.equal(old.nearest(old.embeddingOf('c7')!, 1)[0]!.clipId, 'c7');
  assert.equal(loadVersion(modelDir, 0).size, 20);

  lib.ids.push('c20');
  const embeddedBefore = emb.embedded;
  const s = await buildLibraryIndex(dir, emb, undefined, deps);
  assert.deepEqual([s.version, s.mode, emb.embedded - embeddedBefore], [1, 'append', 1]);
  assert.deepEqual(readdirSync(modelDir), ['v1']);
  assert.equal((await openLibraryIndex(dir, emb, deps)).version, 1);
});
