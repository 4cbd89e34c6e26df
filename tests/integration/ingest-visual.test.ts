// `ingest --visual inception-v3`: the library records the network, stores 2048 values per second, fits
// its PCA on them and names the extractor after it; another network in the same library is refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { ingest } from '../../src/library/ingest.js';
import { openCatalog } from '../../src/library/catalog.js';
import { loadDataset } from '../../src/library/dataset.js';
import { FEATURE_FILES, libraryPaths } from '../../src/library/layout.js';
import { readF32 } from '../../src/library/pca-store.js';
import { makeVideo, tempDir } from '../helpers/media.js';

const t = tempDir('clipmatch-ingest-visual-');
after(() => t.cleanup());

void test('ingest --visual inception-v3 keeps 2048-value frames, its own extractor name, and refuses mixing', async () => {
  const video = makeVideo(join(t.dir, 'v.mp4'), { seconds: 4, source: 'mandelbrot', size: '320x240', freq: 330 });
  const lib = join(t.dir, 'lib');
  const s = await ingest({ libraryDir: lib, inputs: [video], threads: 2, clipSeconds: 2, visual: 'inception-v3' });
  assert.equal(s.clipsAdded, 2);
  const cat = await openCatalog(lib, { readonly: true });
  try {
    assert.deepEqual(Object.keys((await cat.stats()).extractors.visual), ['inceptionv3-mixed10+cues@1']);
    const [v] = (await cat.videos());
    const cnn = await readF32(join(libraryPaths(lib).videoDir(v!.videoId), FEATURE_FILES.cnn));
    assert.equal(cnn.length, 2 * 2 * 2048, 'two clips of two seconds, 2048 values each');
    assert.ok(cnn.some((x) => x !== 0) && cnn.every(Number.isFinite));
  } finally {
    await cat.close();
  }
  const ds = await loadDataset(lib);
  assert.match(ds.extractors.visual.name, /^inceptionv3-mixed10-pca120\+cues8$/);
  assert.equal(ds.visual.length, 2 * 2 * 128);

  await assert.rejects(
    ingest({ libraryDir: lib, inputs: [makeVideo(join(t.dir, 'w.mp4'), { seconds: 2, freq: 220 })], threads: 1, clipSeconds: 2, visual: 'mobilenet-v2' }),
    (err: unknown) => err instanceof UserError && /come from inception-v3; use --visual inception-v3/.test(err.message),
  );
  // Without --visual, the library's own network is used.
  const again = await ingest({ libraryDir: lib, inputs: [makeVideo(join(t.dir, 'x.mp4'), { seconds: 2, freq: 550 })], threads: 1, clipSeconds: 2 });
  assert.equal(again.clipsAdded, 1);
});
