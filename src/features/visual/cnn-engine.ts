// One way to embed frames whatever runs the CNN: onnxruntime when the process's engine is 'onnx'
// (src/onnx/runtime.ts decides and logs that once), TensorFlow.js otherwise. A session that cannot be
// opened on onnxruntime (a corrupt cache, an operator the provider refuses) falls back to tfjs with
// one warning per process and network, so ingest keeps going.
import { childLogger } from '../../log.js';
import { providerInUse, resolveEngine, type Engine } from '../../onnx/runtime.js';
import { CNNS, type CnnName, type CnnSpec } from './cnn-spec.js';
import { embedFramesOnnx, loadOnnxCnn } from './cnn-onnx.js';

const log = childLogger({ module: 'cnn' });

export interface FrameEmbedder {
  readonly spec: CnnSpec;
  readonly size: number;
  /** what actually runs it */
  readonly engine: Engine;
  /** `count` RGB24 frames of size x size in, count * spec.dim values out */
  embed(rgb: Uint8Array, count: number): Promise<Float32Array>;
}

export interface FrameEmbedderOptions {
  /** the engine to use; the process's choice (resolveEngine) when absent */
  engine?: Engine;
  /** onnxruntime intra-op threads: 1 by default, since ingest runs one worker per core */
  threads?: number;
  /**
   * frames per inference call. Default: 10 on tfjs (amortises its per-call cost); 2 on onnxruntime's CPU
   * provider, where small batches measured as cheap or cheaper per frame (cache-resident activations);
   * 20 on a GPU provider (unmeasured: larger batches are what GPUs need).
   */
  batchSize?: number;
}

const cache = new Map<string, Promise<FrameEmbedder>>();
const warned = new Set<string>();

async function tfjsEmbedder(name: CnnName, size: number, batchSize: number): Promise<FrameEmbedder> {
  // Loaded only here: a worker on onnxruntime never pays for TensorFlow.js.
  const { embedFrames, loadCnn } = await import('./cnn.js');
  const model = await loadCnn(size, name);
  return { spec: model.spec, size, engine: 'tfjs', embed: (rgb, count) => embedFrames(model, rgb, count, batchSize) };
}

async function build(name: CnnName, size: number, opts: FrameEmbedderOptions): Promise<FrameEmbedder> {
  const engine = opts.engine ?? (await resolveEngine());
  if (engine === 'onnx') {
    try {
      const m = await loadOnnxCnn(name, size, { threads: opts.threads ?? 1 });
      const batchSize = opts.batchSize ?? ((await providerInUse()) === 'cpu' ? 2 : 20);
      return { spec: m.spec, size, engine: 'onnx', embed: (rgb, count) => embedFramesOnnx(m, rgb, count, batchSize) };
    } catch (err) {
      if (!warned.has(name)) {
        warned.add(name);
        log.warn({ network: name, reason: err instanceof Error ? err.message : String(err) }, 'the frame CNN cannot run on onnxruntime: using TensorFlow.js');
      }
    }
  }
  return tfjsEmbedder(name, size, opts.batchSize ?? 10);
}

/** The frame embedder for network `name` at input side `size` (once per process and settings). */
export function frameEmbedder(name: CnnName, size = CNNS[name].nativeSize, opts: FrameEmbedderOptions = {}): Promise<FrameEmbedder> {
  const key = `${name}|${size}|${opts.engine ?? 'auto'}|${opts.threads ?? 1}|${opts.batchSize ?? 'default'}`;
  let e = cache.get(key);
  if (!e) {
    e = build(name, size, opts);
    e.catch(() => cache.delete(key));
    cache.set(key, e);
  }
  return e;
}
