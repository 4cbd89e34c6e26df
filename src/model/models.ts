// The three matching models. All map a normalised clip (inputDim values per modality) to a point in a
// space where Euclidean distance ranks candidates:
//  - siamese (the reference): one shared-weight MLP for audio and footage, contrastive loss on pairs;
//  - regression (the baseline): an MLP predicting footage features from audio, compared in footage space;
//  - two-tower (ours): a tower per modality, L2-normalised outputs, in-batch InfoNCE or hard triplets.
import { tf } from './backend.js';
import type { Rng } from '../core/random.js';
import type { InputKind } from './pooled.js';
import type { Activation, TowerParams } from './layers.js';
import { EQUAL_BLOCKS_PCA_WEIGHT } from './data.js';
import { createTower, disposeTower, towerForward, towerKernels, towerNamedVariables, towerVariables } from './layers.js';

export type Arch = 'siamese' | 'two-tower' | 'regression' | 'cca' | 'pls';
export const ARCHS: readonly Arch[] = ['siamese', 'two-tower', 'regression', 'cca', 'pls'];
/** closed-form: fitted by linear algebra (cca, pls), no gradient steps */
export type LossName = 'contrastive' | 'infonce' | 'triplet' | 'mse' | 'closed-form';
export const isClosedForm = (arch: Arch): boolean => arch === 'cca' || arch === 'pls';

export interface Hyper {
  arch: Arch;
  /** hidden and output widths after the input, e.g. [1024, 256, 128, 128] */
  layers: number[];
  hidden: Activation;
  output: Activation;
  /** L2-normalise embeddings (distances become cosine distances) */
  normalise: boolean;
  dropRate: number;
  loss: LossName;
  margin: number;
  temperature: number;
  learningRate: number;
  batchSize: number;
  l1: number;
  l2: number;
  /** weight of the visual CNN-PCA values against the visual cues after z-scoring (see data.ts) */
  pcaWeight: number;
  /** what the towers see: every second side by side, or per-descriptor mean and std over the clip (pooled.ts) */
  input: InputKind;
  /** train on time-shifted windows over consecutive training clips instead of one row per clip */
  windows: boolean;
  /** linear models: PCA components per modality before the cross-modal fit */
  pcaDims: number;
  /** linear models: ridge added to each modality's covariance of PCA scores (CCA) */
  ridge: number;
  /** linear models: canonical dimension c scaled by its correlation ** weightPower */
  weightPower: number;
}

/** Fields that only some architectures use, at values that leave the others unchanged. */
const COMMON = { input: 'seconds', windows: false, pcaDims: 32, ridge: 0.1, weightPower: 0 } as const;

export function defaultHyper(arch: Arch): Hyper {
  switch (arch) {
    case 'siamese':
      // The reference: [1024, 256, 128, 128], contrastive margin 1, Adam 1e-4, batch 16, L1 1e-3, L2 1e-2.
      // Its "dropout .9" descends from TensorFlow's keep_prob 0.9, hence a 0.1 drop rate by default.
      // The issue does not say whether embeddings are L2-normalised; we normalise them. Unnormalised,
      // the L1/L2 terms (~64 at initialisation, summed over the weights and added to each batch's loss
      // as Keras does) shrink every output towards 0, all distances fall inside the margin and the
      // model collapses to chance; without the penalties it still collapses at Adam 1e-4. On the unit
      // sphere a weight's scale no longer moves distances, the margin of 1 is a fixed angle, and the
      // specified penalties and rate learn (docs/model.md has the measurements).
      return { arch, layers: [1024, 256, 128, 128], hidden: 'relu', output: 'linear', normalise: true, dropRate: 0.1, loss: 'contrastive', margin: 1, temperature: 1, learningRate: 1e-4, batchSize: 16, l1: 0.001, l2: 0.01, pcaWeight: EQUAL_BLOCKS_PCA_WEIGHT, ...COMMON };
    case 'regression':
      // The baseline: four dense tanh layers with dropout 0.3 regressing footage features by MSE; the
      // last layer is linear because its targets are z-scores, not values in [-1, 1].
      return { arch, layers: [512, 512, 512, -1], hidden: 'tanh', output: 'linear', normalise: false, dropRate: 0.3, loss: 'mse', margin: 0, temperature: 1, learningRate: 1e-3, batchSize: 32, l1: 0, l2: 0, pcaWeight: EQUAL_BLOCKS_PCA_WEIGHT, ...COMMON };
    case 'two-tower':
      return { arch, layers: [512, 128], hidden: 'relu', output: 'linear', normalise: true, dropRate: 0.2, loss: 'infonce', margin: 0.2, temperature: 0.1, learningRate: 1e-3, batchSize: 128, l1: 0, l2: 1e-5, pcaWeight: EQUAL_BLOCKS_PCA_WEIGHT, ...COMMON };
    case 'cca':
    case 'pls':
      // The linear reference of issue 11: per-clip mean and std of each descriptor, z-scored, PCA to 32
      // per modality, CCA with ridge 0.1 (or PLS) to 16 dimensions, cosine ranking. One row per clip.
      return { arch, layers: [16], hidden: 'linear', output: 'linear', normalise: true, dropRate: 0, loss: 'closed-form', margin: 0, temperature: 1, learningRate: 0, batchSize: 1, l1: 0, l2: 0, pcaWeight: 1, ...COMMON, input: 'stats' };
  }
}

export interface MatchModel {
  readonly hyper: Hyper;
  readonly inputDim: number;
  /** embedding width */
  readonly dim: number;
  readonly towers: TowerParams[];
  embedAudio(x: tf.Tensor2D, dropSeed?: number): tf.Tensor2D;
  embedVisual(x: tf.Tensor2D, dropSeed?: number): tf.Tensor2D;
  /** audio and footage at once: one pass through a shared tower instead of two */
  embedPair(a: tf.Tensor2D, v: tf.Tensor2D, dropSeed?: number): [tf.Tensor2D, tf.Tensor2D];
  variables(): tf.Variable[];
  /** variables under their file names ("audio/dense0/kernel"), for saving and loading */
  namedVariables(): [string, tf.Variable][];
  kernels(): tf.Variable[];
  dispose(): void;
}

const finish = (h: tf.Tensor2D, hyper: Hyper): tf.Tensor2D => (hyper.normalise ? tf.div(h, tf.add(tf.norm(h, 2, 1, true), 1e-8)) : h);

/** Builds a model with fresh seeded weights. A -1 width means "the input width" (regression output). */
let modelCount = 0;

export function buildModel(hyper: Hyper, inputDim: number, rng: Rng): MatchModel {
  const scope = `m${++modelCount}`;
  const sizes = [inputDim, ...hyper.layers.map((w) => (w === -1 ? inputDim : w))];
  const spec = { sizes, hidden: hyper.hidden, output: hyper.output, dropRate: hyper.dropRate };
  const outDim = sizes[sizes.length - 1] as number;
  const base = (towers: TowerParams[]) => ({
    hyper,
    inputDim,
    towers,
    variables: () => towers.flatMap(towerVariables),
    namedVariables: () => towers.flatMap(towerNamedVariables),
    kernels: () => towers.flatMap(towerKernels),
    dispose: () => towers.forEach(disposeTower),
  });
  switch (hyper.arch) {
    case 'siamese': {
      const shared = createTower('shared', spec, rng, scope);
      const embed = (x: tf.Tensor2D, s?: number) => finish(towerForward(shared, x, s), hyper);
      return {
        ...base([shared]),
        dim: outDim,
        embedAudio: embed,
        embedVisual: embed,
        embedPair: (a, v, s) => {
          const both = embed(tf.concat([a, v], 0), s);
          const n = a.shape[0];
          return [tf.slice(both, [0, 0], [n, -1]), tf.slice(both, [n, 0], [-1, -1])];
        },
      };
    }
    case 'two-tower':
    case 'cca':
    case 'pls': {
      // cca / pls: one linear dense layer per modality (PCA and canonical directions folded together)
      const ta = createTower('audio', spec, rng, scope);
      const tv = createTower('visual', spec, rng, scope);
      const ea = (x: tf.Tensor2D, s?: number) => finish(towerForward(ta, x, s), hyper);
      const ev = (x: tf.Tensor2D, s?: number) => finish(towerForward(tv, x, s === undefined ? s : s + 1000), hyper);
      return { ...base([ta, tv]), dim: outDim, embedAudio: ea, embedVisual: ev, embedPair: (a, v, s) => [ea(a, s), ev(v, s)] };
    }
    case 'regression': {
      if (outDim !== inputDim) throw new RangeError('the regression baseline must output the footage feature width');
      const reg = createTower('regressor', spec, rng, scope);
      const ea = (x: tf.Tensor2D, s?: number) => towerForward(reg, x, s);
      // Footage is compared as is: its normalised features are the space the audio is regressed into.
      const ev = (x: tf.Tensor2D) => tf.clone(x);
      return { ...base([reg]), dim: inputDim, embedAudio: ea, embedVisual: ev, embedPair: (a, v, s) => [ea(a, s), ev(v)] };
    }
  }
}

/** Embeds rows in chunks without tracking gradients; returns (n x dim) values. */
export function embedRows(model: MatchModel, which: 'audio' | 'visual', data: Float32Array, n: number, chunk = 256): Float32Array {
  const out = new Float32Array(n * model.dim);
  for (let i = 0; i < n; i += chunk) {
    const m = Math.min(chunk, n - i);
    const part = tf.tidy(() => {
      const x = tf.tensor2d(data.subarray(i * model.inputDim, (i + m) * model.inputDim), [m, model.inputDim]);
      return which === 'audio' ? model.embedAudio(x) : model.embedVisual(x);
    });
    out.set(part.dataSync() as Float32Array, i * model.dim);
    part.dispose();
  }
  return out;
}
