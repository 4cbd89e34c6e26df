// A separate index builder process for tests/integration/index-concurrency.test.ts: waits for "go" on its
// IPC channel, builds (force) a new version of the fake library's index in argv[2], reports the version.
import { buildLibraryIndex } from '../../src/index/library-index.js';
import { FakeLibrary, fakeEmbedder, ids } from './fake-index-library.js';

const dir = process.argv[2]!;
const lib = new FakeLibrary();
lib.ids = ids(0, 200);
process.once('message', () => {
  buildLibraryIndex(dir, fakeEmbedder('m1'), undefined, { loadDataset: lib.dataset, describeLibrary: lib.state, force: true, keep: 100, indexOptions: { exactBelow: 50, threads: 1 } })
    .then((s) => process.send!({ version: s.version, pid: process.pid }, () => process.exit(0)))
    .catch((err: unknown) => process.send!({ error: String(err) }, () => process.exit(1)));
});
process.send!({ ready: true });
