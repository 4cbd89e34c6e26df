// Frame embeddings from the MobileNetV2 that ships inside the `nsfwjs` package: the 1280 values of its
// `flatten_1` layer (global average of the last 1280-channel feature map), a generic description of
// what a frame shows. Nothing is fetched: the model topology and the quantised weights are bundled in
// the package as CommonJS modules, read here from node_modules.
//
// Speed: rather than run the Keras graph layer by layer, the network is compiled once into fused ops.
// Every BatchNormalization is folded into the convolution before it, the ReLU6 after it becomes the
// fused activation, and the 1/255 input scaling is folded into the first convolution; the wasm
// backend then runs one kernel per convolution. The AveragePooling2D(7x7)+Flatten head is replaced by
// a mean over the spatial axes, which is the same thing at 224x224 and also works at smaller inputs
// (any multiple of 32), the cheapest speed lever there is.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initBackend, tf } from '../../model/backend.js';
import { buildPlan, runPlan } from './cnn-plan.js';
import type { KerasModelJson, Plan } from './cnn-plan.js';

export const CNN_DIM = 1280;
/** Input side the network was trained at. */
export const CNN_NATIVE_SIZE = 224;

const require = createRequire(import.meta.url);

export interface CnnModel {
  /** square input side in pixels */
  readonly size: number;
  readonly plan: Plan;
}

/** Reads the bundled model files; they are UMD modules exporting the model.json object and base64 weights. */
function readBundledModel(): { json: KerasModelJson; weights: ArrayBuffer } {
  const dir = join(dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
  const topoPath = join(dir, 'model.min.js');
  const shardPath = join(dir, 'group1-shard1of1.min.js');
  let json: KerasModelJson;
  let b64: string;
  try {
    json = require(topoPath) as KerasModelJson;
    b64 = require(shardPath) as string;
  } catch (err) {
    throw new Error(`cannot read the MobileNetV2 bundled with nsfwjs at ${dir}: ${String(err)}`, { cause: err });
  } finally {
    // The 3.5 MB base64 string need not outlive the decoded weights.
    delete require.cache[topoPath];
    delete require.cache[shardPath];
  }
  if (typeof b64 !== 'string' || !json.weightsManifest) throw new Error(`unexpected model bundle format in ${dir}`);
  const bytes = Buffer.from(b64, 'base64');
  const weights = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return { json, weights };
}

const cache = new Map<number, Promise<CnnModel>>();

/** Loads (once per process and size) the truncated, fused network for square inputs of side `size`. */
export function loadCnn(size = CNN_NATIVE_SIZE): Promise<CnnModel> {
  if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) {
    throw new RangeError(`CNN input size must be a positive multiple of 32, got ${size}`);
  }
  let model = cache.get(size);
  if (!model) {
    model = (async () => {
      await initBackend();
      const { json, weights } = readBundledModel();
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      const named = tf.io.decodeWeights(weights, specs);
      try {
        return { size, plan: buildPlan(json, named, 'out_relu', 1 / 255) };
      } finally {
        tf.dispose(Object.values(named));
      }
    })();
    model.catch(() => cache.delete(size));
    cache.set(size, model);
  }
  return model;
}

/**
 * Embeds `count` RGB24 frames of size x size (frame-major, as in FrameBatch.rgb), in batches of
 * `batchSize`, returning count * CNN_DIM values. Pixels go in as 0..255; the scaling is in the weights.
 */
export async function embedFrames(model: CnnModel, rgb: Uint8Array, count: number, batchSize = 10): Promise<Float32Array> {
  const { size } = model;
  const frameLen = size * size * 3;
  if (rgb.length < count * frameLen) {
    throw new RangeError(`embedFrames: ${rgb.length} bytes cannot hold ${count} frames of ${size}x${size}`);
  }
  const out = new Float32Array(count * CNN_DIM);
  for (let first = 0; first < count; first += batchSize) {
    const n = Math.min(batchSize, count - first);
    const pixels = new Float32Array(n * frameLen);
    const src = rgb.subarray(first * frameLen, (first + n) * frameLen);
    for (let i = 0; i < pixels.length; i++) pixels[i] = src[i]!;
    const pooled = tf.tidy(() => runPlan(model.plan, tf.tensor4d(pixels, [n, size, size, 3])).mean([1, 2]));
    try {
      out.set(await pooled.data(), first * CNN_DIM);
    } finally {
      pooled.dispose();
    }
  }
  return out;
}
