// A trained model on disk: a folder holding weights.bin (tfjs weight encoding) and manifest.json
// (architecture, hyperparameters, extractors, normalisation, training summary, eval results). The
// manifest is written last, so a folder without one is an unfinished save and never loads.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import type { ExtractorInfo } from '../core/types.js';
import { tf } from './backend.js';
import type { Normalisation } from './data.js';
import { buildModel } from './models.js';
import type { MatchModel } from './models.js';
import { createRng } from '../core/random.js';
import { exportModelOnnx } from './onnx-export.js';
import { parseProjection, serializeProjection } from '../library/pca-store.js';
import type { VisualProjection } from '../library/pca-store.js';
import { rawVisualInfo } from '../features/visual/extractors.js';

export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';
/** the visual basis (CNN PCA + cue stats) the model was trained with, so it embeds any library's raw features */
export const BASIS_FILE = 'visual-basis.json';

const extractor = z.object({ name: z.string(), version: z.string() });
const stats = z.object({ mean: z.array(z.number()), std: z.array(z.number()) });

const activation = z.enum(['relu', 'tanh', 'linear']);
const archSchema = z.enum(['siamese', 'two-tower', 'regression', 'cca', 'pls']);
const hyperSchema = z.object({
  arch: archSchema,
  layers: z.array(z.number().int()),
  hidden: activation,
  output: activation,
  normalise: z.boolean(),
  dropRate: z.number().min(0).max(1),
  loss: z.enum(['contrastive', 'infonce', 'triplet', 'mse', 'closed-form']),
  margin: z.number(),
  temperature: z.number(),
  learningRate: z.number(),
  batchSize: z.number().int().positive(),
  l1: z.number(),
  l2: z.number(),
  // absent in models saved before it existed: their normalisation had equal weights
  pcaWeight: z.number().positive().default(1),
  // absent in models saved before pooled inputs, windows and the linear models existed
  input: z.enum(['seconds', 'stats']).default('seconds'),
  windows: z.boolean().default(false),
  pcaDims: z.number().int().positive().default(32),
  ridge: z.number().min(0).default(0.1),
  weightPower: z.number().default(0),
});

const manifestSchema = z.object({
  format: z.literal('clipmatch-model'),
  formatVersion: z.literal(1),
  arch: archSchema,
  hyper: hyperSchema,
  inputDim: z.number().int().positive(),
  dim: z.number().int().positive(),
  extractors: z.object({ audio: extractor, visual: extractor }),
  normalisation: z.object({ fittedOn: z.string(), audio: stats, visual: stats }),
  weights: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), dtype: z.string() }).passthrough()),
  training: z.record(z.string(), z.unknown()),
  eval: z.record(z.string(), z.unknown()).optional(),
  // absent in models saved before models carried their basis: those only work on their own library
  visualBasis: z.object({ file: z.string(), fingerprint: z.string(), raw: extractor }).optional(),
  createdAt: z.string(),
});

export type ModelManifest = z.infer<typeof manifestSchema>;

export interface SavedModel {
  model: MatchModel;
  manifest: ModelManifest;
  norm: Normalisation;
  /** changes whenever the weights or the normalisation change; indexes built from another are stale */
  fingerprint: string;
  /** the model's own visual basis, when it carries one */
  basis?: VisualProjection;
}

export interface SaveInfo {
  extractors: { audio: ExtractorInfo; visual: ExtractorInfo };
  norm: Normalisation;
  training: Record<string, unknown>;
  eval?: Record<string, unknown>;
  /** the projection the training features were made with; saved beside the weights */
  visualBasis?: VisualProjection;
}

function fingerprintOf(weights: Uint8Array, manifest: Pick<ModelManifest, 'arch' | 'normalisation'>): string {
  const h = createHash('sha256');
  h.update(weights);
  h.update(JSON.stringify(manifest.normalisation));
  return `${manifest.arch}-${h.digest('hex').slice(0, 16)}`;
}

export async function saveModel(dir: string, model: MatchModel, info: SaveInfo): Promise<ModelManifest> {
  await mkdir(dir, { recursive: true });
  const named: tf.NamedTensorMap = {};
  for (const [name, v] of model.namedVariables()) named[name] = v;
  const { data, specs } = await tf.io.encodeWeights(named);
  const manifest: ModelManifest = {
    format: 'clipmatch-model',
    formatVersion: 1,
    arch: model.hyper.arch,
    hyper: model.hyper,
    inputDim: model.inputDim,
    dim: model.dim,
    extractors: info.extractors,
    normalisation: {
      fittedOn: 'training split',
      audio: { mean: [...info.norm.audio.mean], std: [...info.norm.audio.std] },
      visual: { mean: [...info.norm.visual.mean], std: [...info.norm.visual.std] },
    },
    weights: specs.map((s) => ({ name: s.name, shape: s.shape, dtype: s.dtype })),
    training: info.training,
    ...(info.eval ? { eval: info.eval } : {}),
    ...(info.visualBasis ? { visualBasis: { file: BASIS_FILE, fingerprint: info.visualBasis.fingerprint, raw: rawVisualInfo(info.visualBasis.cnn) } } : {}),
    createdAt: new Date().toISOString(),
  };
  await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(data));
  if (info.visualBasis) await writeFile(join(dir, BASIS_FILE), serializeProjection(info.visualBasis));
  // ONNX graphs of both embedding sides, for onnxruntime (CPU or GPU); never fails the save.
  await exportModelOnnx(dir, model, fingerprintOf(new Uint8Array(data), manifest));
  await writeJsonAtomic(join(dir, MANIFEST_FILE), manifest);
  return manifest;
}

/** Records eval results in an existing model's manifest. */
export async function updateManifest(dir: string, patch: Partial<Pick<ModelManifest, 'eval'>>): Promise<void> {
  const manifest = await readManifest(dir);
  await writeJsonAtomic(join(dir, MANIFEST_FILE), { ...manifest, ...patch });
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 1));
  await rename(tmp, path);
}

export async function readManifest(dir: string): Promise<ModelManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    throw new UserError('NO_MODEL', `no trained model at ${dir} (expected ${MANIFEST_FILE}; run clipmatch train)`);
  }
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new UserError('NO_MODEL', `${join(dir, MANIFEST_FILE)} is not a clipmatch model manifest: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** Refuses features from extractors other than the ones a model was trained on. */
export function checkExtractors(modelDir: string, trained: ModelManifest['extractors'], got: { audio: ExtractorInfo; visual: ExtractorInfo }): void {
  for (const kind of ['audio', 'visual'] as const) {
    const a = trained[kind];
    const b = got[kind];
    if (a.name !== b.name || a.version !== b.version) {
      throw new UserError(
        'INCOMPATIBLE',
        `the model at ${modelDir} was trained on ${kind} features from ${a.name}@${a.version}, but these come from ${b.name}@${b.version}; retrain it (clipmatch train) or re-extract the features`,
      );
    }
  }
}

export async function loadModel(dir: string): Promise<SavedModel> {
  const manifest = await readManifest(dir);
  const bytes = await readFile(join(dir, WEIGHTS_FILE)).catch(() => {
    throw new UserError('NO_MODEL', `the model at ${dir} has no ${WEIGHTS_FILE}`);
  });
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const tensors = tf.io.decodeWeights(buf, manifest.weights as tf.io.WeightsManifestEntry[]);
  // Weights are overwritten below, so the initial draw's seed is irrelevant.
  const model = buildModel(manifest.hyper, manifest.inputDim, createRng(0));
  for (const [name, v] of model.namedVariables()) {
    const t = tensors[name];
    if (!t || t.shape.join('x') !== v.shape.join('x')) {
      model.dispose();
      tf.dispose(tensors);
      throw new UserError('NO_MODEL', `the model at ${dir} lacks weights for ${name} or has the wrong shape`);
    }
    v.assign(t);
  }
  tf.dispose(tensors);
  const f32 = (a: number[]) => Float32Array.from(a);
  const norm: Normalisation = {
    audio: { mean: f32(manifest.normalisation.audio.mean), std: f32(manifest.normalisation.audio.std) },
    visual: { mean: f32(manifest.normalisation.visual.mean), std: f32(manifest.normalisation.visual.std) },
  };
  const basis = manifest.visualBasis ? await readBasis(dir, manifest) : undefined;
  return { model, manifest, norm, fingerprint: fingerprintOf(bytes, manifest), ...(basis ? { basis } : {}) };
}

async function readBasis(dir: string, manifest: ModelManifest): Promise<VisualProjection> {
  const vb = manifest.visualBasis!;
  let basis: VisualProjection;
  try {
    basis = parseProjection(await readFile(join(dir, vb.file), 'utf8'));
  } catch {
    throw new UserError('NO_MODEL', `the model at ${dir} has a missing or damaged ${vb.file}`);
  }
  const raw = rawVisualInfo(basis.cnn);
  if (vb.raw.name !== raw.name || vb.raw.version !== raw.version) {
    throw new UserError('INCOMPATIBLE', `the model at ${dir} was trained on raw visual features ${vb.raw.name}@${vb.raw.version}, but this build extracts ${raw.name}@${raw.version} for ${basis.cnn}; retrain it`);
  }
  if (basis.fingerprint !== vb.fingerprint || basis.info.version !== manifest.extractors.visual.version) {
    throw new UserError('NO_MODEL', `the model at ${dir} has a ${vb.file} that does not belong to it`);
  }
  return basis;
}
