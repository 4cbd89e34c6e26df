// Folder inputs of ingest: video files by extension, sorted, symbolic links followed, loops and dangling
// links passed over.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandInputs } from '../../src/library/sources.js';

const root = mkdtempSync(join(tmpdir(), 'clipmatch-sources-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a folder of links to videos is expanded like a folder of videos', async () => {
  const store = join(root, 'store');
  const linked = join(root, 'linked');
  mkdirSync(store);
  mkdirSync(linked);
  for (const f of ['b.mkv', 'a.mp4', 'notes.txt']) writeFileSync(join(store, f), 'x');
  symlinkSync(join(store, 'a.mp4'), join(linked, 'a.mp4'));
  symlinkSync(join(store, 'b.mkv'), join(linked, 'b.mkv'));
  symlinkSync(join(store, 'notes.txt'), join(linked, 'notes.txt'));
  symlinkSync(join(store, 'gone.webm'), join(linked, 'gone.webm')); // dangling
  symlinkSync(linked, join(linked, 'loop')); // a link back to itself
  const sources = await expandInputs([linked]);
  assert.deepEqual(sources, [
    { kind: 'file', path: join(linked, 'a.mp4') },
    { kind: 'file', path: join(linked, 'b.mkv') },
  ]);
});
