// A fake library for index tests: clip ids and deterministic visual features derived from each id,
// and an embedder that takes the first `dim` features (counting the clips it embedded).
import type { ClipRecord } from '../../src/core/types.js';
import type { Dataset } from '../../src/library/dataset.types.js';
import type { IndexEmbedder } from '../../src/index/library-index.js';
import type { LibraryState } from '../../src/index/library-state.js';

export const FEAT = 6;

export class FakeLibrary {
  ids: string[] = [];
  extractor = 'visual-test@1';
  pca = 'pca-a';
  generation = 1;
  loads = 0;

  state = (): LibraryState => ({ clipIds: [...this.ids], extractorKeys: [`visual:${this.extractor}`], pcaHash: this.pca, generation: this.generation });

  dataset = (): Dataset => {
    this.loads++;
    const clips: ClipRecord[] = this.ids.map((clipId, index) => ({ clipId, videoId: 'v', index, start: index * 10, duration: 10, hasAudio: true, videoPath: '', audioPath: '' }));
    const visual = new Float32Array(this.ids.length * FEAT);
    this.ids.forEach((id, r) => {
      const n = Number(id.slice(1));
      for (let j = 0; j < FEAT; j++) visual[r * FEAT + j] = Math.sin(n * (j + 1));
    });
    return { clips, seconds: 1, dim: FEAT, audio: new Float32Array(visual.length), visual, extractors: { audio: { name: 'a', version: '1' }, visual: { name: 'visual-test', version: '1' } } };
  };
}

export function fakeEmbedder(fingerprint: string, dim = 4, scale = 1): IndexEmbedder & { embedded: number } {
  return {
    kind: 'fake',
    dim,
    fingerprint,
    embedded: 0,
    embedVisual(feats, n) {
      this.embedded += n;
      const out = new Float32Array(n * dim);
      for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) out[r * dim + j] = feats[r * FEAT + j]! * scale;
      return Promise.resolve(out);
    },
  };
}

export const ids = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `c${from + i}`);
