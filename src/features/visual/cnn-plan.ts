// Compiles a Keras functional model (as converted for TensorFlow.js) into a short list of fused ops:
// Conv2D / DepthwiseConv2D + BatchNormalization + ReLU become one fused convolution with bias and
// activation, which the wasm backend runs as one kernel instead of four passes over the activations.
// Only the layer kinds MobileNetV2 and InceptionV3 use are supported; anything else is refused loudly.
// The same plan runs on tfjs (runPlan) and is written out as an ONNX graph (cnn-onnx.ts).
import { tf } from '../../model/backend.js';

interface KerasLayerJson {
  class_name: string;
  config: { name: string; [key: string]: unknown };
  inbound_nodes: Array<Array<[string, number, number, unknown?]>>;
}

export interface KerasModelJson {
  modelTopology: { model_config: { config: { layers: KerasLayerJson[] } } };
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

export type Activation = 'linear' | 'relu' | 'relu6';

export type Op =
  | {
      kind: 'conv' | 'depthwise';
      input: string;
      output: string;
      filter: tf.Tensor4D;
      bias: tf.Tensor1D;
      strides: [number, number];
      pad: 'same' | 'valid';
      activation: Activation;
    }
  | { kind: 'pad'; input: string; output: string; paddings: Array<[number, number]> }
  | { kind: 'affine'; input: string; output: string; scale: tf.Tensor1D; shift: tf.Tensor1D }
  | { kind: 'act'; input: string; output: string; activation: Activation }
  | { kind: 'add'; inputs: string[]; output: string }
  | { kind: 'maxpool' | 'avgpool'; input: string; output: string; size: [number, number]; strides: [number, number]; pad: 'same' | 'valid' }
  | { kind: 'concat'; inputs: string[]; output: string };

export interface Plan {
  input: string;
  output: string;
  ops: Op[];
  /** tensors the plan owns (kept alive outside any tidy) */
  weights: tf.Tensor[];
}

const inputsOf = (l: KerasLayerJson): string[] => (l.inbound_nodes[0] ?? []).map((n) => n[0]);
const pair = (v: unknown, what: string): [number, number] => {
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
  throw new Error(`unsupported ${what}: ${JSON.stringify(v)}`);
};

function reluKind(l: KerasLayerJson): Activation | undefined {
  const { max_value: max, negative_slope: slope = 0, threshold = 0 } = l.config as Record<string, number | null | undefined>;
  if (slope !== 0 || threshold !== 0) return undefined;
  if (max === 6) return 'relu6';
  return max === null || max === undefined ? 'relu' : undefined;
}

/** The activation of a ReLU layer or of an Activation('relu') layer; undefined for anything else. */
function activationOf(l: KerasLayerJson | undefined): Activation | undefined {
  if (l?.class_name === 'ReLU') return reluKind(l);
  if (l?.class_name === 'Activation') return l.config.activation === 'relu' ? 'relu' : l.config.activation === 'linear' ? 'linear' : undefined;
  return undefined;
}

/**
 * Builds the fused plan computing layer `outputLayer`. `inputScale` multiplies the network input
 * (folded into the first convolutions' kernels, so pixels can be fed unscaled).
 */
export function buildPlan(json: KerasModelJson, named: tf.NamedTensorMap, outputLayer: string, inputScale = 1): Plan {
  const all = json.modelTopology.model_config.config.layers;
  const end = all.findIndex((l) => l.config.name === outputLayer);
  if (end < 0) throw new Error(`layer ${outputLayer} not found in the model`);
  const layers = all.slice(0, end + 1);
  const byName = new Map(layers.map((l) => [l.config.name, l]));
  const consumers = new Map<string, KerasLayerJson[]>();
  for (const l of layers) for (const src of inputsOf(l)) consumers.set(src, [...(consumers.get(src) ?? []), l]);
  const onlyConsumer = (name: string): KerasLayerJson | undefined => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 ? c[0] : undefined;
  };
  const weight = (key: string): tf.Tensor => {
    const t = named[key];
    if (!t) throw new Error(`weight ${key} missing from the model`);
    return t;
  };

  const ops: Op[] = [];
  const kept: tf.Tensor[] = [];
  const alias = new Map<string, string>();
  const real = (name: string): string => alias.get(name) ?? name;
  const fused = new Set<string>();
  const sameInsteadOfPad = new Set<string>();
  let input = '';

  for (const l of layers) {
    const name = l.config.name;
    if (fused.has(name)) continue;
    const src = inputsOf(l).map(real);
    switch (l.class_name) {
      case 'InputLayer':
        input = name;
        break;
      case 'ZeroPadding2D': {
        const [[t, b], [left, r]] = [pair((l.config.padding as unknown[])[0], 'padding'), pair((l.config.padding as unknown[])[1], 'padding')];
        const next = onlyConsumer(name);
        // Keras pads (0,1) before a valid 3x3 stride-2 conv; on even-sized maps TF's 'same' pads exactly so.
        const k = next && pair(next.config.kernel_size, 'kernel');
        const s = next && pair(next.config.strides, 'strides');
        if (next && /Conv2D$/.test(next.class_name) && next.config.padding === 'valid' && t === 0 && left === 0 && b === 1 && r === 1 && k?.[0] === 3 && k[1] === 3 && s?.[0] === 2 && s[1] === 2) {
          sameInsteadOfPad.add(next.config.name);
          alias.set(name, src[0]!);
        } else {
          ops.push({ kind: 'pad', input: src[0]!, output: name, paddings: [[0, 0], [t, b], [left, r], [0, 0]] });
        }
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = l.class_name === 'DepthwiseConv2D';
        if (pair(l.config.dilation_rate ?? [1, 1], 'dilation').some((d) => d !== 1)) throw new Error(`${name}: dilation unsupported`);
        if (l.config.activation !== 'linear') throw new Error(`${name}: built-in activation ${String(l.config.activation)} unsupported`);
        let filter = weight(`${name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`);
        const outCh = depthwise ? filter.shape[2]! * filter.shape[3]! : filter.shape[3]!;
        let bias: tf.Tensor = l.config.use_bias ? weight(`${name}/bias`) : tf.zeros([outCh]);
        if (src[0] === input && inputScale !== 1) filter = tf.mul(filter, inputScale);
        let output = name;
        let activation: Activation = 'linear';
        const bn = onlyConsumer(name);
        if (bn?.class_name === 'BatchNormalization') {
          const bnName = bn.config.name;
          const eps = Number(bn.config.epsilon ?? 1e-3);
          const gamma = bn.config.scale === false ? tf.ones([outCh]) : weight(`${bnName}/gamma`);
          const beta = bn.config.center === false ? tf.zeros([outCh]) : weight(`${bnName}/beta`);
          const mean = weight(`${bnName}/moving_mean`);
          const scale = tf.div(gamma, tf.sqrt(tf.add(weight(`${bnName}/moving_variance`), eps)));
          filter = tf.mul(filter, depthwise ? scale.reshape([filter.shape[2]!, filter.shape[3]!]) : scale);
          bias = tf.add(tf.mul(tf.sub(bias, mean), scale), beta);
          fused.add(bnName);
          alias.set(name, bnName);
          output = bnName;
          const relu = onlyConsumer(bnName);
          const act = activationOf(relu);
          if (relu && act) {
            activation = act;
            fused.add(relu.config.name);
            alias.set(bnName, relu.config.name);
            output = relu.config.name;
          }
        }
        const f = tf.keep(filter.clone()) as tf.Tensor4D;
        const b1 = tf.keep(bias.clone()) as tf.Tensor1D;
        kept.push(f, b1);
        ops.push({
          kind: depthwise ? 'depthwise' : 'conv',
          input: src[0]!,
          output,
          filter: f,
          bias: b1,
          strides: pair(l.config.strides, 'strides'),
          pad: sameInsteadOfPad.has(name) ? 'same' : l.config.padding === 'same' ? 'same' : 'valid',
          activation,
        });
        break;
      }
      case 'BatchNormalization': {
        const eps = Number(l.config.epsilon ?? 1e-3);
        const scale = tf.keep(tf.div(weight(`${name}/gamma`), tf.sqrt(tf.add(weight(`${name}/moving_variance`), eps)))) as tf.Tensor1D;
        const shift = tf.keep(tf.sub(weight(`${name}/beta`), tf.mul(weight(`${name}/moving_mean`), scale))) as tf.Tensor1D;
        kept.push(scale, shift);
        ops.push({ kind: 'affine', input: src[0]!, output: name, scale, shift });
        break;
      }
      case 'ReLU':
      case 'Activation': {
        const act = activationOf(l);
        if (!act) throw new Error(`${name}: activation ${JSON.stringify(l.config.activation ?? l.config)} unsupported`);
        ops.push({ kind: 'act', input: src[0]!, output: name, activation: act });
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const size = pair(l.config.pool_size, 'pool size');
        ops.push({
          kind: l.class_name === 'MaxPooling2D' ? 'maxpool' : 'avgpool',
          input: src[0]!,
          output: name,
          size,
          strides: pair(l.config.strides ?? size, 'strides'),
          pad: l.config.padding === 'same' ? 'same' : 'valid',
        });
        break;
      }
      case 'Concatenate': {
        const axis = Number(l.config.axis ?? -1);
        if (axis !== -1 && axis !== 3) throw new Error(`${name}: concatenation on axis ${axis} unsupported`);
        ops.push({ kind: 'concat', inputs: src, output: name });
        break;
      }
      case 'Add':
        ops.push({ kind: 'add', inputs: src, output: name });
        break;
      default:
        throw new Error(`layer ${name} of kind ${l.class_name} is not supported by the fused runner`);
    }
  }
  if (!byName.has(input)) throw new Error('model has no InputLayer');
  return { input, output: real(outputLayer), ops, weights: kept };
}

const activate = (x: tf.Tensor, a: Activation): tf.Tensor => (a === 'relu6' ? tf.relu6(x) : a === 'relu' ? tf.relu(x) : x);

/** Runs the plan on a batch (NHWC). Call inside tf.tidy: intermediate tensors are not disposed here. */
export function runPlan(plan: Plan, x: tf.Tensor4D): tf.Tensor4D {
  const values = new Map<string, tf.Tensor>([[plan.input, x]]);
  const get = (name: string): tf.Tensor => {
    const v = values.get(name);
    if (!v) throw new Error(`fused runner: ${name} used before it is computed`);
    return v;
  };
  for (const op of plan.ops) {
    switch (op.kind) {
      case 'conv':
      case 'depthwise': {
        const args = {
          x: get(op.input) as tf.Tensor4D,
          filter: op.filter,
          bias: op.bias,
          strides: op.strides,
          pad: op.pad,
          activation: op.activation,
        };
        values.set(op.output, op.kind === 'conv' ? tf.fused.conv2d(args) : tf.fused.depthwiseConv2d(args));
        break;
      }
      case 'pad':
        values.set(op.output, tf.pad(get(op.input), op.paddings));
        break;
      case 'affine':
        values.set(op.output, tf.add(tf.mul(get(op.input), op.scale), op.shift));
        break;
      case 'act':
        values.set(op.output, activate(get(op.input), op.activation));
        break;
      case 'add':
        values.set(op.output, tf.addN(op.inputs.map(get)));
        break;
      case 'maxpool':
        values.set(op.output, tf.maxPool(get(op.input) as tf.Tensor4D, op.size, op.strides, op.pad));
        break;
      case 'avgpool':
        values.set(op.output, tf.avgPool(get(op.input) as tf.Tensor4D, op.size, op.strides, op.pad));
        break;
      case 'concat':
        values.set(op.output, tf.concat(op.inputs.map(get), 3));
        break;
    }
  }
  return get(plan.output) as tf.Tensor4D;
}
