// With onnxruntime unavailable, ingest still computes visual features, through TensorFlow.js, and says so
// once; the features equal those of an ingest on onnxruntime within the CNN tolerance.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ingest } from '../../src/library/ingest.js';
import { openCatalog } from '../../src/library/catalog.js';
import { FEATURE_FILES, libraryPaths } from '../../src/library/layout.js';
import { readF32 } from '../../src/library/pca-store.js';
import { makeVideo, tempDir } from '../helpers/media.js';

const t = tempDir('clipmatch-fallback-');
after(() => t.cleanup());

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function cnnOf(lib: string): Promise<Float32Array> {
  const cat = await openCatalog(lib, { readonly: true });
  try {
    const [v] = (await cat.videos());
    return readF32(join(libraryPaths(lib).videoDir(v!.videoId), FEATURE_FILES.cnn));
  } finally {
    await cat.close();
  }
}

void test('ingest without onnxruntime works through tfjs, says so once, and gives the same features', async () => {
  const video = makeVideo(join(t.dir, 'v.mp4'), { seconds: 6, source: 'testsrc2', size: '320x240', freq: 440 });
  const tfjsLib = join(t.dir, 'tfjs');
  const r = await run([new URL('../helpers/ingest-no-ort.ts', import.meta.url).pathname, tfjsLib, video]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { clipsAdded: 3, skipped: [] });
  const lines = r.stderr.split('\n').filter((l) => l.includes('onnxruntime unavailable'));
  assert.equal(lines.length, 1, `said once, got:\n${lines.join('\n')}`);
  assert.match(lines[0]!, /simulated: libonnxruntime\.so cannot be loaded/);

  const onnxLib = join(t.dir, 'onnx');
  await ingest({ libraryDir: onnxLib, inputs: [video], threads: 2, clipSeconds: 2 });
  const [a, b] = [await cnnOf(onnxLib), await cnnOf(tfjsLib)];
  assert.equal(a.length, b.length);
  let d2 = 0, n2 = 0;
  for (let i = 0; i < a.length; i++) {
    d2 += (a[i]! - b[i]!) ** 2;
    n2 += b[i]! ** 2;
  }
  assert.ok(n2 > 0 && Math.sqrt(d2 / n2) < 1e-4, `onnxruntime and tfjs features agree (relative L2 ${Math.sqrt(d2 / n2)})`);
});
