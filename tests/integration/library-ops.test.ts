// The library worker's ops on a real SQLite catalogue and real ffmpeg: a linked video is read once through
// the untrusted-media guard (a gzip bomb posted as a "video" is refused by name, fast, nothing added), the
// same link twice is one video, stats count it, remove takes it out of the catalogue and into the trash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openCatalog } from '../../src/library/catalog.js';
import { makeLibraryOps } from '../../src/library/ops.js';
import { makeVideo, tempDir } from '../helpers/media.js';
import { writeGmeBomb } from '../helpers/hostile-media.js';

test('links are read through the guard; stats and remove', async (t) => {
  const dir = tempDir('clipmatch-ops-');
  const root = join(dir.dir, 'library');
  const served = join(dir.dir, 'served');
  await import('node:fs/promises').then((fs) => fs.mkdir(served, { recursive: true }));
  makeVideo(join(served, 'film.mp4'), { seconds: 20, source: 'testsrc2', freq: 440 });
  await writeGmeBomb(join(served, 'bomb.mp4'), 64);
  const catalog = await openCatalog(root, { create: true, databaseUrl: '' });
  const changed: number[] = [];
  // a "download" is a copy of the served file, as fetchToFile leaves it
  const ops = makeLibraryOps({
    root,
    catalog,
    ingest: { threads: 1 },
    fetchVideo: async (url, into) => {
      const dest = join(into, basename(new URL(url).pathname));
      await import('node:fs/promises').then((fs) => fs.mkdir(into, { recursive: true }));
      await copyFile(join(served, basename(new URL(url).pathname)), dest);
      return dest;
    },
    onChanged: async () => void changed.push(await catalog.generation()),
  });
  t.after(async () => {
    await ops.close();
    await catalog.close();
    dir.cleanup();
  });

  const bomb = await ops.addVideo({ kind: 'url', url: 'https://example.org/bomb.mp4' }, {});
  assert.equal(bomb.status, 'skipped');
  assert.match(bomb.reason!, /could not be read as a video/);

  const a = await ops.addVideo({ kind: 'url', url: 'https://example.org/film.mp4' }, {});
  assert.equal(a.status, 'added');
  assert.equal(a.clips, 2);
  assert.equal(a.title, 'film.mp4');
  const again = await ops.addVideo({ kind: 'attachment', url: 'https://cdn.example.org/film.mp4', name: 'film.mp4' }, {});
  assert.equal(again.status, 'present', 'the same video through another link is one video');
  assert.deepEqual(changed, [1]);

  const s = await ops.stats();
  assert.equal(s.videos, 1);
  assert.equal(s.clips, 2);
  assert.equal(s.seconds, 20);
  assert.equal(s.skipped, 1);
  assert.ok('black' in s.flaggedSeconds);

  await assert.rejects(ops.remove('nothing-like-it'), /no video "nothing-like-it"/);
  const r = await ops.remove('FILM.mp4');
  assert.deepEqual(r.removed.map((x) => [x.title, x.clips, x.seconds]), [['film.mp4', 2, 20]]);
  assert.equal((await catalog.stats()).clips, 0);
  assert.ok(!existsSync(join(root, 'videos', a.videoId!)), 'the folder left videos/');
  assert.equal(readdirSync(join(root, 'trash')).length, 1, 'and waits in the trash');
  assert.deepEqual(changed, [1, 2]);
});
