// Versions of one model's index inside a library: <library>/index/<model>/v<N>/, each complete on its own.
// A builder writes a private temp folder and renames it to v<newest + 1>; a rename that loses the race to
// another builder (the name exists) takes the next N, so two builders never share a folder and a reader
// listing the folder sees whole versions only. Nothing is ever rewritten in place: readers that opened an
// older version keep what they read (and, on Linux, an unlinked file that is still open or mapped stays
// readable). Pruning keeps the newest few. The layout before versions (files directly in <model>/) reads
// as version 0 and is removed once a numbered version exists.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { childLogger } from '../log.js';

const log = childLogger({ module: 'index-versions' });

export const MANIFEST = 'manifest.json';
/** The pre-version layout, read as this version number. */
export const LEGACY_VERSION = 0;
/** Versions kept by prune: the newest, and two a slow reader may still be opening. */
export const KEEP_VERSIONS = 3;
/**
 * A version is removed only once a newer one has existed this long: longer than any job, so no reader
 * (a worker between refreshes, a render child) still maps its files. On Linux a local unlinked file
 * stays readable anyway; on NFS another host's mapped pages would not (docs/index-versions.md).
 */
export const PRUNE_AFTER_MS = 60 * 60_000;
/** Temp folders of a builder that died are removed after this long. */
const TMP_MAX_AGE_MS = 24 * 3600_000;
const LEGACY_FILES = [MANIFEST, 'index.json', 'vectors.f32', 'hnsw.usearch'];
const VERSION_DIR = /^v(\d+)$/;

export const versionDir = (modelDir: string, version: number): string => (version === LEGACY_VERSION ? modelDir : join(modelDir, `v${version}`));

function hasLegacy(modelDir: string): boolean {
  return existsSync(join(modelDir, MANIFEST));
}

/** The complete versions in `modelDir`, oldest first (0 stands for the pre-version layout). */
export function listVersions(modelDir: string): number[] {
  if (!existsSync(modelDir)) return [];
  const out: number[] = [];
  for (const name of readdirSync(modelDir)) {
    const m = VERSION_DIR.exec(name);
    if (m && Number(m[1]) > 0 && existsSync(join(modelDir, name, MANIFEST))) out.push(Number(m[1]));
  }
  out.sort((a, b) => a - b);
  if (hasLegacy(modelDir)) out.unshift(LEGACY_VERSION);
  return out;
}

export function newestVersion(modelDir: string): { version: number; dir: string } | undefined {
  const v = listVersions(modelDir).at(-1);
  return v === undefined ? undefined : { version: v, dir: versionDir(modelDir, v) };
}

/** Highest version number taken, complete or not (a v<N> folder is only ever made by one rename). */
function highestTaken(modelDir: string): number {
  let hi = 0;
  for (const name of readdirSync(modelDir)) {
    const m = VERSION_DIR.exec(name);
    if (m) hi = Math.max(hi, Number(m[1]));
  }
  return hi;
}

/**
 * Publishes a new version: `write` fills a private temp folder; then `manifestFor(version)` is written
 * into it last and the folder is renamed to v<N>. Returns the version it got.
 */
export async function publishVersion(
  modelDir: string,
  write: (tmp: string) => void | Promise<void>,
  manifestFor: (version: number) => object,
): Promise<{ version: number; dir: string }> {
  mkdirSync(modelDir, { recursive: true });
  const tmp = join(modelDir, `.tmp-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(tmp);
    await write(tmp);
    for (let attempt = 0; attempt < 100; attempt++) {
      const version = highestTaken(modelDir) + 1;
      writeFileSync(join(tmp, MANIFEST), JSON.stringify(manifestFor(version)));
      const dir = versionDir(modelDir, version);
      try {
        // rename(2) onto an existing non-empty folder fails: the loser of a race tries the next number
        renameSync(tmp, dir);
        return { version, dir };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        log.info({ modelDir, version }, 'another builder took this index version; trying the next');
      }
    }
    throw new Error(`could not publish an index version in ${modelDir}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Removes all but the newest `keep` versions, each only once a newer one is `afterMs` old (and the
 * pre-version files once a numbered version exists, and temp folders of builders that died a day ago). Each version is first renamed out of the v<N>
 * namespace, so a reader never opens a half-deleted one. Returns the versions removed.
 */
export function pruneVersions(modelDir: string, keep = KEEP_VERSIONS, afterMs = PRUNE_AFTER_MS): number[] {
  if (!existsSync(modelDir)) return [];
  const versions = listVersions(modelDir);
  const numbered = versions.filter((v) => v !== LEGACY_VERSION);
  const candidates = versions.slice(0, Math.max(0, versions.length - Math.max(1, keep)));
  if (numbered.length > 0 && hasLegacy(modelDir) && !candidates.includes(LEGACY_VERSION)) candidates.push(LEGACY_VERSION);
  const now = Date.now();
  // superseded at: when the next newer version was published (its manifest is written last)
  const supersededAt = (v: number): number => {
    const next = versions.find((x) => x > v);
    try {
      return next === undefined ? now : statSync(join(versionDir(modelDir, next), MANIFEST)).mtimeMs;
    } catch {
      return now;
    }
  };
  const doomed = afterMs <= 0 ? candidates : candidates.filter((v) => now - supersededAt(v) >= afterMs);
  const removed: number[] = [];
  for (const v of doomed) {
    try {
      if (v === LEGACY_VERSION) {
        // the manifest first: without it the rest is no longer a version
        for (const f of LEGACY_FILES) rmSync(join(modelDir, f), { force: true });
      } else {
        const trash = join(modelDir, `.trash-v${v}-${randomBytes(4).toString('hex')}`);
        renameSync(versionDir(modelDir, v), trash);
        rmSync(trash, { recursive: true, force: true });
      }
      removed.push(v);
    } catch (err) {
      // another pruner got there first, or the storage refused: the next prune tries again
      log.warn({ modelDir, version: v, err: (err as Error).message }, 'could not remove an old index version');
    }
  }
  for (const name of readdirSync(modelDir)) {
    if (!name.startsWith('.tmp-') && !name.startsWith('.trash-')) continue;
    const p = join(modelDir, name);
    try {
      if (name.startsWith('.trash-') || now - statSync(p).mtimeMs > TMP_MAX_AGE_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // gone already
    }
  }
  if (removed.length > 0) log.info({ modelDir, removed }, 'pruned old index versions');
  return removed;
}
