// Which frame CNN a library's visual features come from. A library holds one (its PCA is fitted on that
// network's embeddings); it is recorded in the catalogue's meta at the first ingest, MobileNetV2 when absent.
import { UserError } from '../core/errors.js';
import { DEFAULT_CNN, type CnnName } from '../features/visual/cnn.js';
import { isCnnName } from '../features/visual/extractors.js';
import type { Catalog } from './catalog.js';

const META_KEY = 'visual_cnn';

export async function libraryCnn(catalog: Catalog): Promise<CnnName> {
  const v = await catalog.getMeta(META_KEY);
  return v && isCnnName(v) ? v : DEFAULT_CNN;
}

/**
 * The CNN for an ingest into this library: `requested` (--visual) or the library's own. A library that
 * already has clips from another network is refused rather than mixed.
 */
export async function chooseLibraryCnn(catalog: Catalog, requested?: CnnName): Promise<CnnName> {
  const has = (await catalog.stats()).clips > 0;
  const current = await libraryCnn(catalog);
  if (!requested) return current;
  if (has && requested !== current) {
    throw new UserError('BAD_INPUT', `this library's visual features come from ${current}; use --visual ${current} or another library`);
  }
  await catalog.setMeta(META_KEY, requested);
  return requested;
}
