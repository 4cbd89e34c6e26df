// Embeds through onnxruntime the graphs a model exported at save time (onnx-export.ts). The tfjs model
// stays loaded beside it for the synchronous calls (one song window at a time); bulk work (the library
// index, evaluation) awaits the onnxruntime path. Graphs from other weights (a stale onnx.json) or a
// runtime that cannot open them leave the embedder on tfjs alone, logged once per model.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childLogger } from '../log.js';
import { openSession, ortTensor, resolveEngine, type Session } from '../onnx/runtime.js';
import { applyStats, type Normalisation } from './data.js';
import type { Embedder } from './embedder.js';
import { MODEL_ONNX_VERSION, ONNX_INDEX_FILE, ONNX_INPUT, ONNX_OUTPUT, type OnnxIndex, type Side } from './onnx-export.js';

const log = childLogger({ module: 'onnx-embedder' });

/** Rows per onnxruntime call: large enough to amortise the call, small enough to bound memory. */
const CHUNK = 4096;

export interface OnnxSides {
  audio: Session;
  visual: Session;
  index: OnnxIndex;
}

/** Opens a model folder's ONNX graphs when they exist, match `fingerprint` and onnxruntime is the engine. */
export async function openOnnxSides(dir: string, fingerprint: string, opts: { threads?: number } = {}): Promise<OnnxSides | undefined> {
  let index: OnnxIndex;
  try {
    index = JSON.parse(await readFile(join(dir, ONNX_INDEX_FILE), 'utf8')) as OnnxIndex;
  } catch {
    return undefined; // not exported (saved before export existed, or not tower-shaped)
  }
  if (index.format !== 'clipmatch-model-onnx' || index.version !== MODEL_ONNX_VERSION || index.fingerprint !== fingerprint) {
    log.warn({ dir, fingerprint, onnx: index.fingerprint }, 'the ONNX graphs do not belong to these weights: embedding on tfjs');
    return undefined;
  }
  if ((await resolveEngine()) !== 'onnx') return undefined;
  try {
    const threads = opts.threads ? { threads: opts.threads } : {};
    const [audio, visual] = await Promise.all([
      openSession(await readFile(join(dir, index.sides.audio.file)), threads),
      openSession(await readFile(join(dir, index.sides.visual.file)), threads),
    ]);
    return { audio, visual, index };
  } catch (err) {
    log.warn({ dir, reason: err instanceof Error ? err.message : String(err) }, 'cannot open the model on onnxruntime: embedding on tfjs');
    return undefined;
  }
}

/** Runs one side on n normalised rows, CHUNK rows per call. */
export async function runSide(session: Session, x: Float32Array, n: number, inputDim: number, dim: number): Promise<Float32Array> {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    const input = await ortTensor('float32', x.subarray(i * inputDim, (i + m) * inputDim), [m, inputDim]);
    const r = await session.run({ [ONNX_INPUT]: input });
    const y = r[ONNX_OUTPUT]!;
    out.set(y.data as Float32Array, i * dim);
    y.dispose();
  }
  return out;
}

/**
 * `base` (the tfjs embedder of the same model) with its bulk calls on onnxruntime; `input` turns raw clip
 * values into the model's input (e.g. pooled statistics) before normalisation, as the tfjs path does.
 */
export function withOnnx(
  base: Embedder,
  sides: OnnxSides,
  norm: Normalisation,
  input: (data: Float32Array, n: number) => Float32Array = (data) => data,
): Embedder {
  const { inputDim, dim } = sides.index;
  const check = (data: Float32Array, n: number) => {
    if (data.length !== n * inputDim) throw new RangeError(`expected ${n} clips x ${inputDim} values, got ${data.length} values`);
  };
  const run = (side: Side, raw: Float32Array, n: number) => {
    const data = input(raw, n);
    check(data, n);
    return runSide(sides[side], applyStats(norm[side], data, n), n, inputDim, dim);
  };
  return {
    ...base,
    engine: 'onnx',
    embedAudioAsync: (audio, n) => run('audio', audio, n),
    embedVisualAsync: (visual, n) => run('visual', visual, n),
    dispose: () => {
      base.dispose?.();
      void sides.audio.release();
      void sides.visual.release();
    },
  };
}
