// Embedding throughput of trained-model shapes on both runtimes: clips per second through the product's
// Embedder (normalisation included), tfjs wasm (embedVisual) against onnxruntime (embedVisualAsync, the
// path the library index takes), on synthetic features. The two-tower model embeds 1M clips on onnxruntime
// end to end; tfjs and the siamese model are timed on 100k and reported as rates.
// Run alone: node --import tsx bench/embed.bench.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRng } from '../src/core/random.js';
import { initBackend } from '../src/model/backend.js';
import { loadEmbedder } from '../src/model/embedder.js';
import { saveModel } from '../src/model/manifest.js';
import { buildModel, defaultHyper, type Arch } from '../src/model/models.js';
import { providerInUse } from '../src/onnx/runtime.js';
import { tempDir } from '../tests/helpers/media.js';

const INPUT = 1280; // 10-s clips x 128 values
const BLOCK = 8192;

async function time(total: number, embed: (x: Float32Array, n: number) => Float32Array | Promise<Float32Array>, block: Float32Array): Promise<{ clips: number; seconds: number; clipsPerSecond: number; cpuSeconds: number }> {
  await embed(block.subarray(0, 256 * INPUT), 256); // warm-up
  const c0 = process.cpuUsage(), t0 = performance.now();
  for (let done = 0; done < total; done += BLOCK) {
    const n = Math.min(BLOCK, total - done);
    await embed(block.subarray(0, n * INPUT), n);
  }
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { clips: total, seconds: Math.round(seconds * 10) / 10, clipsPerSecond: Math.round(total / seconds), cpuSeconds: Math.round((c.user + c.system) / 1e5) / 10 };
}

export async function run(): Promise<Record<string, unknown>> {
  await initBackend();
  const t = tempDir('clipmatch-bench-embed-');
  try {
    const rng = createRng(1);
    const block = Float32Array.from({ length: BLOCK * INPUT }, () => rng.normal());
    const stats = () => ({ mean: new Float32Array(INPUT), std: new Float32Array(INPUT).fill(1) });
    const out: Record<string, unknown> = { provider: (await providerInUse()) ?? 'onnxruntime unavailable', loadavgBefore: readFileSync('/proc/loadavg', 'utf8').trim() };
    const plan: Array<[Arch, number, number]> = [
      ['two-tower', 1_000_000, 100_000],
      ['siamese', 100_000, 100_000],
    ];
    for (const [arch, onnxClips, tfjsClips] of plan) {
      const dir = join(t.dir, arch);
      const model = buildModel(defaultHyper(arch), INPUT, createRng(2));
      await saveModel(dir, model, { extractors: { audio: { name: 'a', version: '1' }, visual: { name: 'v', version: '1' } }, norm: { audio: stats(), visual: stats() }, training: {} });
      model.dispose();
      const e = await loadEmbedder(dir);
      const row: Record<string, unknown> = { layers: defaultHyper(arch).layers, tfjs: await time(tfjsClips, (x, n) => e.embedVisual(x, n), block) };
      if (e.embedVisualAsync) row.onnx = await time(onnxClips, (x, n) => e.embedVisualAsync!(x, n), block);
      out[arch] = row;
      e.dispose?.();
    }
    out.loadavgAfter = readFileSync('/proc/loadavg', 'utf8').trim();
    out.note = 'onnxruntime uses its default intra-op threads (all cores) in the index build; tfjs wasm runs on one thread';
    return out;
  } finally {
    t.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(await run(), null, 2) + '\n');
}
