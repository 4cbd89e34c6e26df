// The frame CNN on onnxruntime: the fused plan (cnn-plan.ts) written one op to one ONNX operator, built
// at first use from the weights bundled in nsfwjs and cached on disk (keyed by a hash of the bundle, the
// network, the input size and the builder's version), then run with uint8 RGB frames in. The graph does
// the cast and the NHWC -> NCHW transpose itself, so frames go in exactly as ffmpeg decoded them.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childLogger } from '../../log.js';
import { ElemType, GraphBuilder } from '../../onnx/graph.js';
import { cacheDir, openSession, ortTensor, type Session } from '../../onnx/runtime.js';
import type { tf } from '../../model/backend.js';
import { CNNS, bundleFiles, checkCnnSize, type CnnName, type CnnSpec } from './cnn-spec.js';
import type { Activation, Plan } from './cnn-plan.js';

const log = childLogger({ module: 'cnn-onnx' });

/** Bump when the graph this file writes changes: cached graphs of other versions are rebuilt. */
export const CNN_ONNX_BUILDER_VERSION = 1;

const INPUT = 'frames';
const OUTPUT = 'embedding';

/** tf HWIO kernel -> ONNX OIHW; depthwise HW(C)(M) -> (C*M)1HW, output channel c*M+m as in tfjs. */
function convWeights(filter: tf.Tensor4D, depthwise: boolean): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = filter.shape;
  const src = filter.dataSync() as Float32Array;
  if (depthwise) {
    const outCh = cin * cout;
    const data = new Float32Array(outCh * kh * kw);
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < cin; c++) for (let m = 0; m < cout; m++) data[(c * cout + m) * kh * kw + y * kw + x] = src[((y * kw + x) * cin + c) * cout + m]!;
    return { data, dims: [outCh, 1, kh, kw] };
  }
  const data = new Float32Array(cout * cin * kh * kw);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) data[((o * cin + i) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cout + o]!;
  return { data, dims: [cout, cin, kh, kw] };
}

/** Writes the plan as an ONNX graph: uint8 [batch, size, size, 3] in, float32 [batch, dim] (spatial mean) out. */
export function planToOnnx(plan: Plan, spec: CnnSpec, size: number, metadata: Record<string, string> = {}): Uint8Array {
  const g = new GraphBuilder(`clipmatch-${spec.name}-${size}`);
  g.input(INPUT, ElemType.UINT8, ['batch', size, size, 3]);
  const asFloat = g.node('Cast', [INPUT], { to: { i: ElemType.FLOAT } });
  const nchw = g.node('Transpose', [asFloat], { perm: { ints: [0, 3, 1, 2] } });
  const values = new Map<string, string>([[plan.input, nchw]]);
  const get = (name: string): string => {
    const v = values.get(name);
    if (!v) throw new Error(`ONNX export: ${name} used before it is computed`);
    return v;
  };
  let zero: string | undefined, six: string | undefined;
  const activate = (x: string, a: Activation, output?: string): string => {
    if (a === 'linear') return output ? g.node('Identity', [x], {}, output) : x;
    if (a === 'relu') return g.node('Relu', [x], {}, output);
    zero ??= g.floats('zero', Float32Array.of(0), []);
    six ??= g.floats('six', Float32Array.of(6), []);
    return g.node('Clip', [x, zero, six], {}, output);
  };
  // TF's 'same' pads the extra row/column at the end, which is ONNX's SAME_UPPER.
  const autoPad = (pad: 'same' | 'valid') => ({ s: pad === 'same' ? 'SAME_UPPER' : 'VALID' });
  const perChannel = (prefix: string, t: tf.Tensor1D) => g.floats(prefix, Float32Array.from(t.dataSync()), [t.shape[0], 1, 1]);

  for (const op of plan.ops) {
    switch (op.kind) {
      case 'conv':
      case 'depthwise': {
        const depthwise = op.kind === 'depthwise';
        const { data, dims } = convWeights(op.filter, depthwise);
        const w = g.floats(`${op.output}_w`, data, dims);
        const b = g.floats(`${op.output}_b`, Float32Array.from(op.bias.dataSync()), [dims[0]!]);
        const attrs = {
          kernel_shape: { ints: [dims[2]!, dims[3]!] },
          strides: { ints: op.strides },
          auto_pad: autoPad(op.pad),
          group: { i: depthwise ? op.filter.shape[2] : 1 },
        };
        values.set(op.output, activate(g.node('Conv', [get(op.input), w, b], attrs), op.activation));
        break;
      }
      case 'pad': {
        // NHWC paddings -> NCHW begins then ends
        const [[n0, n1], [t, bo], [l, r], [c0, c1]] = op.paddings as [[number, number], [number, number], [number, number], [number, number]];
        const pads = g.int64s(`${op.output}_pads`, [n0, c0, t, l, n1, c1, bo, r]);
        values.set(op.output, g.node('Pad', [get(op.input), pads], { mode: { s: 'constant' } }));
        break;
      }
      case 'affine': {
        const m = g.node('Mul', [get(op.input), perChannel(`${op.output}_scale`, op.scale)]);
        values.set(op.output, g.node('Add', [m, perChannel(`${op.output}_shift`, op.shift)]));
        break;
      }
      case 'act':
        values.set(op.output, activate(get(op.input), op.activation));
        break;
      case 'add':
        values.set(op.output, op.inputs.length === 2 ? g.node('Add', op.inputs.map(get)) : g.node('Sum', op.inputs.map(get)));
        break;
      case 'maxpool':
      case 'avgpool': {
        const attrs = { kernel_shape: { ints: op.size }, strides: { ints: op.strides }, auto_pad: autoPad(op.pad) };
        // Keras averages over the window's real pixels only at the borders: count_include_pad = 0.
        values.set(op.output, g.node(op.kind === 'maxpool' ? 'MaxPool' : 'AveragePool', [get(op.input)], op.kind === 'avgpool' ? { ...attrs, count_include_pad: { i: 0 } } : attrs));
        break;
      }
      case 'concat':
        values.set(op.output, g.node('Concat', op.inputs.map(get), { axis: { i: 1 } }));
        break;
    }
  }
  g.node('ReduceMean', [get(plan.output)], { axes: { ints: [2, 3] }, keepdims: { i: 0 } }, OUTPUT);
  g.output(OUTPUT, ElemType.FLOAT, ['batch', spec.dim]);
  return g.toBytes({
    producer: 'clipmatch',
    producerVersion: String(CNN_ONNX_BUILDER_VERSION),
    doc: `${spec.name} from nsfwjs, truncated at ${spec.outputLayer}, spatial mean; BatchNorm folded, input 0..255`,
    metadata: { network: spec.name, size: String(size), ...metadata },
  });
}

export interface OnnxCnn {
  readonly spec: CnnSpec;
  readonly size: number;
  readonly session: Session;
  /** where the graph is cached */
  readonly path: string;
}

/** Builds the graph file for `name` at `size` unless the cache holds it; returns its path. */
export async function ensureCnnGraph(name: CnnName, size: number, dir = join(cacheDir(), 'onnx')): Promise<string> {
  const spec = CNNS[name];
  checkCnnSize(spec, size);
  // The key hashes the bundled files as they are on disk: cheap, and any change to them is a new graph.
  const h = createHash('sha256');
  for (const f of bundleFiles(spec)) h.update(readFileSync(f));
  const key = h.update(`${spec.name}|${spec.outputLayer}|${size}|${CNN_ONNX_BUILDER_VERSION}`).digest('hex').slice(0, 16);
  const path = join(dir, `${spec.name}-${size}-${key}.onnx`);
  if (existsSync(path)) return path;
  const started = performance.now();
  // Only a cache miss needs TensorFlow.js (to decode and fold the weights).
  const { compileCnn, disposePlan } = await import('./cnn.js');
  const plan = await compileCnn(spec);
  let bytes: Uint8Array;
  try {
    bytes = planToOnnx(plan, spec, size, { weightsHash: key });
  } finally {
    disposePlan(plan);
  }
  await mkdir(dir, { recursive: true });
  // Written whole then renamed, so a crash or a concurrent builder never leaves a half graph under the name.
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  log.info({ network: name, size, path, mb: Math.round(bytes.length / 1e5) / 10, ms: Math.round(performance.now() - started) }, 'built the ONNX graph of the frame CNN');
  // Graphs of the same network and size under other keys (older weights or builder) are stale.
  for (const f of await readdir(dir)) {
    if (f.startsWith(`${spec.name}-${size}-`) && f.endsWith('.onnx') && join(dir, f) !== path) await rm(join(dir, f), { force: true });
  }
  return path;
}

const sessions = new Map<string, Promise<OnnxCnn>>();

/** The network on onnxruntime (one session per process, network and size). `threads`: intra-op threads. */
export function loadOnnxCnn(name: CnnName, size = CNNS[name].nativeSize, opts: { threads?: number; dir?: string } = {}): Promise<OnnxCnn> {
  const key = `${name}|${size}|${opts.threads ?? 0}|${opts.dir ?? ''}`;
  let s = sessions.get(key);
  if (!s) {
    s = (async () => {
      const path = await ensureCnnGraph(name, size, opts.dir);
      const session = await openSession(await readFile(path), opts.threads ? { threads: opts.threads } : {});
      return { spec: CNNS[name], size, session, path };
    })();
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
  }
  return s;
}

/** Embeds `count` RGB24 frames (frame-major, size x size), `batchSize` per run; count * dim values out. */
export async function embedFramesOnnx(model: OnnxCnn, rgb: Uint8Array, count: number, batchSize = 10): Promise<Float32Array> {
  const { size, spec } = model;
  const frameLen = size * size * 3;
  if (rgb.length < count * frameLen) throw new RangeError(`embedFrames: ${rgb.length} bytes cannot hold ${count} frames of ${size}x${size}`);
  const out = new Float32Array(count * spec.dim);
  for (let first = 0; first < count; first += batchSize) {
    const n = Math.min(batchSize, count - first);
    const input = await ortTensor('uint8', rgb.subarray(first * frameLen, (first + n) * frameLen), [n, size, size, 3]);
    const result = await model.session.run({ [INPUT]: input });
    const y = result[OUTPUT]!;
    out.set(y.data as Float32Array, first * spec.dim);
    y.dispose();
  }
  return out;
}
