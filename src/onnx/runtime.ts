// onnxruntime-node at the edge: loaded lazily (it is a native addon that may be missing or fail to load),
// with the execution provider chosen once per process, TensorRT, then CUDA, then CPU (CLIPMATCH_ORT_PROVIDERS),
// by opening a one-node probe graph on each, and logged as the tfjs backend is. Callers that cannot get a
// session fall back to TensorFlow.js; the choice is logged once.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type * as Ort from 'onnxruntime-node';
import { env } from '../config.js';
import { childLogger } from '../log.js';
import { ElemType, GraphBuilder } from './graph.js';

const log = childLogger({ module: 'onnx' });

export type OrtModule = typeof Ort;
export type Session = Ort.InferenceSession;
export type Provider = 'tensorrt' | 'cuda' | 'cpu';
const KNOWN: readonly Provider[] = ['tensorrt', 'cuda', 'cpu'];

/** Which engine runs inference: onnxruntime, or TensorFlow.js as the fallback. */
export type Engine = 'onnx' | 'tfjs';

let loader: () => Promise<OrtModule> = async () => {
  const m = (await import('onnxruntime-node')) as OrtModule & { default?: OrtModule };
  return m.InferenceSession ? m : m.default!;
};

/** For tests: replace how onnxruntime is loaded (e.g. with one that throws, to exercise the fallback). */
export function setOrtLoader(fn: () => Promise<OrtModule>): void {
  loader = fn;
  runtime = undefined;
  engineChoice = undefined;
}

interface Runtime {
  ort: OrtModule;
  provider: Provider;
}
let runtime: Promise<Runtime> | undefined;

function wantedProviders(): Provider[] {
  const list = env()
    .CLIPMATCH_ORT_PROVIDERS.split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s): s is Provider => (KNOWN as readonly string[]).includes(s));
  return list.includes('cpu') ? list : [...list, 'cpu'];
}

/**
 * GPU providers ship as shared libraries beside the binding only after a GPU install (docs/gpu.md). Where
 * the file is absent the provider is skipped without asking onnxruntime, which would print a native error.
 */
function providerInstalled(provider: Provider): boolean {
  if (provider === 'cpu') return true;
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const bin = join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? `onnxruntime_providers_${provider}.dll` : `libonnxruntime_providers_${provider}.so`;
    return existsSync(join(bin, lib));
  } catch {
    return false;
  }
}

/** A graph of one Identity node: opening it on a provider shows whether that provider loads here. */
function probeModel(): Uint8Array {
  const g = new GraphBuilder('probe');
  g.input('x', ElemType.FLOAT, [1]);
  g.node('Identity', ['x'], {}, 'y');
  g.output('y', ElemType.FLOAT, [1]);
  return g.toBytes({ producer: 'clipmatch', producerVersion: '1' });
}

async function start(): Promise<Runtime> {
  const ort = await loader();
  ort.env.logLevel = 'error';
  const probe = probeModel();
  const tried: string[] = [];
  for (const provider of wantedProviders()) {
    if (!providerInstalled(provider)) {
      tried.push(`${provider}: not installed`);
      continue;
    }
    try {
      const s = await ort.InferenceSession.create(probe, { executionProviders: [provider] });
      await s.release();
      // Said once per process: worker threads (which make the same choice) keep it to debug.
      log[isMainThread ? 'info' : 'debug']({ provider, tried }, 'onnxruntime execution provider');
      return { ort, provider };
    } catch (err) {
      tried.push(`${provider}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  throw new Error(`no onnxruntime execution provider could start (${tried.join('; ')})`);
}

/** onnxruntime and the provider chosen for this process; rejects where onnxruntime cannot load. */
export function ortRuntime(): Promise<Runtime> {
  if (env().CLIPMATCH_INFERENCE === 'tfjs') return Promise.reject(new Error('CLIPMATCH_INFERENCE=tfjs'));
  runtime ??= start();
  return runtime;
}

let engineChoice: Promise<Engine> | undefined;

/**
 * The engine for this process, decided once and logged once: onnxruntime when it loads (unless
 * CLIPMATCH_INFERENCE=tfjs), else TensorFlow.js with the reason. CLIPMATCH_INFERENCE=onnx makes a failure fatal.
 */
export function resolveEngine(): Promise<Engine> {
  engineChoice ??= ortRuntime().then(
    () => 'onnx' as const,
    (err: unknown) => {
      const reason = err instanceof Error ? err.message : String(err);
      if (env().CLIPMATCH_INFERENCE === 'onnx') throw new Error(`onnxruntime is required (CLIPMATCH_INFERENCE=onnx) but cannot load: ${reason}`);
      if (env().CLIPMATCH_INFERENCE === 'tfjs') log.info('inference runs on TensorFlow.js (CLIPMATCH_INFERENCE=tfjs)');
      else log.warn({ reason }, 'onnxruntime unavailable: inference runs on TensorFlow.js');
      return 'tfjs' as const;
    },
  );
  return engineChoice;
}

export interface SessionOptions {
  /** intra-op threads; 1 where the caller already runs one worker per core */
  threads?: number;
}

/** Opens a session on the chosen provider (with CPU behind it for any node the provider does not take). */
export async function openSession(model: Uint8Array | string, opts: SessionOptions = {}): Promise<Session> {
  const { ort, provider } = await ortRuntime();
  const providers: Provider[] = provider === 'cpu' ? ['cpu'] : [provider, 'cpu'];
  return ort.InferenceSession.create(model as Uint8Array, {
    executionProviders: providers,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
  });
}

/** Tensor constructor of the loaded onnxruntime. */
export async function ortTensor(type: 'float32', data: Float32Array, dims: number[]): Promise<Ort.Tensor>;
export async function ortTensor(type: 'uint8', data: Uint8Array, dims: number[]): Promise<Ort.Tensor>;
export async function ortTensor(type: 'float32' | 'uint8', data: Float32Array | Uint8Array, dims: number[]): Promise<Ort.Tensor> {
  const { ort } = await ortRuntime();
  return new ort.Tensor(type, data as Float32Array, dims);
}

/** The provider in use, for logs and benches (undefined before or without onnxruntime). */
export async function providerInUse(): Promise<Provider | undefined> {
  return ortRuntime().then(
    (r) => r.provider,
    () => undefined,
  );
}

/** Folder for built graphs: CLIPMATCH_CACHE_DIR, else ~/.cache/clipmatch. */
export function cacheDir(): string {
  return env().CLIPMATCH_CACHE_DIR ?? join(homedir(), '.cache', 'clipmatch');
}
