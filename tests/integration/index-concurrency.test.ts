// Builders in separate processes publishing at the same moment get distinct versions, each one whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readVersion, loadVersion } from '../../src/index/index-load.js';
import { listVersions, versionDir } from '../../src/index/index-versions.js';
import { indexDirFor } from '../../src/index/library-index.js';

const CHILD = fileURLToPath(new URL('../helpers/index-builder-child.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
type Msg = { ready?: boolean; version?: number; pid?: number; error?: string };

void test('four builders at once: four distinct, complete versions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-idxrace-'));
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 4; i++) children.push(fork(CHILD, [dir], { execArgv: ['--import', TSX], env: { ...process.env, LOG_LEVEL: 'warn' } }));
  const nextMessage = (c: ChildProcess) => once(c, 'message').then(([m]) => m as Msg);
  await Promise.all(children.map(async (c) => assert.equal((await nextMessage(c)).ready, true)));
  const results = children.map(nextMessage);
  for (const c of children) c.send('go');
  const got = await Promise.all(results);
  for (const g of got) assert.equal(g.error, undefined);
  assert.deepEqual(got.map((g) => g.version).sort(), [1, 2, 3, 4]);
  const modelDir = indexDirFor(dir, 'm1');
  assert.deepEqual(listVersions(modelDir), [1, 2, 3, 4]);
  for (const g of got) {
    const read = readVersion(versionDir(modelDir, g.version!), g.version!)!;
    assert.equal(read.manifest.version, g.version);
    assert.equal(read.manifest.builtBy.endsWith(`pid ${g.pid}`), true);
    const idx = loadVersion(versionDir(modelDir, g.version!), g.version!);
    assert.deepEqual([idx.size, idx.index.kind], [200, 'hnsw']);
    assert.equal(idx.nearest(idx.embeddingOf('c150')!, 1)[0]!.clipId, 'c150');
  }
});
