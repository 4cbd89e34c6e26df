// What an index must match to be current, read cheaply from the catalogue without loading features:
// the clip ids in row order, the extractor versions that made their features, and the visual PCA.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { openCatalog } from '../library/catalog.js';
import { libraryPaths } from '../library/layout.js';

export interface LibraryState {
  /** every clip id, in the catalogue's order (the row order of the dataset) */
  clipIds: string[];
  /** distinct "name@version" of the audio and visual extractors in use, sorted */
  extractorKeys: string[];
  /** sha256 of the library's visual PCA file ('' when there is none): a refit changes every visual feature */
  pcaHash: string;
  /** the catalogue generation, read before the clip ids (so a change in between reads as stale) */
  generation?: number;
}

/** sha256 of the library's visual PCA file, '' when it has none. */
export function pcaHashOf(libraryDir: string): string {
  const pca = libraryPaths(libraryDir).pca;
  return existsSync(pca) ? createHash('sha256').update(readFileSync(pca)).digest('hex') : '';
}

export async function describeLibrary(libraryDir: string): Promise<LibraryState> {
  const catalog = await openCatalog(libraryDir, { readonly: true });
  try {
    const generation = await catalog.generation();
    const clipIds = await catalog.clipIds();
    const keys = new Set<string>();
    for (const v of await catalog.videos()) {
      keys.add(`audio:${v.audioExtractor}`);
      keys.add(`visual:${v.visualExtractor}`);
    }
    return { clipIds, extractorKeys: [...keys].sort(), pcaHash: pcaHashOf(libraryDir), generation };
  } finally {
    await catalog.close();
  }
}
