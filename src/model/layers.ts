// Dense layers and MLP towers on raw tf.Variables. The matmul gradients are written by hand because
// on the wasm backend tfjs's default weight gradient (a matmul with transposeA) takes a slow path, ~30x
// the forward; an explicit transpose followed by a plain matmul stays on XNNPACK's fast path.
import { tf } from './backend.js';
import type { Rng } from '../core/random.js';

export type Activation = 'relu' | 'tanh' | 'linear';

export interface DenseLayer {
  w: tf.Variable;
  b: tf.Variable;
  /** names in saved files, e.g. "audio/dense0/kernel"; tfjs variable names carry a per-model scope */
  wName: string;
  bName: string;
}

export interface TowerSpec {
  /** layer widths including the input: [1280, 1024, 256, 128, 128] */
  sizes: number[];
  hidden: Activation;
  output: Activation;
  /** drop rate applied after each hidden activation while training */
  dropRate: number;
}

export interface TowerParams {
  name: string;
  spec: TowerSpec;
  layers: DenseLayer[];
}

// y = x W; dW = transpose(x) dy; dx = dy transpose(W) (plain matmuls only).
const matMulFast = tf.customGrad((x, w, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor, w as tf.Tensor]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy, saved) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      return [tf.matMul(g, tf.transpose(sw)), tf.matMul(tf.transpose(sx), g)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

// The first layer's input is data: its gradient is never used, so it is not computed.
const matMulFastNoInputGrad = tf.customGrad((x, w, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy, saved) => {
      const [sx] = saved as [tf.Tensor2D];
      return [tf.zerosLike(sx), tf.matMul(tf.transpose(sx), dy as tf.Tensor2D)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

function activate(x: tf.Tensor2D, a: Activation): tf.Tensor2D {
  switch (a) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'linear':
      return x;
  }
}

/** Glorot-uniform kernels, zero biases, drawn from a seeded generator so runs repeat exactly. */
export function createTower(name: string, spec: TowerSpec, rng: Rng, scope: string): TowerParams {
  const layers: DenseLayer[] = [];
  for (let i = 0; i + 1 < spec.sizes.length; i++) {
    const fanIn = spec.sizes[i] as number;
    const fanOut = spec.sizes[i + 1] as number;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const w = new Float32Array(fanIn * fanOut);
    for (let k = 0; k < w.length; k++) w[k] = (rng.next() * 2 - 1) * limit;
    const wName = `${name}/dense${i}/kernel`;
    const bName = `${name}/dense${i}/bias`;
    // tfjs keeps one global registry of variable names: scope them so several models can coexist.
    const w0 = tf.tensor2d(w, [fanIn, fanOut]);
    const b0 = tf.zeros([fanOut]);
    layers.push({ w: tf.variable(w0, true, `${scope}/${wName}`), b: tf.variable(b0, true, `${scope}/${bName}`), wName, bName });
    // the variables hold their own reference to the data
    w0.dispose();
    b0.dispose();
  }
  return { name, spec, layers };
}

/**
 * Runs a tower. `dropSeed` (training only) seeds the dropout masks of this call; pass a fresh value per
 * step so masks differ between steps yet a run repeats for a given --seed.
 */
export function towerForward(t: TowerParams, x: tf.Tensor2D, dropSeed?: number): tf.Tensor2D {
  let h = x;
  t.layers.forEach((layer, i) => {
    const mm = i === 0 ? matMulFastNoInputGrad : matMulFast;
    h = tf.add(mm(h, layer.w as tf.Tensor2D), layer.b) as tf.Tensor2D;
    const last = i === t.layers.length - 1;
    h = activate(h, last ? t.spec.output : t.spec.hidden);
    if (!last && dropSeed !== undefined && t.spec.dropRate > 0) h = tf.dropout(h, t.spec.dropRate, undefined, dropSeed + i) as tf.Tensor2D;
  });
  return h;
}

export const towerNamedVariables = (t: TowerParams): [string, tf.Variable][] => t.layers.flatMap((l) => [[l.wName, l.w], [l.bName, l.b]] as [string, tf.Variable][]);
export const towerVariables = (t: TowerParams): tf.Variable[] => t.layers.flatMap((l) => [l.w, l.b]);
export const towerKernels = (t: TowerParams): tf.Variable[] => t.layers.map((l) => l.w);
export const disposeTower = (t: TowerParams): void => towerVariables(t).forEach((v) => v.dispose());
