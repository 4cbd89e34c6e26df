// Which frame CNN a library's visual features come from. A library holds one (its PCA is fitted on that
// network's embeddings); it is recorded in the catalogue's meta at the first ingest, MobileNetV2 when absent.
import { UserError } from '../core/errors.js';
import { DEFAULT_CNN, type CnnName } from '../features/visual/cnn.js';
import { isCnnName } from '../features/visual/extractors.js';
import type { Catalog } from './catalog.js';

const META_KEY = 'visual_cnn';

export function libraryCnn(catalog: Catalog): CnnName {
  const v = catalog.getMeta(META_KEY);
  return v && isCnnName(v) ? v : DEFAULT_CNN;
}

/**
 * The CNN for an ingest into this library: `requested` (--visual) or the library's own. A library that
 * already has clips from another network is refused rather than mixed.
 */
export function chooseLibraryCnn(catalog: Catalog, requested?: CnnName): CnnName {
  const has = catalog.stats().clips > 0;
  const current = libraryCnn(catalog);
  if (!requested) return current;
  if (has && requested !== current) {
    throw new UserError('BAD_INPUT', `this library's visual features come from ${current}; use --visual ${current} or another library`);
  }
  catalog.setMeta(META_KEY, requested);
  return requested;
}
