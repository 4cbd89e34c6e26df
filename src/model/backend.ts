// Picks the fastest TensorFlow.js backend present on this machine, once per process:
// tfjs-node-gpu (CUDA), then tfjs-node (native CPU), then wasm (SIMD), then the pure-JS cpu backend.
// The native packages are optional: they cannot install on machines without internet access to
// libtensorflow, so they are loaded only if present and nothing else in the code depends on them.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { childLogger } from '../log.js';

const log = childLogger({ module: 'backend' });
const require = createRequire(import.meta.url);

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

let chosen: Promise<BackendName> | undefined;

function tryRequire(name: string): boolean {
  try {
    require(name);
    return true;
  } catch {
    return false;
  }
}

async function pick(prefer?: BackendName): Promise<BackendName> {
  const order: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
  const candidates = prefer ? [prefer, ...order.filter((b) => b !== prefer)] : order;
  for (const name of candidates) {
    try {
      if (name === 'tensorflow-gpu' && !tryRequire('@tensorflow/tfjs-node-gpu')) continue;
      if (name === 'tensorflow' && !tryRequire('@tensorflow/tfjs-node')) continue;
      if (name === 'wasm') {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        // Point the loader at the .wasm files inside the package: no network fetch.
        const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
        wasm.setWasmPaths(`${dir}/dist/`);
      }
      // tfjs-node-gpu registers itself as "tensorflow" too.
      const registered = name === 'tensorflow-gpu' ? 'tensorflow' : name;
      if (await tf.setBackend(registered)) {
        await tf.ready();
        log.info({ backend: name }, 'tensorflow.js backend');
        return name;
      }
    } catch (err) {
      log.debug({ backend: name, err: String(err) }, 'backend unavailable');
    }
  }
  throw new Error('no TensorFlow.js backend could be initialised');
}

/**
 * Initialises the best backend (or `prefer`, or CLIPMATCH_TF_BACKEND when set, falling back down the
 * list if it is absent) and returns its name. Safe to call many times.
 */
export function initBackend(prefer?: BackendName): Promise<BackendName> {
  chosen ??= pick(prefer);
  return chosen;
}

/** For benchmarks: switch to a named backend, returning false if it is not present here. */
export async function switchBackend(name: BackendName): Promise<boolean> {
  const got = await pick(name).catch(() => undefined);
  if (got !== name) return false;
  chosen = Promise.resolve(name);
  return true;
}

export { tf };
