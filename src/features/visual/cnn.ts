// Frame embeddings from the CNNs that ship inside the `nsfwjs` package: MobileNetV2 (the 1280 values of
// its `flatten_1` layer, the global average of the last 1280-channel feature map) and InceptionV3 (the
// 2048 values after the global average of `mixed10`), generic descriptions of what a frame shows. Nothing
// is fetched: the model topologies and the quantised weights are bundled in the package as CommonJS
// modules, read here from node_modules. This file is the TensorFlow.js path; cnn-onnx.ts runs the same
// compiled plan on onnxruntime.
//
// Speed: rather than run the Keras graph layer by layer, the network is compiled once into fused ops.
// Every BatchNormalization is folded into the convolution before it, the ReLU6 after it becomes the
// fused activation, and the 1/255 input scaling is folded into the first convolution; the wasm
// backend then runs one kernel per convolution. The AveragePooling2D(7x7)+Flatten head is replaced by
// a mean over the spatial axes, which is the same thing at 224x224 and also works at smaller inputs
// (any multiple of 32), the cheapest speed lever there is.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { initBackend, tf } from '../../model/backend.js';
import { buildPlan, runPlan } from './cnn-plan.js';
import type { KerasModelJson, Plan } from './cnn-plan.js';

export { CNNS, CNN_DIM, CNN_NAMES, CNN_NATIVE_SIZE, DEFAULT_CNN, checkCnnSize, type CnnName, type CnnSpec } from './cnn-spec.js';
import { CNNS, DEFAULT_CNN, bundleDir, checkCnnSize, type CnnName, type CnnSpec } from './cnn-spec.js';

const require = createRequire(import.meta.url);

export interface CnnModel {
  readonly spec: CnnSpec;
  /** square input side in pixels */
  readonly size: number;
  readonly plan: Plan;
}

export interface BundledModel {
  json: KerasModelJson;
  /** all weight shards, concatenated in manifest order */
  weights: ArrayBuffer;
}

/** Reads the bundled model files; they are UMD modules exporting the model.json object and base64 weight shards. */
export function readBundledModel(spec: CnnSpec): BundledModel {
  const dir = bundleDir(spec);
  const topoPath = join(dir, 'model.min.js');
  const loaded: string[] = [topoPath];
  try {
    const json = require(topoPath) as KerasModelJson;
    if (!json.weightsManifest) throw new Error('no weights manifest');
    const parts = json.weightsManifest.flatMap((g) => g.paths).map((p) => {
      const path = join(dir, `${p}.min.js`);
      loaded.push(path);
      const b64 = require(path) as unknown;
      if (typeof b64 !== 'string') throw new Error(`${p} is not a base64 weight shard`);
      return Buffer.from(b64, 'base64');
    });
    const bytes = Buffer.concat(parts);
    return { json, weights: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) };
  } catch (err) {
    throw new Error(`cannot read the ${spec.name} bundled with nsfwjs: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    // The base64 strings (up to 30 MB) need not outlive the decoded weights.
    for (const p of loaded) delete require.cache[p];
  }
}

/** Compiles the bundled network into its fused plan (tensors kept; dispose plan.weights when done). */
export async function compileCnn(spec: CnnSpec, bundle: BundledModel = readBundledModel(spec)): Promise<Plan> {
  await initBackend();
  const specs = bundle.json.weightsManifest.flatMap((g) => g.weights);
  const named = tf.io.decodeWeights(bundle.weights, specs);
  try {
    return buildPlan(bundle.json, named, spec.outputLayer, 1 / 255);
  } finally {
    tf.dispose(Object.values(named));
  }
}

/** Frees a compiled plan's tensors. */
export function disposePlan(plan: Plan): void {
  tf.dispose(plan.weights);
}

const cache = new Map<string, Promise<CnnModel>>();

/** Loads (once per process, network and size) the truncated, fused network for square inputs of side `size`. */
export function loadCnn(size?: number, name: CnnName = DEFAULT_CNN): Promise<CnnModel> {
  const spec = CNNS[name];
  const side = size ?? spec.nativeSize;
  checkCnnSize(spec, side);
  // The plan does not depend on the input size: one per network serves every size.
  const key = name;
  let model = cache.get(key);
  if (!model) {
    model = compileCnn(spec).then((plan) => ({ spec, size: side, plan }));
    model.catch(() => cache.delete(key));
    cache.set(key, model);
  }
  return model.then((m) => (m.size === side ? m : { ...m, size: side }));
}

/**
 * Embeds `count` RGB24 frames of size x size (frame-major, as in FrameBatch.rgb), in batches of
 * `batchSize`, returning count * CNN_DIM values. Pixels go in as 0..255; the scaling is in the weights.
 */
export async function embedFrames(model: CnnModel, rgb: Uint8Array, count: number, batchSize = 10): Promise<Float32Array> {
  const { size } = model;
  const dim = model.spec.dim;
  const frameLen = size * size * 3;
  if (rgb.length < count * frameLen) {
    throw new RangeError(`embedFrames: ${rgb.length} bytes cannot hold ${count} frames of ${size}x${size}`);
  }
  const out = new Float32Array(count * dim);
  for (let first = 0; first < count; first += batchSize) {
    const n = Math.min(batchSize, count - first);
    const pixels = new Float32Array(n * frameLen);
    const src = rgb.subarray(first * frameLen, (first + n) * frameLen);
    for (let i = 0; i < pixels.length; i++) pixels[i] = src[i]!;
    const pooled = tf.tidy(() => runPlan(model.plan, tf.tensor4d(pixels, [n, size, size, 3])).mean([1, 2]));
    try {
      out.set(await pooled.data(), first * dim);
    } finally {
      pooled.dispose();
    }
  }
  return out;
}
