// A model carries its own visual basis: trained on library A, it embeds and matches library B, which
// fitted another PCA on other footage, including a video that has no soundtrack at all. Real ingest
// (ffmpeg, CNN, DSP) on tiny generated media.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { buildLibraryIndex } from '../../src/index/library-index.js';
import { loadDataset } from '../../src/library/dataset.js';
import { ingest } from '../../src/library/ingest.js';
import { loadEmbedder } from '../../src/model/embedder.js';
import { BASIS_FILE, checkExtractors, readManifest } from '../../src/model/manifest.js';
import { saveRun, trainOnDataset } from '../../src/model/pipeline.js';
import { match } from '../../src/services/match.service.js';
import { makeAudio, makeVideo, tempDir } from '../helpers/media.js';

const t = tempDir('clipmatch-portable-');
const libA = join(t.dir, 'libA');
const libB = join(t.dir, 'libB');
const modelDir = join(t.dir, 'model');
after(() => t.cleanup());

before(async () => {
  const a = join(t.dir, 'a');
  const b = join(t.dir, 'b');
  mkdirSync(a);
  mkdirSync(b);
  ['testsrc2', 'mandelbrot', 'life'].forEach((source, i) =>
    makeVideo(join(a, `${source}.mp4`), { seconds: 12, source, size: '96x64', rate: 10, audio: `aevalsrc='0.3*sin(2*PI*${300 + 150 * i}*t)*(0.5+0.5*sin(2*PI*${0.3 + 0.2 * i}*t))':sample_rate=44100:duration=12` }),
  );
  makeVideo(join(b, 'smptebars.mp4'), { seconds: 8, source: 'smptebars', size: '96x64', rate: 10, freq: 500 });
  // stock footage without a soundtrack
  makeVideo(join(b, 'silent.mp4'), { seconds: 8, source: 'cellauto', size: '96x64', rate: 10, freq: null });
  await ingest({ libraryDir: libA, inputs: [a], clipSeconds: 2, threads: 2 });
  await ingest({ libraryDir: libB, inputs: [b], clipSeconds: 2, threads: 2 });
});

test('a model trained on library A embeds and matches library B through its own basis', { timeout: 300_000 }, async () => {
  const dsA = await loadDataset(libA, { audioOnly: true });
  const run = await trainOnDataset(dsA, { arch: 'cca', split: 'clip', seed: 1, epochs: 1 });
  await saveRun(modelDir, dsA, run, libA);
  run.result.model.dispose();
  const manifest = await readManifest(modelDir);
  assert.ok(manifest.visualBasis, 'the manifest names the basis');
  assert.ok(existsSync(join(modelDir, BASIS_FILE)));
  assert.equal(manifest.visualBasis.fingerprint, dsA.visualBasis?.fingerprint);

  const own = await loadDataset(libB);
  assert.notEqual(own.extractors.visual.version, dsA.extractors.visual.version, 'B fitted a PCA of its own');
  const model = await loadEmbedder(modelDir);
  assert.ok(model.visualBasis);
  // Through B's own projection the model refuses the features, as any model bound to one library would.
  assert.throws(() => checkExtractors(modelDir, model.extractors, own.extractors), (e: unknown) => e instanceof UserError && e.code === 'INCOMPATIBLE');
  // Through the model's basis B's raw CNN features become the features the model was trained on.
  const dsB = await loadDataset(libB, { basis: model.visualBasis });
  checkExtractors(modelDir, model.extractors, dsB.extractors);
  assert.equal(dsB.clips.length, own.clips.length);
  assert.ok(dsB.clips.some((c) => !c.hasAudio), 'B holds footage without a soundtrack');
  const ev = model.embedVisual(dsB.visual, dsB.clips.length);
  for (let i = 0; i < dsB.clips.length; i++) {
    const row = ev.subarray(i * model.dim, (i + 1) * model.dim);
    const norm = Math.hypot(...row);
    assert.ok(Math.abs(norm - 1) < 1e-4, `clip ${i} embeds to a unit vector (${norm})`);
  }

  // The product path: index B for the model and match a song against it, silent footage included.
  const summary = await buildLibraryIndex(libB, model);
  assert.equal(summary.clips, dsB.clips.length);
  const song = makeAudio(join(t.dir, 'song.ogg'), 12, "aevalsrc='0.4*sin(2*PI*440*t)*exp(-10*mod(t,0.5))'");
  const res = await match({ audioPath: song, libraryDir: libB, modelDir, at: 1, sheetPath: join(t.dir, 'sheet.png') });
  const silentIds = new Set(dsB.clips.filter((c) => !c.hasAudio).map((c) => c.clipId));
  const ranked = [...res.closest, ...res.farthest].map((c) => c.clipId);
  assert.ok(ranked.some((id) => silentIds.has(id)), 'clips without a soundtrack are ranked');

  // eval knows the model comes from elsewhere and scores every clip of B that has sound.
  const out = spawnSync(process.execPath, ['bin/clipmatch.js', 'eval', '--library', libB, '--model', modelDir, '--json'], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' }, timeout: 120_000 });
  assert.equal(out.status, 0, out.stderr);
  const report = JSON.parse(out.stdout) as { split: string; testClips: number };
  assert.equal(report.split, 'all (another library)');
  assert.equal(report.testClips, dsB.clips.filter((c) => c.hasAudio).length);
  model.dispose?.();
});
