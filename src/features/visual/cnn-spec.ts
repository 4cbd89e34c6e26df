// The frame CNNs bundled in nsfwjs: names, widths, input sizes and where their files are. Free of
// TensorFlow.js, so the onnxruntime path (and worker threads that only use it) never load tfjs.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The frame CNNs on offer (`ingest --visual`). */
export type CnnName = 'mobilenet-v2' | 'inception-v3';
export const CNN_NAMES: readonly CnnName[] = ['mobilenet-v2', 'inception-v3'];
export const DEFAULT_CNN: CnnName = 'mobilenet-v2';

export interface CnnSpec {
  readonly name: CnnName;
  /** folder under nsfwjs/dist/models */
  readonly dir: string;
  /** the layer whose spatial mean is the embedding */
  readonly outputLayer: string;
  /** embedding width */
  readonly dim: number;
  /** input side the network was trained at, the size ingest feeds it */
  readonly nativeSize: number;
  /** input sides accepted: at least `minSize`, a multiple of `step` */
  readonly minSize: number;
  readonly step: number;
}

export const CNNS: Record<CnnName, CnnSpec> = {
  'mobilenet-v2': { name: 'mobilenet-v2', dir: 'mobilenet_v2', outputLayer: 'out_relu', dim: 1280, nativeSize: 224, minSize: 32, step: 32 },
  // Valid-padded stem and reductions: 75 px is the smallest input that leaves mixed10 a 1x1 map.
  'inception-v3': { name: 'inception-v3', dir: 'inception_v3', outputLayer: 'mixed10', dim: 2048, nativeSize: 299, minSize: 75, step: 1 },
};

/** MobileNetV2's width and size, the default extractor's. */
export const CNN_DIM = CNNS['mobilenet-v2'].dim;
/** Input side MobileNetV2 was trained at. */
export const CNN_NATIVE_SIZE = CNNS['mobilenet-v2'].nativeSize;

export function checkCnnSize(spec: CnnSpec, size: number): void {
  if (!Number.isInteger(size) || size < spec.minSize || size % spec.step !== 0) {
    throw new RangeError(`${spec.name} input size must be an integer of at least ${spec.minSize}${spec.step > 1 ? ` and a multiple of ${spec.step}` : ''}, got ${size}`);
  }
}

/** The folder of a network's files inside nsfwjs. */
export function bundleDir(spec: CnnSpec): string {
  return join(dirname(createRequire(import.meta.url).resolve('nsfwjs')), '..', 'models', spec.dir);
}

/** The network's topology and weight-shard files, in a fixed order (what a cache key hashes). */
export function bundleFiles(spec: CnnSpec): string[] {
  const dir = bundleDir(spec);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.min.js'))
    .sort()
    .map((f) => join(dir, f));
}
