// Exports a trained model's two embedding functions (audio -> space, footage -> space) to ONNX at save
// time, so songs and clips can be embedded on onnxruntime (CPU or GPU) instead of tfjs. Every matching
// model is tower-shaped: each side is one of its towers (dense layers + activations, optionally
// L2-normalised) or the identity. Which one is found by probing, not by architecture name: each
// candidate is evaluated in plain JS on a few random rows and compared with the model's own embedAudio /
// embedVisual; the first that matches is written. A new architecture built from towers exports without
// change; one that is not tower-shaped is simply not exported (its saved model still loads on tfjs).
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng } from '../core/random.js';
import { childLogger } from '../log.js';
import { ElemType, GraphBuilder } from '../onnx/graph.js';
import { tf } from './backend.js';
import type { Activation, TowerParams } from './layers.js';
import type { MatchModel } from './models.js';

const log = childLogger({ module: 'onnx-export' });

/** Bump when the exported graphs change shape or meaning. */
export const MODEL_ONNX_VERSION = 1;
export const ONNX_INDEX_FILE = 'onnx.json';
export const ONNX_FILES = { audio: 'audio.onnx', visual: 'visual.onnx' } as const;
export type Side = keyof typeof ONNX_FILES;
export const ONNX_INPUT = 'features';
export const ONNX_OUTPUT = 'embedding';
/** as in models.ts: h / (|h| + 1e-8) */
const NORM_EPS = 1e-8;

/** A side of the model: a tower (optionally L2-normalised) or the identity. */
export type SideGraph = { kind: 'tower'; tower: TowerParams; normalise: boolean } | { kind: 'identity' };

export interface OnnxIndex {
  format: 'clipmatch-model-onnx';
  version: number;
  /** the saved weights' fingerprint these graphs were written from; others are stale */
  fingerprint: string;
  inputDim: number;
  dim: number;
  sides: Record<Side, { file: string; graph: string }>;
}

interface DenseWeights {
  w: Float32Array;
  b: Float32Array;
  fanIn: number;
  fanOut: number;
  act: Activation;
}

function denseOf(t: TowerParams): DenseWeights[] {
  return t.layers.map((l, i) => ({
    w: l.w.dataSync() as Float32Array,
    b: l.b.dataSync() as Float32Array,
    fanIn: l.w.shape[0]!,
    fanOut: l.w.shape[1]!,
    act: i === t.layers.length - 1 ? t.spec.output : t.spec.hidden,
  }));
}

/** The side's function on n rows in float64 JS: the reference each candidate is checked against. */
function evalSide(side: SideGraph, x: Float32Array, n: number, inputDim: number): Float64Array {
  if (side.kind === 'identity') return Float64Array.from(x);
  let h = Float64Array.from(x);
  let width = inputDim;
  for (const d of denseOf(side.tower)) {
    if (d.fanIn !== width) throw new RangeError(`tower ${side.tower.name}: layer expects ${d.fanIn} inputs, gets ${width}`);
    const out = new Float64Array(n * d.fanOut);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < d.fanOut; o++) {
        let s = d.b[o]!;
        for (let i = 0; i < d.fanIn; i++) s += h[r * d.fanIn + i]! * d.w[i * d.fanOut + o]!;
        out[r * d.fanOut + o] = d.act === 'relu' ? Math.max(0, s) : d.act === 'tanh' ? Math.tanh(s) : s;
      }
    }
    h = out;
    width = d.fanOut;
  }
  if (side.normalise) {
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let k = 0; k < width; k++) s += h[r * width + k]! ** 2;
      const inv = 1 / (Math.sqrt(s) + NORM_EPS);
      for (let k = 0; k < width; k++) h[r * width + k]! *= inv;
    }
  }
  return h;
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean => {
  if (a.length !== b.length) return false;
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]! - b[i]!) <= tol * Math.max(1, scale))) return false;
  return true;
};

/**
 * Finds which tower (or the identity) computes each side of `model`, by comparing candidates with the
 * model's own embedding on random rows. Undefined for a side no candidate reproduces.
 */
export function detectSides(model: MatchModel): Partial<Record<Side, SideGraph>> {
  const n = 3;
  const rng = createRng(97);
  const x = new Float32Array(n * model.inputDim);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() * 4 - 2;
  const want = {
    audio: tf.tidy(() => model.embedAudio(tf.tensor2d(x, [n, model.inputDim])).dataSync() as Float32Array),
    visual: tf.tidy(() => model.embedVisual(tf.tensor2d(x, [n, model.inputDim])).dataSync() as Float32Array),
  };
  const candidates: SideGraph[] = [
    ...model.towers.flatMap((tower) => [false, true].map((normalise) => ({ kind: 'tower' as const, tower, normalise }))),
    { kind: 'identity' },
  ];
  const hint = (c: SideGraph, side: Side) => (c.kind === 'tower' && c.tower.name === side ? 0 : 1);
  const out: Partial<Record<Side, SideGraph>> = {};
  for (const side of ['audio', 'visual'] as const) {
    const ordered = [...candidates].sort((a, b) => hint(a, side) - hint(b, side));
    for (const c of ordered) {
      let got: Float64Array;
      try {
        got = evalSide(c, x, n, model.inputDim);
      } catch {
        continue;
      }
      if (close(got, want[side], 1e-4)) {
        out[side] = c;
        break;
      }
    }
  }
  return out;
}

/** The ONNX graph of one side: float32 [batch, inputDim] (normalised features) in, [batch, dim] out. */
export function sideToOnnx(side: SideGraph, inputDim: number, meta: Record<string, string> = {}): Uint8Array {
  const g = new GraphBuilder('clipmatch-embedding');
  g.input(ONNX_INPUT, ElemType.FLOAT, ['batch', inputDim]);
  let h = ONNX_INPUT;
  let width = inputDim;
  if (side.kind === 'identity') {
    g.node('Identity', [h], {}, ONNX_OUTPUT);
  } else {
    const layers = denseOf(side.tower);
    layers.forEach((d, i) => {
      const w = g.floats(`dense${i}_kernel`, d.w, [d.fanIn, d.fanOut]);
      const b = g.floats(`dense${i}_bias`, d.b, [d.fanOut]);
      h = g.node('Add', [g.node('MatMul', [h, w]), b]);
      if (d.act === 'relu') h = g.node('Relu', [h]);
      else if (d.act === 'tanh') h = g.node('Tanh', [h]);
      width = d.fanOut;
    });
    if (side.normalise) {
      const norm = g.node('ReduceL2', [h], { axes: { ints: [1] }, keepdims: { i: 1 } });
      const eps = g.floats('eps', Float32Array.of(NORM_EPS), []);
      g.node('Div', [h, g.node('Add', [norm, eps])], {}, ONNX_OUTPUT);
    } else {
      g.node('Identity', [h], {}, ONNX_OUTPUT);
    }
  }
  g.output(ONNX_OUTPUT, ElemType.FLOAT, ['batch', width]);
  return g.toBytes({ producer: 'clipmatch', producerVersion: String(MODEL_ONNX_VERSION), metadata: meta });
}

const describe = (s: SideGraph): string => (s.kind === 'identity' ? 'identity' : `${s.tower.name}${s.normalise ? '+l2' : ''}`);

/**
 * Writes audio.onnx, visual.onnx and onnx.json into the model folder. Never fails the save: a model that
 * cannot be exported is logged and left to tfjs. Returns the index, or undefined when not exported.
 */
export async function exportModelOnnx(dir: string, model: MatchModel, fingerprint: string): Promise<OnnxIndex | undefined> {
  const written: string[] = [];
  try {
    await rm(join(dir, ONNX_INDEX_FILE), { force: true });
    const sides = detectSides(model);
    const missing = (['audio', 'visual'] as const).filter((s) => !sides[s]);
    if (missing.length) {
      log.warn({ arch: model.hyper.arch, missing }, 'model not exported to ONNX: a side is not a tower of its own (tfjs will run it)');
      return undefined;
    }
    await mkdir(dir, { recursive: true });
    const index: OnnxIndex = {
      format: 'clipmatch-model-onnx',
      version: MODEL_ONNX_VERSION,
      fingerprint,
      inputDim: model.inputDim,
      dim: model.dim,
      sides: { audio: { file: ONNX_FILES.audio, graph: describe(sides.audio!) }, visual: { file: ONNX_FILES.visual, graph: describe(sides.visual!) } },
    };
    for (const side of ['audio', 'visual'] as const) {
      const path = join(dir, ONNX_FILES[side]);
      await writeFile(path, sideToOnnx(sides[side]!, model.inputDim, { side, arch: model.hyper.arch, fingerprint }));
      written.push(path);
    }
    // The index is written last and atomically: without it the graphs are never used.
    const tmp = join(dir, `${ONNX_INDEX_FILE}.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(index, null, 1));
    await rename(tmp, join(dir, ONNX_INDEX_FILE));
    return index;
  } catch (err) {
    for (const p of written) await rm(p, { force: true });
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'model not exported to ONNX (tfjs will run it)');
    return undefined;
  }
}
